//! The C allocator's arenas: one per core instead of glibc's eight per core.
//!
//! glibc hands a thread that finds every arena locked a new one, up to eight per core, and memory
//! freed into an arena is reused by that arena alone. The server's threads (HTTP workers, the
//! blocking pool that runs the database calls) spread their allocations over all of them: under
//! database-bound reads the process held 101–106 MB resident, against 69 MB with one arena per
//! core at the same throughput (docs/BENCHMARKS.md). `MALLOC_ARENA_MAX` in the environment, read
//! by glibc itself, still decides when an operator sets it.

/// Caps glibc's malloc arenas at the number of cores, unless `MALLOC_ARENA_MAX` is set. Call it
/// first in `main`, before any thread starts. Returns whether the cap was set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_arenas() -> bool {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return false;
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
    // SAFETY: `mallopt` takes two integers and changes one of the allocator's settings under the
    // allocator's own lock; it touches no memory of ours. The one unsafe call of the workspace
    // (scripts/lint checks that).
    #[allow(unsafe_code)]
    let set = unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    set == 1
}

/// Other C libraries have their own allocators: nothing to set.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() -> bool {
    false
}
