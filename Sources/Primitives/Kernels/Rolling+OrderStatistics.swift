// Rolling median, quantile and percentile rank (pandas semantics).
//
// Windows up to `smallWindowLimit` keep the window's values in a `SortedWindow` (two binary
// searches and a short memmove per bar), which all three statistics read. Larger windows sort the whole series once (radix sort), then keep the window
// as counts in a Fenwick tree indexed by global sorted position: O(log n) per insert, delete,
// rank and k-th-smallest query.

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
    /// - Complexity: as `percentRank`; allocates O(window) resp. O(n) scratch once.
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
    ///   for window <= 256, else O(n log n) with O(n) scratch.
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
    private static func treeWindows(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                    into out: UnsafeMutableBufferPointer<Double>, output: OrderOutput?) {
        let ranks = GlobalRanks(x, withUpperRanks: output == nil)
        defer { ranks.deallocate() }
        let tree = FenwickCounts(size: ranks.count)
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
            for i in run.lo..<run.hi {
                tree.add(Int(ranks.rank[i]), 1)
                if i >= first {
                    if let output {
                        out[i] = pick(output, window: w, from: TreeWindow(tree: tree, sorted: ranks.sorted))
                    } else {
                        out[i] = Double(tree.countUpTo(Int(ranks.upper[i]))) / period
                    }
                    tree.add(Int(ranks.rank[i - w + 1]), -1)
                }
            }
            // Empty the tree for the next run: the last w - 1 bars are still counted.
            for i in Swift.max(run.lo, run.hi - w + 1)..<run.hi {
                tree.add(Int(ranks.rank[i]), -1)
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

/// Global sorted order of a series' non-NaN values: `sorted[p]` is the p-th smallest,
/// `rank[i]` the position of bar i (-1 for NaN), `upper[i]` the last position holding a value
/// equal to bar i (only when requested).
/// Owns its buffers: call `deallocate()` once.
struct GlobalRanks {
    let sorted: UnsafeMutableBufferPointer<Double>
    let rank: UnsafeMutableBufferPointer<Int32>
    let upper: UnsafeMutableBufferPointer<Int32>
    let count: Int

    init(_ x: UnsafeBufferPointer<Double>, withUpperRanks: Bool) {
        let n = x.count
        let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: Swift.max(n, 1))
        let payload = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: Swift.max(n, 1))
        let scratchKeys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: Swift.max(n, 1))
        let scratchPayload = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: Swift.max(n, 1))
        defer {
            keys.deallocate(); payload.deallocate()
            scratchKeys.deallocate(); scratchPayload.deallocate()
        }
        var m = 0
        for i in 0..<n where !x[i].isNaN {
            keys[m] = RadixSort.key(x[i])
            payload[m] = UInt32(truncatingIfNeeded: i)
            m += 1
        }
        RadixSort.sort(keys: keys, payload: payload, scratchKeys: scratchKeys,
                       scratchPayload: scratchPayload, count: m)
        count = m
        sorted = .allocate(capacity: Swift.max(m, 1))
        rank = .allocate(capacity: Swift.max(n, 1))
        upper = .allocate(capacity: withUpperRanks ? Swift.max(n, 1) : 1)
        rank.update(repeating: -1)
        for p in 0..<m {
            sorted[p] = RadixSort.value(keys[p])
            rank[Int(payload[p])] = Int32(truncatingIfNeeded: p)
        }
        if withUpperRanks {
            var start = 0
            while start < m {
                var end = start + 1
                while end < m && keys[end] == keys[start] { end += 1 }
                for p in start..<end { upper[Int(payload[p])] = Int32(truncatingIfNeeded: end - 1) }
                start = end
            }
        }
    }

    func deallocate() {
        sorted.deallocate()
        rank.deallocate()
        upper.deallocate()
    }
}

/// Fenwick (binary indexed) tree of counts over positions 0..<size. Owns its buffer: call
/// `deallocate()` once.
struct FenwickCounts {
    private let tree: UnsafeMutableBufferPointer<Int32>
    private let size: Int
    private let topBit: Int

    init(size: Int) {
        self.size = size
        tree = .allocate(capacity: size + 1)
        tree.update(repeating: 0)
        var bit = 1
        while bit * 2 <= size { bit *= 2 }
        topBit = bit
    }

    func deallocate() { tree.deallocate() }

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
