//! glibc's malloc settings for training. By default glibc serves every buffer above 128 KiB–32 MiB (a dynamic
//! threshold) with its own mmap and returns freed memory to the kernel at once, so each of the thousands of
//! activation and gradient buffers a training step allocates arrives as fresh pages the kernel must zero: perf
//! showed 38 % of a step in `clear_page_erms` (models/README.md). Keeping freed memory in the process instead
//! took an update of 32 pairs from 11.7 s to 8.9 s with the same losses. Memory then stays at the step's peak,
//! which is why only the training commands ask for it. A setting given through glibc's own environment
//! variables (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, `MALLOC_ARENA_MAX`) is left as given.

/// Buffers up to this size come from the heap (and are reused) rather than from a fresh mmap; glibc's upper
/// limit on 64-bit.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 32 * 1024 * 1024;
/// Two arenas for the two threads of a step's matmuls rather than eight per core, each holding its own peak.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENA_MAX: i32 = 2;

/// Called first thing by the training commands (a no-op off glibc). mallopt's failures (it returns 0) only
/// cost speed, so they are not errors.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let unset = |name: &str| std::env::var_os(name).is_none();
        // SAFETY: mallopt only changes allocator parameters; main calls this before any other thread exists.
        unsafe {
            if unset("MALLOC_MMAP_THRESHOLD_") {
                libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            }
            // The largest value mallopt takes: the heap's top is trimmed only when over 2 GiB of it are free.
            if unset("MALLOC_TRIM_THRESHOLD_") {
                libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
            }
            if unset("MALLOC_ARENA_MAX") {
                libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX);
            }
        }
    }
}
