extension Rolling {
    /// Highest value of the last `window` bars (TA-Lib `MAX`).
    ///
    /// Lookback `window - 1`. A NaN gives NaN for every window holding it (±infinity is an
    /// ordinary value here).
    /// - Complexity: O(n) for any window (van Herk / Gil-Werman); allocates O(window) scratch.
    package static func max(_ x: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        extreme(x, window: w, into: out, maximum: true)
    }

    /// Lowest value of the last `window` bars (TA-Lib `MIN`).
    ///
    /// Lookback `window - 1`; NaN handling as `max`.
    /// - Complexity: O(n) for any window; allocates O(window) scratch.
    package static func min(_ x: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        extreme(x, window: w, into: out, maximum: false)
    }

    @inline(__always)
    private static func extreme(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                into out: UnsafeMutableBufferPointer<Double>, maximum: Bool) {
        let n = x.count
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: w)
        defer { scratch.deallocate() }
        var pos = 0
        while pos < n {
            let run = Runs.nonNaN(x, from: pos)
            writeNaN(out, pos, Swift.min(run.lo + w - 1, run.hi))
            rollingExtreme(x, run.lo, run.hi, w, scratch: scratch, into: out, maximum: maximum)
            pos = run.hi
        }
    }
}
