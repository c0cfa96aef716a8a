/// Serial dependence of a series, for the research agent's data profile: whether returns trend
/// or revert at a horizon, and whether volatility clusters.
package enum Autocorrelation {
    /// Pearson correlation of `x[t]` with `x[t - lag]`, over the pairs where both are finite;
    /// NaN with fewer than 3 pairs or a flat side.
    package static func at(_ x: [Double], lag: Int) -> Double {
        guard lag > 0, x.count > lag else { return .nan }
        var n = 0.0, sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
        for t in lag..<x.count {
            let a = x[t], b = x[t - lag]
            guard a.isFinite, b.isFinite else { continue }
            n += 1; sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b
        }
        guard n >= 3 else { return .nan }
        let va = saa - sa * sa / n, vb = sbb - sb * sb / n
        guard va > 0, vb > 0 else { return .nan }
        return (sab - sa * sb / n) / (va * vb).squareRoot()
    }

    /// Correlation of one `h`-bar log return with the next, over non-overlapping blocks of `h`
    /// bars: above 0 the market trended at that horizon, below 0 it reverted.
    package static func ofReturns(close: [Double], horizon h: Int) -> Double {
        guard h > 0, close.count > 3 * h else { return .nan }
        var blocks: [Double] = []
        var t = h
        while t < close.count {
            let a = close[t - h], b = close[t]
            blocks.append(a > 0 && b > 0 ? PortableMath.log(b / a) : .nan)
            t += h
        }
        return at(blocks, lag: 1)
    }
}
