/// `exp`, `log` and `erfc` built from IEEE-754 basic operations only (+, −, ×, ÷, `squareRoot`,
/// `rounded`), so a seeded search gives bit-identical points on every platform.
///
/// libm is not enough for that: glibc picks FMA or non-FMA variants of `exp`/`log` by CPU,
/// aarch64 builds contract differently, and Darwin's libm is another implementation, so last bits
/// differ between machines. Swift does not fuse `a * b + c` on its own, so the code below rounds
/// the same way everywhere.
///
/// Accuracy, measured against mpmath (40 digits) while writing it and checked against libm by
/// `PortableMathTests`: `exp` and `log` within 1 ulp; `erfc` within 6e-16 relative except
/// 0.5 ≤ x < 1.5, where `1 − erf` costs up to 2e-14 relative. That is far more than the optimizer
/// needs: it only compares log densities of candidates.
package enum PortableMath {
    /// ln 2 split so that `k * ln2High` is exact for |k| < 2^11 (the low 11 bits are zero).
    package static let ln2High = 0x1.62e42fee00000p-1
    package static let ln2Low = 0x1.a39ef35793c76p-33
    package static let log2e = 0x1.71547652b82fep+0
    package static let squareRootOfTwo = 0x1.6a09e667f3bcdp+0
    package static let reciprocalSquareRootOfTwo = 0x1.6a09e667f3bcdp-1
    /// 2 / √π.
    package static let twoOverSquareRootOfPi = 0x1.20dd750429b6dp+0
    /// log √(2π), the constant in the log of the normal density.
    package static let logSquareRootOfTwoPi = 0x1.d67f1c864beb5p-1

    /// e^x.
    ///
    /// Reduces x = k ln 2 + r with |r| ≤ ln2/2 (Cody–Waite), sums the Taylor series of e^r to
    /// degree 13 (truncation below 4e-18) and scales by 2^k exactly.
    /// - Complexity: O(1), no allocation.
    package static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.782712893384 { return .infinity }
        if x < -745.1332191019412 { return 0 }
        let k = (x * log2e).rounded(.toNearestOrEven)
        let r = (x - k * ln2High) - k * ln2Low
        var p = 1.0 / 6_227_020_800  // 1/13!
        p = p * r + 1.0 / 479_001_600
        p = p * r + 1.0 / 39_916_800
        p = p * r + 1.0 / 3_628_800
        p = p * r + 1.0 / 362_880
        p = p * r + 1.0 / 40_320
        p = p * r + 1.0 / 5_040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        return Double(sign: .plus, exponent: Int(k), significand: p)
    }

    /// Natural logarithm; NaN below 0, −∞ at 0.
    ///
    /// Writes x = m · 2^e with m in (√½, √2], then log m = 2 atanh(s) with s = f/(2+f), f = m − 1,
    /// arranged as f − (f²/2 − s(f²/2 + R)) so the large part f is exact.
    /// - Complexity: O(1), no allocation.
    package static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        var e = Double(x.exponent)
        var m = x.significand  // [1, 2), subnormals included
        if m > squareRootOfTwo { m *= 0.5; e += 1 }
        let f = m - 1
        let s = f / (2 + f)
        let s2 = s * s
        // R = s2 · Σ 2/(2n+1) s2^(n-1), n = 1...12: truncation below 1e-19 for |s| ≤ 0.172.
        var q = 2.0 / 25
        q = q * s2 + 2.0 / 23
        q = q * s2 + 2.0 / 21
        q = q * s2 + 2.0 / 19
        q = q * s2 + 2.0 / 17
        q = q * s2 + 2.0 / 15
        q = q * s2 + 2.0 / 13
        q = q * s2 + 2.0 / 11
        q = q * s2 + 2.0 / 9
        q = q * s2 + 2.0 / 7
        q = q * s2 + 2.0 / 5
        q = q * s2 + 2.0 / 3
        let r = s2 * q
        let halfSquare = 0.5 * f * f
        let logM = f - (halfSquare - s * (halfSquare + r))
        return e * ln2High + (logM + e * ln2Low)
    }

    /// The complementary error function, 1 − erf(x).
    ///
    /// x < 0.5: 1 − (Taylor series of erf); x < 1.5: 1 − (the all-positive series
    /// erf x = 2x e^(−x²)/√π Σ (2x²)^n / (2n+1)!!); above: the even form of Laplace's continued
    /// fraction, evaluated backwards at a depth fixed per interval (48 terms at 1.5, fewer as x
    /// grows, 4 from 12 on); 0 from 27.3, where erfc underflows. Negative x use erfc(−x) = 2 − erfc(x).
    /// - Complexity: O(1): at most 48 divisions.
    package static func erfc(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x < 0 { return 2 - erfc(-x) }
        if x < 0.5 { return 1 - erfTaylor(x) }
        if x < 1.5 { return 1 - erfPositiveSeries(x) }
        if x >= 27.3 { return 0 }
        // Depths: the fewest terms that reached 8e-16 relative on each interval against mpmath,
        // plus a margin (41, 25, 18, 13, 11, 9, 7, 6, 5, 3).
        let depth = x < 2 ? 48 : x < 2.5 ? 28 : x < 3 ? 20 : x < 3.5 ? 15 : x < 4 ? 13
            : x < 5 ? 10 : x < 6 ? 8 : x < 8 ? 7 : x < 12 ? 6 : 4
        return erfcContinuedFraction(x, depth: depth)
    }

    /// log(Φ(b) − Φ(a)) for a ≤ b, Φ the standard normal CDF: the log of a normal's mass on [a, b].
    ///
    /// Works in the tail the interval lies in, so a mass like Φ(9) − Φ(8) is not lost to
    /// 1 − 1 = 0. A mass that underflows gives −∞ (the optimizer's prior kernel keeps every mixture
    /// finite).
    /// - Complexity: O(1): two `erfc` and one `log`.
    package static func logGaussianMass(_ a: Double, _ b: Double) -> Double {
        let mass: Double
        if b <= 0 {
            mass = 0.5 * (erfc(-b * reciprocalSquareRootOfTwo) - erfc(-a * reciprocalSquareRootOfTwo))
        } else if a >= 0 {
            mass = 0.5 * (erfc(a * reciprocalSquareRootOfTwo) - erfc(b * reciprocalSquareRootOfTwo))
        } else {
            mass = 1 - 0.5 * erfc(-a * reciprocalSquareRootOfTwo) - 0.5 * erfc(b * reciprocalSquareRootOfTwo)
        }
        return log(Swift.max(mass, 0))
    }

    /// erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1)), n = 0...12, for |x| < 0.5.
    private static func erfTaylor(_ x: Double) -> Double {
        let x2 = x * x
        var p = 1.0 / 11_975_040_000  // 1/(12! · 25)
        p = p * x2 - 1.0 / 918_086_400  // 1/(11! · 23)
        p = p * x2 + 1.0 / 76_204_800  // 1/(10! · 21)
        p = p * x2 - 1.0 / 6_894_720  // 1/(9! · 19)
        p = p * x2 + 1.0 / 685_440  // 1/(8! · 17)
        p = p * x2 - 1.0 / 75_600  // 1/(7! · 15)
        p = p * x2 + 1.0 / 9_360  // 1/(6! · 13)
        p = p * x2 - 1.0 / 1_320  // 1/(5! · 11)
        p = p * x2 + 1.0 / 216  // 1/(4! · 9)
        p = p * x2 - 1.0 / 42  // 1/(3! · 7)
        p = p * x2 + 1.0 / 10  // 1/(2! · 5)
        p = p * x2 - 1.0 / 3
        p = p * x2 + 1
        return twoOverSquareRootOfPi * x * p
    }

    /// erf(x) = 2x e^(−x²)/√π Σ (2x²)^n / (1·3·…·(2n+1)), 26 terms, for 0.5 ≤ x < 1.5: every term
    /// is positive, so nothing cancels.
    private static func erfPositiveSeries(_ x: Double) -> Double {
        let y = 2 * x * x
        var term = 1.0
        var sum = 1.0
        for n in 1..<26 {
            term = term * y / Double(2 * n + 1)
            sum += term
        }
        return twoOverSquareRootOfPi * x * expOfMinusSquare(x) * sum
    }

    /// erfc(x) = 2x e^(−x²)/√π / (2x²+1 − 1·2/(2x²+5 − 3·4/(2x²+9 − …))), evaluated backwards from
    /// `depth` terms.
    private static func erfcContinuedFraction(_ x: Double, depth: Int) -> Double {
        let y = 2 * x * x
        var t = y + Double(4 * depth + 1)
        var k = depth
        while k > 0 {
            t = y + Double(4 * k - 3) - Double((2 * k - 1) * (2 * k)) / t
            k -= 1
        }
        return twoOverSquareRootOfPi * x * expOfMinusSquare(x) / t
    }

    /// e^(−x²) without the rounding error of x·x: x = high + low (Veltkamp split, high has 26 bits),
    /// so high·high is exact, and e^(−low(x + high)) = e^(−d) with |d| < 2.3e-5 is summed to d³.
    private static func expOfMinusSquare(_ x: Double) -> Double {
        let t = 134_217_729 * x  // 2^27 + 1
        let high = t - (t - x)
        let d = (x - high) * (x + high)
        return exp(-(high * high)) * (1 - d * (1 - d * (0.5 - d * (1.0 / 6))))
    }
}
