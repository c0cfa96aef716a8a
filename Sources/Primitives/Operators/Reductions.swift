/// Whole-series reductions behind the Series methods (`s:mean()`, `m:count()`).
///
/// NaN values are skipped, as pandas does by default; a reduction over no valid values is NaN
/// (`sum` of nothing is 0, like pandas).
package enum Reductions {
    /// Non-NaN values; for a mask, the number of true bars.
    package static func count(_ x: UnsafeBufferPointer<Double>, isMask: Bool) -> Double {
        var c = 0
        if isMask { for v in x where v != 0 && !v.isNaN { c += 1 } } else { for v in x where !v.isNaN { c += 1 } }
        return Double(c)
    }

    package static func sum(_ x: UnsafeBufferPointer<Double>) -> Double {
        var s = 0.0
        for v in x where !v.isNaN { s += v }
        return s
    }

    package static func mean(_ x: UnsafeBufferPointer<Double>) -> Double {
        var s = 0.0, c = 0
        for v in x where !v.isNaN { s += v; c += 1 }
        return c == 0 ? .nan : s / Double(c)
    }

    package static func minimum(_ x: UnsafeBufferPointer<Double>) -> Double {
        var m = Double.nan
        for v in x where !v.isNaN { if m.isNaN || v < m { m = v } }
        return m
    }

    package static func maximum(_ x: UnsafeBufferPointer<Double>) -> Double {
        var m = Double.nan
        for v in x where !v.isNaN { if m.isNaN || v > m { m = v } }
        return m
    }

    /// Population standard deviation (ddof = 0, as `std`), two-pass for accuracy.
    package static func standardDeviation(_ x: UnsafeBufferPointer<Double>) -> Double {
        let m = mean(x)
        if m.isNaN { return .nan }
        var s = 0.0, c = 0
        for v in x where !v.isNaN { s += (v - m) * (v - m); c += 1 }
        return (s / Double(c)).squareRoot()
    }

    /// 1-based index of the first non-NaN value, NaN (nil in Lua) when there is none.
    package static func firstValid(_ x: UnsafeBufferPointer<Double>) -> Double {
        for i in 0..<x.count where !x[i].isNaN { return Double(i + 1) }
        return .nan
    }
}
