// Rolling median, quantile and percentile rank (pandas semantics).
//
// Windows up to `smallWindowLimit` keep the window's values in a `SortedWindow` (two binary
// searches and a short memmove per bar), which all three statistics read. Larger windows sort
// each stretch of outputs together with the window before it (radix sort), then keep the window
// as counts in a Fenwick tree indexed by sorted position: O(log window) per insert, delete, rank
// and k-th-smallest query, and O(window) memory.

private let smallWindowLimit = 256

private enum OrderOutput {
    case median
    case quantile(Double)
}

extension Rolling {
    /// Median of the last `window` values (pandas `rolling(window).median()`).
    ///
    /// Lookback `window - 1`. A NaN gives NaN for every window holding it (pandas' default
    /// `min_periods = window`); ±infinity are ordinary values. Even windows average the two middle
    /// values, `(a + b) / 2`.
    /// - Complexity: as `percentRank`.
    package static func median(_ x: UnsafeBufferPointer<Double>, window w: Int,
                               into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        orderStatistic(x, window: w, into: out, output: .median)
    }

    /// Quantile `q` of the last `window` values with linear interpolation (pandas
    /// `rolling(window).quantile(q, interpolation="linear")`).
    ///
    /// Lookback `window - 1`; NaN handling as `median`. With `h = q·(window-1)` and `j = ⌊h⌋`:
    /// `v[j] + (v[j+1] - v[j])·(h - j)`, exactly `v[j]` when `h` is integral.
    /// - Complexity: as `median`.
    package static func quantile(_ x: UnsafeBufferPointer<Double>, window w: Int, probability q: Double,
                                 into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count && q >= 0 && q <= 1)
        orderStatistic(x, window: w, into: out, output: .quantile(q))
    }

    /// Fraction of the last `window` values that are `<=` the current one, in (0, 1]
    /// (pandas `rolling(window).rank(method="max", pct=True)`).
    ///
    /// Lookback `window - 1`; NaN handling as `median`. Always defined on a full window: a window
    /// of equal values gives 1.0.
    /// - Complexity: O(n log window) compares plus a memmove of at most `window` values per bar
    ///   for window <= 256, else O(n log window); O(window) scratch (at least 4096 values).
    package static func percentRank(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                    into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        if w <= smallWindowLimit {
            percentRankInSortedWindow(x, window: w, into: out)
        } else {
            treeWindows(x, window: w, into: out, output: nil)
        }
    }

    // MARK: - Small windows

    @inline(__always)
    private static func percentRankInSortedWindow(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                              into out: UnsafeMutableBufferPointer<Double>) {
        let period = Double(w)   // pandas divides; so do we, for identical results
        slideSortedWindows(x, window: w, into: out) { Double($0.atMostEntered) / period }
    }

    @inline(__always)
    private static func orderStatistic(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                       into out: UnsafeMutableBufferPointer<Double>, output: OrderOutput) {
        if w > smallWindowLimit {
            treeWindows(x, window: w, into: out, output: output)
            return
        }
        slideSortedWindows(x, window: w, into: out) { pick(output, window: w, from: $0) }
    }

    /// Slides a `SortedWindow` over each non-NaN run of `x`, writing `statistic(window)` for every
    /// full window and NaN elsewhere.
    @inline(__always)
    private static func slideSortedWindows(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                           into out: UnsafeMutableBufferPointer<Double>,
                                           _ statistic: (SortedWindow) -> Double) {
        let n = x.count
        var window = SortedWindow(capacity: w)
        defer { window.deallocate() }
        var pos = 0
        while pos < n {
            let run = Runs.nonNaN(x, from: pos)
            let first = run.lo + w - 1
            writeNaN(out, pos, Swift.min(first, run.hi))
            pos = run.hi
            guard first < run.hi else { continue }
            window.removeAll()
            for i in run.lo...first { window.insert(x[i]) }
            out[first] = statistic(window)
            for i in (first + 1)..<run.hi {
                window.replace(leaving: x[i - w], entering: x[i])
                out[i] = statistic(window)
            }
        }
    }

    /// The statistic from the window's sorted order, read through `view.smallest(k)`.
    @inline(__always)
    private static func pick<View: OrderedWindow>(_ output: OrderOutput, window w: Int,
                                                 from view: View) -> Double {
        switch output {
        case .median:
            let middle = w / 2
            if w % 2 == 1 { return view.smallest(middle) }
            return (view.smallest(middle) + view.smallest(middle - 1)) / 2
        case .quantile(let q):
            if w == 1 { return view.smallest(0) }
            let h = q * Double(w - 1)
            let j = Int(h)
            let low = view.smallest(j)
            if h == Double(j) { return low }
            let high = view.smallest(j + 1)
            return low + (high - low) * (h - Double(j))
        }
    }

    // MARK: - Large windows

    /// Slides a window of Fenwick counts over each non-NaN run; writes the percent rank when
    /// `output` is nil, else the order statistic.
    ///
    /// The outputs go in stretches of `stretch` bars. The windows ending in a stretch hold only the
    /// stretch and the w - 1 bars before it, so those values are sorted (radix sort) and counted in
    /// a tree of that size: memory O(window + stretch), not O(n). Each stretch re-inserts its
    /// w - 1 leading bars; a stretch of at least 4096 bars keeps that and the sort's fixed cost
    /// small per output.
    private static func treeWindows(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                    into out: UnsafeMutableBufferPointer<Double>, output: OrderOutput?) {
        let stretch = Swift.max(w, 4096)
        let capacity = Swift.min(stretch + w - 1, x.count)      // never more than the series
        var ranks = StretchRanks(capacity: capacity, withUpperRanks: output == nil)
        defer { ranks.deallocate() }
        var tree = FenwickCounts(capacity: capacity)
        defer { tree.deallocate() }
        let period = Double(w)   // pandas divides; so do we, for identical results
        let n = x.count
        var pos = 0
        while pos < n {
            let run = Runs.nonNaN(x, from: pos)
            let first = run.lo + w - 1
            writeNaN(out, pos, Swift.min(first, run.hi))
            pos = run.hi
            guard first < run.hi else { continue }
            for start in stride(from: first, to: run.hi, by: stretch) {
                let end = Swift.min(start + stretch, run.hi)
                let base = start - (w - 1)                   // the stretch's first value
                ranks.rank(UnsafeBufferPointer(rebasing: x[base..<end]))
                tree.reset(size: end - base)
                for j in 0..<(w - 1) { tree.add(Int(ranks.rank[j]), 1) }
                for i in start..<end {
                    let j = i - base
                    tree.add(Int(ranks.rank[j]), 1)
                    if let output {
                        out[i] = pick(output, window: w, from: TreeWindow(tree: tree, sorted: ranks.sorted))
                    } else {
                        out[i] = Double(tree.countUpTo(Int(ranks.upper[j]))) / period
                    }
                    tree.add(Int(ranks.rank[j - (w - 1)]), -1)
                }
            }
        }
    }
}

/// Read access to the k-th smallest value (0-based) of the current window.
private protocol OrderedWindow {
    func smallest(_ k: Int) -> Double
}

extension SortedWindow: OrderedWindow {}

private struct TreeWindow: OrderedWindow {
    let tree: FenwickCounts
    let sorted: UnsafeMutableBufferPointer<Double>
    @inline(__always) func smallest(_ k: Int) -> Double { sorted[tree.kthSmallest(k)] }
}

/// Sorted order of a stretch of values without NaN: `sorted[p]` is the p-th smallest, `rank[j]`
/// the position of value j, `upper[j]` the last position holding a value equal to value j (only
/// when requested). Buffers of a fixed capacity, reused stretch after stretch; call
/// `deallocate()` once.
struct StretchRanks {
    let sorted: UnsafeMutableBufferPointer<Double>
    let rank: UnsafeMutableBufferPointer<Int32>
    let upper: UnsafeMutableBufferPointer<Int32>
    private let keys: UnsafeMutableBufferPointer<UInt64>, scratchKeys: UnsafeMutableBufferPointer<UInt64>
    private let payload: UnsafeMutableBufferPointer<UInt32>, scratchPayload: UnsafeMutableBufferPointer<UInt32>
    private let withUpperRanks: Bool

    init(capacity: Int, withUpperRanks: Bool) {
        let c = Swift.max(capacity, 1)
        sorted = .allocate(capacity: c)
        rank = .allocate(capacity: c)
        upper = .allocate(capacity: withUpperRanks ? c : 1)
        keys = .allocate(capacity: c); scratchKeys = .allocate(capacity: c)
        payload = .allocate(capacity: c); scratchPayload = .allocate(capacity: c)
        self.withUpperRanks = withUpperRanks
    }

    mutating func rank(_ x: UnsafeBufferPointer<Double>) {
        let m = x.count
        precondition(m <= sorted.count)
        for i in 0..<m {
            keys[i] = RadixSort.key(x[i])
            payload[i] = UInt32(truncatingIfNeeded: i)
        }
        RadixSort.sort(keys: keys, payload: payload, scratchKeys: scratchKeys,
                       scratchPayload: scratchPayload, count: m)
        for p in 0..<m {
            sorted[p] = RadixSort.value(keys[p])
            rank[Int(payload[p])] = Int32(truncatingIfNeeded: p)
        }
        guard withUpperRanks else { return }
        var start = 0
        while start < m {
            var end = start + 1
            while end < m && keys[end] == keys[start] { end += 1 }
            for p in start..<end { upper[Int(payload[p])] = Int32(truncatingIfNeeded: end - 1) }
            start = end
        }
    }

    func deallocate() {
        sorted.deallocate(); rank.deallocate(); upper.deallocate()
        keys.deallocate(); scratchKeys.deallocate(); payload.deallocate(); scratchPayload.deallocate()
    }
}

/// Fenwick (binary indexed) tree of counts over positions 0..<size, `size` up to the capacity
/// and set by `reset`. Owns its buffer: call `deallocate()` once.
struct FenwickCounts {
    private let tree: UnsafeMutableBufferPointer<Int32>
    private var size = 0
    private var topBit = 0

    init(capacity: Int) {
        tree = .allocate(capacity: capacity + 1)
    }

    func deallocate() { tree.deallocate() }

    /// Empties the tree and sizes it to `size` positions.
    mutating func reset(size: Int) {
        precondition(size < tree.count)
        self.size = size
        UnsafeMutableBufferPointer(rebasing: tree[0...size]).update(repeating: 0)
        var bit = 1
        while bit * 2 <= size { bit *= 2 }
        topBit = bit
    }

    @inline(__always)
    func add(_ position: Int, _ delta: Int32) {
        var i = position + 1
        while i <= size { tree[i] &+= delta; i += i & -i }
    }

    /// Number of counted entries at positions `0...position`.
    @inline(__always)
    func countUpTo(_ position: Int) -> Int {
        var i = position + 1, total = 0
        while i > 0 { total += Int(tree[i]); i -= i & -i }
        return total
    }

    /// Position of the `k`-th smallest counted entry (0-based `k`).
    @inline(__always)
    func kthSmallest(_ k: Int) -> Int {
        var position = 0, remaining = Int32(truncatingIfNeeded: k + 1)
        var step = topBit
        while step > 0 {
            let next = position + step
            if next <= size && tree[next] < remaining {
                position = next
                remaining -= tree[next]
            }
            step >>= 1
        }
        return position
    }
}
