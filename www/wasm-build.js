// Which of the engine's two wasm builds this browser runs (scripts/build-wasm.sh): `lingbridge_relaxed_bg.wasm`,
// whose matrix kernel fuses each multiply-add (relaxed SIMD: Chrome and Edge 114+, among others), or
// `lingbridge_bg.wasm` (SIMD128 only) where relaxed SIMD is missing — a module using it would not even compile
// there. Both come with the same JavaScript glue. `?wasm=simd128` on the page forces the plain build (benchmarks
// compare the two in one browser); the engine's workers get the choice through their own address.

// The smallest module that uses relaxed SIMD: (func (param v128 v128 v128) (result v128) f32x4.relaxed_madd).
const RELAXED_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) → v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // local.get ×3, relaxed_madd
);

export const hasRelaxedSimd = () => {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
};

/** The page's (or this worker's) `wasm` choice: 'simd128' forces the plain build; anything else is automatic. */
export const wasmChoice = (href = self.location.href) => new URL(href).searchParams.get('wasm') === 'simd128' ? 'simd128' : 'auto';

/** The address of the build to instantiate, next to the glue in pkg/. */
export function wasmUrl(choice = wasmChoice()) {
  const relaxed = choice !== 'simd128' && hasRelaxedSimd();
  return new URL(relaxed ? './pkg/lingbridge_relaxed_bg.wasm' : './pkg/lingbridge_bg.wasm', import.meta.url);
}

/** A worker script's address carrying this context's choice on. */
export function workerUrl(script, choice = wasmChoice()) {
  const url = new URL(script, import.meta.url);
  if (choice === 'simd128') url.searchParams.set('wasm', 'simd128');
  return url;
}
