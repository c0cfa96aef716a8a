#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The deflated Sharpe ratio (Bailey & López de Prado 2014, "The Deflated Sharpe Ratio:
/// Correcting for Selection Bias, Backtest Overfitting and Non-Normality", J. Portfolio Mgmt 40(5)).
///
/// After N trials the best Sharpe ratio is high by luck alone. DSR is the probability that the
/// true Sharpe ratio exceeds the maximum expected from N unskilled trials, given the track
/// record's length, skewness and kurtosis.
///
/// ```swift
/// let m = DeflatedSharpe.moments(dailyReturns)
/// let (threshold, dsr) = DeflatedSharpe.compute(
///     sharpe: m.mean / m.std, observations: dailyReturns.count, skewness: m.skewness,
///     kurtosis: m.kurtosis, trials: ledger.trialCount, variance: varianceOfTrialSharpes)
/// ```
///
/// **Units.** Every Sharpe ratio here is per observation (per bar), not annualized, and
/// `variance` is the variance of the per-observation Sharpe ratios across the trials. To use
/// annual figures divide a Sharpe ratio by √(periods per year) and a variance by the periods per
/// year. Kurtosis is the plain fourth standardized moment (3 for a normal), not excess kurtosis.
package enum DeflatedSharpe {
    /// The Euler–Mascheroni constant γ.
    package static let eulerMascheroni = 0.5772156649015329

    /// E[max SR] over `n` unskilled trials whose Sharpe ratios have variance `variance`:
    /// `√V ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))` (the paper's SR₀).
    ///
    /// 0 for N <= 1 (one trial selects nothing); NaN for a negative or NaN variance.
    /// - Complexity: O(1).
    package static func expectedMaximumSharpe(trials n: Int, variance: Double) -> Double {
        guard variance >= 0 else { return .nan }
        guard n > 1 else { return 0 }
        let trials = Double(n)
        // Φ⁻¹(1 - a) = -Φ⁻¹(a): the small tail probability keeps its digits.
        let first = -NormalDistribution.quantile(1 / trials)
        let second = -NormalDistribution.quantile(1 / (trials * M_E))
        return variance.squareRoot() * ((1 - eulerMascheroni) * first + eulerMascheroni * second)
    }

    /// The probabilistic Sharpe ratio PSR(SR₀) = Φ((SR - SR₀) √(T - 1) / √(1 - γ₃ SR + (γ₄ - 1)/4 SR²)):
    /// the probability that the true Sharpe ratio exceeds `benchmark`.
    ///
    /// - Parameters:
    ///   - sharpe: Observed per-observation Sharpe ratio SR.
    ///   - benchmark: SR₀, per observation.
    ///   - t: Number of returns T behind SR.
    ///   - skewness: γ₃ of the returns.
    ///   - kurtosis: γ₄ of the returns, not excess (3 for a normal).
    /// - Returns: A probability; NaN when T < 2, an input is NaN, or the variance term
    ///   `1 - γ₃ SR + (γ₄ - 1)/4 SR²` is not positive (inconsistent moments).
    /// - Complexity: O(1).
    package static func probabilisticSharpe(sharpe: Double, benchmark: Double, observations t: Int,
                                            skewness: Double, kurtosis: Double) -> Double {
        guard t >= 2 else { return .nan }
        let spread = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe * sharpe
        guard spread > 0 else { return .nan }   // also NaN
        let z = (sharpe - benchmark) * Double(t - 1).squareRoot() / spread.squareRoot()
        return NormalDistribution.cdf(z)
    }

    /// DSR: the probabilistic Sharpe ratio against SR₀ = ``expectedMaximumSharpe(trials:variance:)``.
    ///
    /// - Returns: `threshold` SR₀ (per observation) and `dsr` = PSR(SR₀); NaN as in the two parts.
    /// - Complexity: O(1).
    package static func compute(sharpe: Double, observations: Int, skewness: Double, kurtosis: Double,
                                trials: Int, variance: Double) -> (threshold: Double, dsr: Double) {
        let threshold = expectedMaximumSharpe(trials: trials, variance: variance)
        let dsr = probabilisticSharpe(sharpe: sharpe, benchmark: threshold, observations: observations,
                                      skewness: skewness, kurtosis: kurtosis)
        return (threshold, dsr)
    }

    /// Mean, sample standard deviation, skewness and kurtosis of `returns`, NaN values skipped.
    ///
    /// - `std` uses ddof = 1 (numpy `std(ddof=1)`, pandas `std()`), the Sharpe denominator used
    ///   across the validation layer.
    /// - `skewness` and `kurtosis` are the biased (population) moment ratios m₃/m₂^1.5 and m₄/m₂²
    ///   with mₖ = mean((x - x̄)ᵏ): scipy `skew(x, bias=True)` and
    ///   `kurtosis(x, fisher=False, bias=True)`; kurtosis is not excess (3 for a normal).
    ///
    /// Everything is NaN with no values; `std` is NaN with one; skewness and kurtosis are NaN when
    /// the values are all equal (m₂ <= (ε x̄)², scipy's test, ε = 2⁻⁵²). Two passes (mean first), so
    /// large offsets do not cancel.
    /// - Complexity: O(n), no allocation.
    package static func moments(_ returns: [Double])
        -> (mean: Double, std: Double, skewness: Double, kurtosis: Double) {
        var n = 0, sum = 0.0
        for v in returns where !v.isNaN {
            n += 1
            sum += v
        }
        guard n > 0 else { return (.nan, .nan, .nan, .nan) }
        let mean = sum / Double(n)
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for v in returns where !v.isNaN {
            let d = v - mean, d2 = d * d
            m2 += d2
            m3 += d2 * d
            m4 += d2 * d2
        }
        let std = n > 1 ? (m2 / Double(n - 1)).squareRoot() : .nan
        m2 /= Double(n)
        m3 /= Double(n)
        m4 /= Double(n)
        // scipy's rule for "all values equal": m₂ within rounding of zero relative to the mean
        // (a constant 0.1 leaves m₂ ≈ 1e-34, not 0, because the mean itself is rounded).
        let rounding = Double.ulpOfOne * mean
        guard m2 > rounding * rounding else { return (mean, std, .nan, .nan) }
        return (mean, std, m3 / (m2 * m2.squareRoot()), m4 / (m2 * m2))
    }
}
