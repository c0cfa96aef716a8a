import LuaSandboxC

/// The C allocator's handling of series-sized blocks, for the whole process.
public enum SeriesMemory {
    /// Keeps freed blocks of up to 256 MiB in the process and serves blocks that size from the
    /// heap, so the next primitive's result reuses the last one's pages instead of faulting fresh,
    /// zeroed pages in (glibc otherwise returns a large freed block to the kernel: for three
    /// 1M-bar results that cost ten times the kernel that filled them). Process-wide and
    /// irreversible: the `llmalpha` command and `scripts/bench` call it at start; an application
    /// embedding `LLMAlpha` decides for itself.
    /// - Returns: whether it took effect (only with glibc).
    @discardableResult
    public static func keepFreedBlocks() -> Bool { llma_keep_freed_series_memory() == 1 }
}
