import CVerityCPU

/// Malloc settings for the long-running commands (node, worker, auditor, benchmarks), which
/// allocate and free tensors of 0.1–30 MB per inference or audit. glibc serves blocks above its
/// mmap threshold with fresh mappings and unmaps them on free, so each such allocation faults
/// its pages in again, zeroed by the kernel: reading a 128-token audit bundle (15 MB of
/// tensors) cost 6 ms that way, more than the checks. Serving them from the heap and keeping
/// freed memory for reuse removes that; the process keeps its peak heap (reused, not grown).
public enum ProcessMemory {
    /// Applies the settings (glibc only); true when they were taken.
    @discardableResult
    public static func reuseFreedMemory() -> Bool {
        verity_malloc_reuse_freed() == 1
    }
}
