/// Event kernels on series and masks (DESIGN §3.2 "Events"). Masks are 1.0 / 0.0; a comparison
/// involving NaN is false.
package enum Events {}

extension Events {
    /// 1 where `a` crosses above `b`: `a[t] > b[t]` and `a[t-1] <= b[t-1]`, all four values
    /// non-NaN; else 0. `out[0]` is 0 (there is no previous bar).
    /// - Complexity: O(n), no allocation.
    package static func crossover(_ a: UnsafeBufferPointer<Double>, _ b: Operand,
                                  into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == a.count)
        switch b {
        case .series(let s): cross(a, SeriesSource(values: s), into: out, above: true)
        case .scalar(let v): cross(a, ScalarSource(value: v), into: out, above: true)
        }
    }

    /// 1 where `a` crosses below `b`: `a[t] < b[t]` and `a[t-1] >= b[t-1]`, all four values
    /// non-NaN; else 0. `out[0]` is 0.
    /// - Complexity: O(n), no allocation.
    package static func crossunder(_ a: UnsafeBufferPointer<Double>, _ b: Operand,
                                   into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == a.count)
        switch b {
        case .series(let s): cross(a, SeriesSource(values: s), into: out, above: false)
        case .scalar(let v): cross(a, ScalarSource(value: v), into: out, above: false)
        }
    }

    @inline(__always)
    private static func cross<B: ElementSource>(_ a: UnsafeBufferPointer<Double>, _ b: B,
                                                into out: UnsafeMutableBufferPointer<Double>, above: Bool) {
        let n = a.count
        guard n > 0 else { return }
        out[0] = 0
        // Every comparison with NaN is false, so the NaN rule needs no extra test.
        var previousA = a[0], previousB = b[0]
        for i in 1..<n {
            let currentA = a[i], currentB = b[i]
            let crossed = above
                ? (currentA > currentB && previousA <= previousB)
                : (currentA < currentB && previousA >= previousB)
            out[i] = crossed ? 1 : 0
            previousA = currentA
            previousB = currentB
        }
    }

    /// Bars since the mask was last true: 0 on a true bar (non-zero, not NaN), k bars after it;
    /// NaN before the first true bar. A NaN mask bar counts as false.
    /// - Complexity: O(n), no allocation.
    package static func barsSince(_ mask: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == mask.count)
        var count = Double.nan         // NaN + 1 stays NaN until the first true bar
        for i in 0..<mask.count {
            let m = mask[i]
            count = (m != 0 && !m.isNaN) ? 0 : count + 1
            out[i] = count
        }
    }
}
