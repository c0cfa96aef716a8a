/// A series together with the ascending order of its non-NaN values, sorted once and reused.
///
/// Ranking is the expensive part of the rank statistics (a radix sort of 50,000 values costs
/// about as much as everything else in ``FactorStatistics`` together). Any subset of the bars,
/// such as the bars where a factor and a forward return are both known, reads its own sorted
/// order off this one by filtering in O(n), so one sort per series serves every horizon, every
/// factor and the rank autocorrelation:
///
/// ```swift
/// let forward = [1, 4, 24].map { SortedSeries(FactorStatistics.forwardReturns(close: close, horizon: $0)) }
/// for candidate in factors {
///     let factor = SortedSeries(candidate)
///     let stats = zip([1, 4, 24], forward).map { h, r in
///         FactorStatistics.compute(factor: factor, forward: r, horizon: h, periodBars: 720)
///     }
/// }
/// ```
///
/// NaN values are left out of the order; ±∞ sort as ordinary values and -0.0 ties with +0.0.
/// Equal values keep their index order (a stable sort), which is pandas' `rank(method="first")`.
package struct SortedSeries: Sendable {
    /// The series as given, NaN included.
    package let values: [Double]
    /// Indices of the non-NaN values, ascending by value; equal values in index order.
    let order: [UInt32]
    /// The non-NaN values ascending: `sorted[k] == values[order[k]]`.
    let sorted: [Double]

    /// Sorts the non-NaN values of `values`.
    /// - Complexity: O(n): a 6-pass LSD radix sort on order-preserving 64-bit keys; allocates O(n).
    package init(_ values: [Double]) {
        precondition(values.count <= Int(Int32.max), "too many values to sort")   // Int32 pair indices
        self.values = values
        var keys: [UInt64] = [], order: [UInt32] = []
        keys.reserveCapacity(values.count)
        order.reserveCapacity(values.count)
        for i in values.indices where !values[i].isNaN {
            keys.append(RadixSort.key(values[i]))
            order.append(UInt32(truncatingIfNeeded: i))
        }
        let m = keys.count
        let scratchKeys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: Swift.max(m, 1))
        let scratchOrder = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: Swift.max(m, 1))
        defer { scratchKeys.deallocate(); scratchOrder.deallocate() }
        keys.withUnsafeMutableBufferPointer { keys in
            order.withUnsafeMutableBufferPointer { order in
                RadixSort.sort(keys: keys, payload: order, scratchKeys: scratchKeys,
                               scratchPayload: scratchOrder, count: m)
            }
        }
        self.order = order
        // From the keys, so -0.0 comes back as +0.0 and ties compare equal with ==.
        self.sorted = keys.map { RadixSort.value($0) }
    }
}

/// Pearson correlation of two rank vectors of length m whose mean is exactly (m + 1) / 2 (any
/// average ranks of m values), over `a[lo..<hi]` and `b[lo..<hi]` with m = hi - lo.
///
/// This is Spearman's ρ once the ranks are given. NaN when either vector is constant or m < 3,
/// as ``Stats/spearman(_:_:)``.
/// - Complexity: O(m).
func rankCorrelation(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                     _ lo: Int, _ hi: Int) -> Double {
    let m = hi - lo
    guard m >= 3 else { return .nan }
    let meanRank = Double(m + 1) / 2
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in lo..<hi {
        let da = a[i] - meanRank, db = b[i] - meanRank
        sab += da * db
        saa += da * da
        sbb += db * db
    }
    guard saa > 0 && sbb > 0 else { return .nan }
    let r = sab / (saa * sbb).squareRoot()
    return r > 1 ? 1 : (r < -1 ? -1 : r)
}

/// Writes 1-based average ranks of the ascending run `sorted[lo..<hi]` to `ranks[slot[k]]`
/// (`slot[k]` says where the k-th sorted value's rank goes). Returns false when every value in
/// the run is equal.
/// - Complexity: O(hi - lo).
@inline(__always)
func writeAverageRanks(sorted: UnsafeBufferPointer<Double>, slot: UnsafeBufferPointer<Int32>,
                       _ lo: Int, _ hi: Int, into ranks: UnsafeMutableBufferPointer<Double>) -> Bool {
    guard lo < hi else { return false }
    var a = lo
    while a < hi {
        var b = a + 1
        let v = sorted[a]
        while b < hi && sorted[b] == v { b += 1 }
        // Sorted positions a..<b share the mean of the run-relative ranks a-lo+1 ... b-lo.
        let rank = Double((a - lo) + (b - lo) + 1) / 2
        for k in a..<b { ranks[Int(slot[k])] = rank }
        a = b
    }
    return sorted[lo] != sorted[hi - 1]
}
