/// Element-wise and cumulative transforms (DESIGN §3.2 "Transforms").
package enum Transforms {}

extension Transforms {
    /// `x[t - periods]`, NaN for the first `periods` bars. Only non-negative periods exist, so a
    /// script can never read the future through `lag`.
    /// - Complexity: O(n), no allocation.
    package static func lag(_ x: UnsafeBufferPointer<Double>, periods k: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(k >= 0 && out.count == x.count)
        let n = x.count
        writeNaN(out, 0, Swift.min(k, n))
        guard k < n else { return }
        for i in k..<n { out[i] = x[i - k] }
    }

    /// `x[t] - x[t - periods]`, NaN for the first `periods` bars and wherever either side is NaN.
    /// - Complexity: O(n), no allocation.
    package static func diff(_ x: UnsafeBufferPointer<Double>, periods k: Int,
                             into out: UnsafeMutableBufferPointer<Double>) {
        precondition(k >= 0 && out.count == x.count)
        let n = x.count
        writeNaN(out, 0, Swift.min(k, n))
        guard k < n else { return }
        for i in k..<n { out[i] = x[i] - x[i - k] }
    }

    /// `|x|`; NaN stays NaN.
    /// - Complexity: O(n), no allocation.
    package static func absolute(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        for i in 0..<x.count { out[i] = x[i].magnitude }
    }

    /// Natural logarithm with IEEE/libm semantics: NaN for `x < 0` or NaN, −infinity for 0.
    /// - Complexity: O(n), no allocation.
    package static func log(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        for i in 0..<x.count { out[i] = libmLog(x[i]) }
    }

    /// `e^x`; overflows to +infinity, NaN stays NaN.
    /// - Complexity: O(n), no allocation.
    package static func exp(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        for i in 0..<x.count { out[i] = libmExp(x[i]) }
    }

    /// -1, 0 or 1 by the sign of `x` (0 for ±0); NaN stays NaN.
    /// - Complexity: O(n), no allocation.
    package static func sign(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        for i in 0..<x.count {
            let v = x[i]
            out[i] = v > 0 ? 1 : (v < 0 ? -1 : (v == 0 ? 0 : .nan))
        }
    }

    /// `x` limited to `lower...upper`; NaN stays NaN (it is neither below nor above).
    /// - Complexity: O(n), no allocation.
    package static func clip(_ x: UnsafeBufferPointer<Double>, lower: Double, upper: Double,
                             into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        for i in 0..<x.count {
            let v = x[i]
            out[i] = v < lower ? lower : (v > upper ? upper : v)
        }
    }

    /// `where(mask, a, b)`: `a[t]` where the mask is true (non-zero and not NaN), else `b[t]`.
    /// - Complexity: O(n), no allocation.
    package static func select(_ mask: UnsafeBufferPointer<Double>, _ a: Operand, _ b: Operand,
                               into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == mask.count)
        switch (a, b) {
        case let (.series(sa), .series(sb)):
            select(mask, SeriesSource(values: sa), SeriesSource(values: sb), into: out)
        case let (.series(sa), .scalar(vb)):
            select(mask, SeriesSource(values: sa), ScalarSource(value: vb), into: out)
        case let (.scalar(va), .series(sb)):
            select(mask, ScalarSource(value: va), SeriesSource(values: sb), into: out)
        case let (.scalar(va), .scalar(vb)):
            select(mask, ScalarSource(value: va), ScalarSource(value: vb), into: out)
        }
    }

    @inline(__always)
    private static func select<A: ElementSource, B: ElementSource>(
        _ mask: UnsafeBufferPointer<Double>, _ a: A, _ b: B, into out: UnsafeMutableBufferPointer<Double>
    ) {
        for i in 0..<mask.count {
            let m = mask[i]
            // `m != 0` alone is true for NaN; a NaN mask means "unknown", which selects b.
            out[i] = (m != 0 && !m.isNaN) ? a[i] : b[i]
        }
    }

    /// NaN replaced by `value`; everything else unchanged.
    /// - Complexity: O(n), no allocation.
    package static func fillNaN(_ x: UnsafeBufferPointer<Double>, with value: Double,
                                into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        for i in 0..<x.count {
            let v = x[i]
            out[i] = v.isNaN ? value : v
        }
    }

    /// NaN replaced by the last non-NaN value before it; leading NaNs stay NaN. Only looks back.
    /// - Complexity: O(n), no allocation.
    package static func forwardFill(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        var last = Double.nan
        for i in 0..<x.count {
            let v = x[i]
            if !v.isNaN { last = v }
            out[i] = last
        }
    }

    /// Running sum with pandas `cumsum` semantics: a NaN stays NaN at its position and is skipped
    /// by the total (the sum carries over it, it does not restart); NaN before the first value.
    /// - Complexity: O(n), no allocation.
    package static func cumulativeSum(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        var total = 0.0
        for i in 0..<x.count {
            let v = x[i]
            if v.isNaN {
                out[i] = .nan
            } else {
                total += v
                out[i] = total
            }
        }
    }

    /// Running product with pandas `cumprod` semantics (NaN as in `cumulativeSum`).
    /// - Complexity: O(n), no allocation.
    package static func cumulativeProduct(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count)
        var product = 1.0
        for i in 0..<x.count {
            let v = x[i]
            if v.isNaN {
                out[i] = .nan
            } else {
                product *= v
                out[i] = product
            }
        }
    }
}
