//! The GPU adapters a test runs on: every adapter wgpu enumerates natively (lavapipe here, a real GPU when there is
//! one), the browser's WebGPU adapter in wasm (SwiftShader in headless Chrome).
//!
//! No adapter: the test prints why and passes, except when built or run with CI=true, where lavapipe and Chrome's
//! WebGPU are installed and a missing adapter means the GPU path is not being tested at all.

/// Whether this run is CI's. In wasm the environment is the build's (wasm-pack test inherits it).
pub fn in_ci() -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    let ci = std::env::var("CI").ok();
    #[cfg(target_arch = "wasm32")]
    let ci = option_env!("CI").map(str::to_string);
    ci.is_some_and(|v| v == "true")
}

pub async fn adapters(test: &str) -> Vec<wgpu::Adapter> {
    #[cfg(not(target_arch = "wasm32"))]
    let found = lingbridge::encode::gpu::device::instance().enumerate_adapters(wgpu::Backends::all()).await;
    #[cfg(target_arch = "wasm32")]
    let found: Vec<wgpu::Adapter> = lingbridge::encode::gpu::device::request_adapter().await.into_iter().collect();
    if found.is_empty() {
        let msg = format!("{test}: no GPU adapter (native: install mesa-vulkan-drivers for lavapipe; browser: WebGPU)");
        if in_ci() {
            panic!("{msg} — CI provides one, so this is a failure");
        }
        eprintln!("{msg}; skipping");
    }
    found
}
