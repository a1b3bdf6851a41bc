//! The binary's allocator: mimalloc, told to keep freed memory for ten seconds.
//!
//! mimalloc gives memory back to the OS a second after it falls free (v3's default purge delay;
//! v2's is 10 ms).
//! The producer and the server cycle hundreds of MiB through buffers (aggregates, PutRecords
//! bodies, records waiting for their calls) faster than that: each reuse faulted the pages back
//! in and had the kernel zero them, which measured a seventh of `riffle bench producer`'s CPU
//! (37,000 page faults for 3M records; 720 with a 10 s delay). Ten seconds keeps memory for
//! reuse under load and still returns it once a process goes quiet.

/// The request path allocates many small buffers (keys, blobs, answers); mimalloc serves them
/// measurably faster than the system allocator under concurrency.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`'s number in mimalloc v2 and v3 alike (mimalloc.h's `mi_option_e`);
/// libmimalloc-sys names only the options of older releases.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc's defaults for it, in milliseconds: v2's and v3's.
const DEFAULT_PURGE_DELAYS_MS: [std::ffi::c_long; 2] = [10, 1000];
const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

/// Sets the purge delay, unless it is not at a mimalloc default: then either
/// `MIMALLOC_PURGE_DELAY` set it (which wins), or option 15 is something else in this build of
/// mimalloc and is left alone.
pub fn keep_freed_memory() {
    // SAFETY: mi_option_get and mi_option_set take a plain enum value and a long, touch only
    // mimalloc's option table, and may be called from any thread at any time.
    #[allow(unsafe_code)]
    unsafe {
        if DEFAULT_PURGE_DELAYS_MS.contains(&libmimalloc_sys::mi_option_get(PURGE_DELAY)) {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The option this module sets is the purge delay: at its default before, and the new value
    /// after (a mimalloc that renumbered its options would fail here, not tune the wrong one).
    #[test]
    fn the_purge_delay_is_the_option_set() {
        #[allow(unsafe_code)]
        // SAFETY: as in keep_freed_memory.
        let before = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert!(super::DEFAULT_PURGE_DELAYS_MS.contains(&before), "option 15 is {before}");
        }
        super::keep_freed_memory();
        #[allow(unsafe_code)]
        // SAFETY: as in keep_freed_memory.
        let after = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(after, super::PURGE_DELAY_MS);
        }
    }
}
