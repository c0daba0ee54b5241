//! glibc malloc settings for a broker's allocation pattern: request and fetch buffers of up to
//! a few MiB, allocated and freed thousands of times a second.
//!
//! By default glibc serves such sizes with fresh `mmap`s (or trims freed heap tops back to
//! the kernel), so every produce frame and every fetch read page-faults its memory in and the
//! kernel zeroes it first: a profile of a 1 KiB-record consume showed a third of the broker's
//! CPU in page faults and page clearing. Keeping these sizes on the heap, and keeping freed
//! memory for reuse, makes them ordinary heap allocations. Peak RSS is unchanged (memory is
//! kept only up to what was once in use); RSS after a burst stays at that peak.

/// Buffers up to this size come from the heap (glibc's ceiling for the setting on 64-bit).
const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at a heap's top kept for reuse instead of returned to the kernel.
const TRIM_THRESHOLD: i32 = 64 << 20;

/// Applies the settings; call once at start-up, before serving.
#[allow(unsafe_code)]
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
