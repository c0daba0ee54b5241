//! A global allocator that keeps hostile length fields from aborting the process.
//!
//! The protocol decoder reserves `Vec` capacity from array counts read off the wire before it
//! reads the elements, so a 6-byte request claiming 2^31 entries asks for hundreds of GiB.
//! The system allocator refuses, and Rust aborts on allocation failure: one bad request would
//! kill the broker. This allocator serves every request of at least [`HUGE`] bytes with an
//! anonymous `mmap(MAP_NORESERVE)`: the kernel hands out address space without reserving
//! memory, the decoder then fails on the missing bytes after touching only a few pages, and
//! the mapping is returned untouched. Smaller requests go to the system allocator unchanged.
//! (Under `vm.overcommit_memory=2` the kernel ignores MAP_NORESERVE and the guard cannot help.)

use std::alloc::{GlobalAlloc, Layout, System};

/// Allocations at least this large bypass the system allocator.
pub const HUGE: usize = 1 << 30;

/// The guarded allocator; install with `#[global_allocator]`.
pub struct GuardedAlloc;

#[allow(unsafe_code)]
unsafe impl GlobalAlloc for GuardedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= HUGE && layout.align() <= page_size() {
            return map(layout.size());
        }
        // SAFETY: forwarding the caller's valid layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= HUGE && layout.align() <= page_size() {
            // Fresh anonymous mappings are zero-filled.
            return map(layout.size());
        }
        // SAFETY: forwarding the caller's valid layout.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= HUGE && layout.align() <= page_size() {
            // SAFETY: ptr/size came from our own mmap of exactly this size.
            unsafe { libc::munmap(ptr.cast(), layout.size()) };
            return;
        }
        // SAFETY: ptr was allocated by System with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_huge = layout.size() >= HUGE && layout.align() <= page_size();
        let new_huge = new_size >= HUGE && layout.align() <= page_size();
        if !old_huge && !new_huge {
            // SAFETY: both sides are System's; the caller guarantees the contract.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: new_size is non-zero (GlobalAlloc contract) and the alignment is unchanged.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: allocate, copy the smaller of the two sizes, free the old block.
        unsafe {
            let new_ptr = self.alloc(new_layout);
            if !new_ptr.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new_ptr
        }
    }
}

#[allow(unsafe_code)]
fn map(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping has no preconditions; failure is MAP_FAILED.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        ptr.cast()
    }
}

fn page_size() -> usize {
    4096
}
