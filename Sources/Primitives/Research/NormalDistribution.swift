#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard normal distribution N(0, 1): its CDF Φ and its inverse Φ⁻¹.
///
/// Used by the validation layer for p-values (``FactorStatistics``) and for the deflated Sharpe
/// ratio (``DeflatedSharpe``). Both functions are pure and allocation-free.
package enum NormalDistribution {
    /// Φ(x) = P(Z <= x) for a standard normal Z, computed as `erfc(-x / √2) / 2`.
    ///
    /// Through `erfc` the lower tail keeps its relative accuracy (Φ(-30) ≈ 4.9e-198, not 0);
    /// the upper tail rounds to 1 as a double must. Φ(-∞) = 0, Φ(+∞) = 1, NaN for NaN.
    /// - Complexity: O(1).
    package static func cdf(_ x: Double) -> Double {
        0.5 * erfc(-x * 0.7071067811865476)   // 1/√2, correctly rounded
    }

    /// Φ⁻¹(p), the standard normal quantile, by Wichura's algorithm AS 241 (PPND16, Applied
    /// Statistics 37, 1988): rational approximations on three ranges of p, relative error about
    /// 1e-16, so no refinement step is needed.
    ///
    /// `quantile(0)` is -∞, `quantile(1)` is +∞; NaN for NaN or p outside [0, 1]. For p close
    /// to 1 the answer is limited by the spacing of doubles near 1 (p = 1 - 1e-17 is 1), so a
    /// caller wanting an upper tail quantile should pass the small tail probability and negate:
    /// Φ⁻¹(1 - a) = -Φ⁻¹(a).
    /// - Complexity: O(1).
    package static func quantile(_ p: Double) -> Double {
        guard p >= 0 && p <= 1 else { return .nan }   // NaN fails both comparisons
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        let q = p - 0.5
        if q.magnitude <= 0.425 {
            // 0.075 <= p <= 0.925
            let r = 0.180625 - q * q
            let num = (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r
                + 6.7265770927008700853e4) * r + 4.5921953931549871457e4) * r
                + 1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r
                + 1.3314166789178437745e2) * r + 3.3871328727963666080e0)
            let den = (((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r
                + 3.9307895800092710610e4) * r + 2.1213794301586595867e4) * r
                + 5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r
                + 4.2313330701600911252e1) * r + 1.0)
            return q * num / den
        }
        // min(p, 1 - p) = exp(-r²)
        var r = (-log(q < 0 ? p : 1 - p)).squareRoot()
        let value: Double
        if r <= 5 {
            // exp(-25) ≈ 1.4e-11 <= min(p, 1 - p) < 0.075
            r -= 1.6
            let num = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                + 2.41780725177450611770e-1) * r + 1.27045825245236838258e0) * r
                + 3.64784832476320460504e0) * r + 5.76949722146069140550e0) * r
                + 4.63033784615654529590e0) * r + 1.42343711074968357734e0)
            let den = (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                + 1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r
                + 6.89767334985100004550e-1) * r + 1.67638483018380384940e0) * r
                + 2.05319162663775882187e0) * r + 1.0)
            value = num / den
        } else {
            // min(p, 1 - p) < exp(-25)
            r -= 5
            let num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
                + 2.96560571828504891230e-1) * r + 1.78482653991729133580e0) * r
                + 5.46378491116411436990e0) * r + 6.65790464350110377720e0)
            let den = (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
                + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
                + 5.99832206555887937690e-1) * r + 1.0)
            value = num / den
        }
        return q < 0 ? -value : value
    }
}
