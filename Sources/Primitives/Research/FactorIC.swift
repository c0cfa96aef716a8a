/// The factor layer's first report: how well a factor ranks forward returns.
///
/// For each horizon h the rank IC is Spearman's correlation between the factor at bar t and the
/// return from t's close to (t+h)'s close, over bars where both are known. Forward returns over h
/// bars overlap, so the t-statistic counts only n / h independent observations
/// (`t = ic * sqrt((n/h - 2) / (1 - ic²))`); the full Newey–West treatment belongs to validation.
public struct FactorIC: Sendable, Equatable {
    public let horizon: Int
    public let ic: Double
    public let tStatistic: Double
    /// Bars where both the factor and the forward return are known.
    public let observations: Int

    /// Computes the rank IC of `factor` against `close` at each horizon.
    /// - Complexity: O(n) per horizon plus the ranking (radix sort).
    public static func compute(factor: [Double], close: [Double], horizons: [Int] = [1, 4, 24]) -> [FactorIC] {
        precondition(factor.count == close.count)
        var forward = [Double](repeating: .nan, count: close.count)
        return horizons.map { h in
            guard h >= 1, h < close.count else {
                return FactorIC(horizon: h, ic: .nan, tStatistic: .nan, observations: 0)
            }
            close.withUnsafeBufferPointer { c in
                forward.withUnsafeMutableBufferPointer { Stats.forwardReturn(c, horizon: h, into: $0) }
            }
            var n = 0
            for i in 0..<factor.count where !factor[i].isNaN && !forward[i].isNaN { n += 1 }
            let ic = factor.withUnsafeBufferPointer { f in forward.withUnsafeBufferPointer { Stats.spearman(f, $0) } }
            let effective = Double(n) / Double(h)
            let t = (effective > 2 && ic.magnitude < 1) ? ic * ((effective - 2) / (1 - ic * ic)).squareRoot() : .nan
            return FactorIC(horizon: h, ic: ic, tStatistic: t, observations: n)
        }
    }
}
