/// Scratch memory for one statistics call: a single allocation handed out as typed buffers and
/// freed as a whole when the arena goes out of scope.
///
/// The rank statistics need a dozen O(n) work buffers per call. As separate arrays, the
/// allocator returned them to the system after every call and the next call paid a page fault
/// per 4 KB again: at n = 50,000 that was more than half of ``FactorStatistics``' time. One
/// allocation of the same total stays reusable. Buffers are not initialized; every caller writes
/// before it reads. In debug builds each buffer is filled with NaN / all-ones bits first, so a
/// read before a write shows up in the tests.
struct ScratchArena: ~Copyable {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0

    /// Room for `bytes` bytes plus 16 bytes of alignment padding per buffer, for `buffers` buffers.
    init(bytes: Int, buffers: Int) {
        capacity = bytes + 16 * buffers
        base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(capacity, 1), alignment: 16)
    }

    deinit { base.deallocate() }

    /// The next `count` elements of type `T` (uninitialized; `T` must be a trivial type).
    mutating func take<T: BitwiseCopyable>(_ type: T.Type, _ count: Int) -> UnsafeMutableBufferPointer<T> {
        let start = (used + 15) & ~15
        let end = start + count * MemoryLayout<T>.stride
        precondition(end <= capacity, "scratch arena too small")
        used = end
        #if DEBUG
        (base + start).initializeMemory(as: UInt8.self, repeating: 0xFF, count: end - start)
        #endif
        let pointer = (base + start).bindMemory(to: T.self, capacity: count)
        return UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
