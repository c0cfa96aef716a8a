import SIMDKernelsC

/// Event kernels on series and masks (DESIGN §3.2 "Events"). Masks are 1.0 / 0.0; a comparison
/// involving NaN is false.
package enum Events {}

extension Events {
    /// 1 where `a` crosses above `b`: `a[t] > b[t]` and `a[t-1] <= b[t-1]`, all four values
    /// non-NaN; else 0. `out[0]` is 0 (there is no previous bar).
    /// - Complexity: O(n), no allocation.
    package static func crossover(_ a: UnsafeBufferPointer<Double>, _ b: Operand,
                                  into out: UnsafeMutableBufferPointer<Double>) {
        cross(a, b, into: out, above: true)
    }

    /// 1 where `a` crosses below `b`: `a[t] < b[t]` and `a[t-1] >= b[t-1]`, all four values
    /// non-NaN; else 0. `out[0]` is 0.
    /// - Complexity: O(n), no allocation.
    package static func crossunder(_ a: UnsafeBufferPointer<Double>, _ b: Operand,
                                   into out: UnsafeMutableBufferPointer<Double>) {
        cross(a, b, into: out, above: false)
    }

    /// Memory bound at 1M bars (three streams through L3); branch-free in the AVX2 build, where a
    /// per-bar branch would mispredict at every crossing.
    private static func cross(_ a: UnsafeBufferPointer<Double>, _ b: Operand,
                              into out: UnsafeMutableBufferPointer<Double>, above: Bool) {
        precondition(out.count == a.count)
        guard a.count > 0 else { return }
        switch b {
        case .series(let s):
            precondition(s.count == a.count)
            llma_cross(out.baseAddress, a.baseAddress, s.baseAddress, 0, a.count, above ? 1 : 0)
        case .scalar(let v):
            llma_cross(out.baseAddress, a.baseAddress, nil, v, a.count, above ? 1 : 0)
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
