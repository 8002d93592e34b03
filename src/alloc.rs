//! The global allocator and memory accounting.
//!
//! The binary installs [`Counting`]: jemalloc (the `jemalloc` feature, on by default) or the
//! system malloc, plus one relaxed atomic add per allocation and free, so that INFO's
//! `used_memory` and the `maxmemory` check before each command are one atomic load, as
//! Redis's `zmalloc_used_memory()` is. Like Redis with jemalloc, the counter holds the
//! *usable* size of each block (its size class), not the size asked for: that is what the
//! allocator really hands out, so evicting until the counter is under `maxmemory` frees
//! what it claims to.
//!
//! # Why jemalloc
//! Measured with `../shared/bench/compare.sh` (1M keys, 16-byte names) on the keyspace
//! layout of `storage/keytable.rs`, whose 48-byte nodes were sized for jemalloc's classes
//! (8, 16, 32, 48, 64, 80... with no per-block header): glibc puts an 8-byte header in
//! front of each block and rounds to 16, so the same node costs 64 bytes there. The
//! figures are in `docs/design.md` (Memory). jemalloc also gives `MEMORY STATS`,
//! `MEMORY MALLOC-STATS` and `MEMORY PURGE` something real to report and do.
//!
//! A library user (the in-process integration tests) may not install [`Counting`]; then
//! [`allocated`] returns `None` and INFO falls back to RSS.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[cfg(not(feature = "jemalloc"))]
use std::alloc::System as Inner;
#[cfg(feature = "jemalloc")]
use tikv_jemallocator::Jemalloc as Inner;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
/// Highest [`allocated`] seen by [`update_peak`] (INFO `used_memory_peak`).
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The allocator's name as INFO `mem_allocator` reports it.
#[cfg(feature = "jemalloc")]
pub const ALLOCATOR_NAME: &str = "jemalloc-5.3.0";
#[cfg(not(feature = "jemalloc"))]
pub const ALLOCATOR_NAME: &str = "libc";

pub struct Counting;

/// Bytes the allocator really reserves for a request of `size` bytes: jemalloc's size
/// class (4 classes per doubling above 128, 16-byte steps below, 8 for the tiniest).
/// Requests with an alignment above 16 are rare (none in the keyspace) and counted by size.
#[cfg(feature = "jemalloc")]
#[inline]
pub fn usable_size(size: usize) -> usize {
    if size <= 8 {
        8
    } else if size <= 128 {
        (size + 15) & !15
    } else {
        let lg = usize::BITS - 1 - (size - 1).leading_zeros();
        let step = 1usize << (lg - 2);
        (size + step - 1) & !(step - 1)
    }
}

/// glibc: an 8-byte header in front of each block, blocks in 16-byte steps, 32 at least.
/// Counted without the header, as `malloc_usable_size` reports it.
#[cfg(not(feature = "jemalloc"))]
#[inline]
pub fn usable_size(size: usize) -> usize {
    ((size + 8 + 15) & !15).max(32) - 8
}

// SAFETY: every method forwards to the inner allocator with the same arguments and only
// adds bookkeeping on an atomic counter, so its guarantees carry over unchanged.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds GlobalAlloc's contract.
        let p = unsafe { Inner.alloc(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(usable_size(layout.size()), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for alloc.
        let p = unsafe { Inner.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(usable_size(layout.size()), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator with this layout (caller's contract).
        unsafe { Inner.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(usable_size(layout.size()), Ordering::Relaxed);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds GlobalAlloc's contract.
        let p = unsafe { Inner.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            ALLOCATED.fetch_add(usable_size(new_size), Ordering::Relaxed);
            ALLOCATED.fetch_sub(usable_size(layout.size()), Ordering::Relaxed);
        }
        p
    }
}

/// Mark the counting allocator as installed (called by the binary at start-up).
pub fn activate() {
    ACTIVE.store(true, Ordering::Relaxed);
}

/// Bytes currently allocated through [`Counting`], if it is the global allocator.
#[inline]
pub fn allocated() -> Option<usize> {
    ACTIVE
        .load(Ordering::Relaxed)
        .then(|| ALLOCATED.load(Ordering::Relaxed))
}

/// Record the current allocation in the peak and return the peak (the cron and INFO call
/// this, as Redis samples `stat_peak_memory`); `None` without the counting allocator.
pub fn update_peak() -> Option<usize> {
    let used = allocated()?;
    Some(PEAK.fetch_max(used, Ordering::Relaxed).max(used))
}

/// CONFIG RESETSTAT: the peak starts again from the current use.
pub fn reset_peak() {
    PEAK.store(allocated().unwrap_or(0), Ordering::Relaxed);
}

/// The allocator's own view (jemalloc `stats.*`), for INFO's `allocator_*` fields and
/// MEMORY STATS. `None` without jemalloc, or when it is not the global allocator.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllocatorStats {
    /// Bytes in blocks handed out (`stats.allocated`).
    pub allocated: usize,
    /// Bytes in active pages, i.e. with at least one live block (`stats.active`).
    pub active: usize,
    /// Bytes in physically resident pages the allocator maps (`stats.resident`).
    pub resident: usize,
    /// Bytes of the allocator's own metadata (`stats.metadata`).
    pub metadata: usize,
    /// Bytes mapped by the allocator (`stats.mapped`).
    pub mapped: usize,
}

#[cfg(feature = "jemalloc")]
pub fn allocator_stats() -> Option<AllocatorStats> {
    use tikv_jemalloc_ctl::{epoch, stats};
    if !ACTIVE.load(Ordering::Relaxed) {
        return None;
    }
    // The statistics are a snapshot refreshed by advancing the epoch.
    epoch::advance().ok()?;
    Some(AllocatorStats {
        allocated: stats::allocated::read().ok()?,
        active: stats::active::read().ok()?,
        resident: stats::resident::read().ok()?,
        metadata: stats::metadata::read().ok()?,
        mapped: stats::mapped::read().ok()?,
    })
}

#[cfg(not(feature = "jemalloc"))]
pub fn allocator_stats() -> Option<AllocatorStats> {
    None
}

/// MEMORY PURGE: ask the allocator to return dirty pages to the system. Returns false when
/// there is nothing to ask (not jemalloc).
#[cfg(feature = "jemalloc")]
pub fn purge() -> bool {
    if !ACTIVE.load(Ordering::Relaxed) {
        return false;
    }
    // "arena.<MALLCTL_ARENAS_ALL>.purge", as Redis's jemalloc_purge().
    let name = b"arena.4096.purge\0";
    // SAFETY: a valid NUL-terminated mallctl name; this control takes no old or new value,
    // so null pointers with zero lengths are what it expects.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr().cast(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    rc == 0
}

#[cfg(not(feature = "jemalloc"))]
pub fn purge() -> bool {
    false
}

/// MEMORY MALLOC-STATS: the allocator's own report (`malloc_stats_print`).
#[cfg(feature = "jemalloc")]
pub fn malloc_stats() -> String {
    if !ACTIVE.load(Ordering::Relaxed) {
        return "Stats not supported for the current allocator".into();
    }
    let mut out = Vec::new();
    let opts = tikv_jemalloc_ctl::stats_print::Options::default();
    match tikv_jemalloc_ctl::stats_print::stats_print(&mut out, opts) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => "Stats not supported for the current allocator".into(),
    }
}

#[cfg(not(feature = "jemalloc"))]
pub fn malloc_stats() -> String {
    "Stats not supported for the current allocator".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "jemalloc")]
    #[test]
    fn jemalloc_size_classes() {
        let cases = [
            (1, 8),
            (8, 8),
            (9, 16),
            (17, 32),
            (33, 48),
            (48, 48),
            (100, 112),
            (128, 128),
            (129, 160),
            (256, 256),
            (257, 320),
            (4097, 5120),
            (14336, 14336),
            (16385, 20480),
        ];
        for (req, class) in cases {
            assert_eq!(usable_size(req), class, "request {req}");
        }
    }
}
