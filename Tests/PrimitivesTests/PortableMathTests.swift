#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import Primitives

/// PortableMath against the platform's libm (an independent implementation): the two may differ
/// in the last bit or two, never more.
@Suite("PortableMath agrees with libm")
struct PortableMathTests {
    /// Arguments spread over the whole useful range, from a fixed generator.
    static func arguments(_ count: Int, in range: ClosedRange<Double>, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in range.lowerBound + rng.uniform() * (range.upperBound - range.lowerBound) }
    }

    @Test func expIsWithinTwoUlpsOfLibm() {
        for x in Self.arguments(20_000, in: -745...709, seed: 1) + Self.arguments(20_000, in: -1...1, seed: 2) {
            let ours = PortableMath.exp(x), libm = exp(x)
            #expect(abs(ours - libm) <= 2 * libm.ulp, "exp(\(x)): \(ours) vs \(libm)")
        }
    }

    @Test func logIsWithinTwoUlpsOfLibm() {
        let wide = Self.arguments(20_000, in: -740...709, seed: 3).map { exp($0) }
        let nearOne = Self.arguments(20_000, in: 0.5...2, seed: 4)
        for x in wide + nearOne + [Double.leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude] {
            let ours = PortableMath.log(x), libm = log(x)
            #expect(abs(ours - libm) <= 2 * libm.ulp, "log(\(x)): \(ours) vs \(libm)")
        }
    }

    @Test func erfcHasTheDocumentedRelativeAccuracy() {
        for x in Self.arguments(40_000, in: -6...26, seed: 5) {
            let ours = PortableMath.erfc(x), libm = erfc(x)
            let tolerance = (0.5..<1.5).contains(x) ? 3e-14 : 2e-15
            #expect(abs(ours - libm) <= tolerance * libm, "erfc(\(x)): \(ours) vs \(libm)")
        }
    }

    @Test func specialValues() {
        #expect(PortableMath.exp(0) == 1)
        #expect(PortableMath.exp(-.infinity) == 0)
        #expect(PortableMath.exp(.infinity) == .infinity)
        #expect(PortableMath.exp(.nan).isNaN)
        #expect(PortableMath.exp(-1000) == 0)
        #expect(PortableMath.log(1) == 0)
        #expect(PortableMath.log(0) == -.infinity)
        #expect(PortableMath.log(-1).isNaN)
        #expect(PortableMath.log(.infinity) == .infinity)
        #expect(PortableMath.log(.nan).isNaN)
        #expect(PortableMath.erfc(0) == 1)
        #expect(PortableMath.erfc(.infinity) == 0)
        #expect(PortableMath.erfc(-.infinity) == 2)
        #expect(PortableMath.erfc(30) == 0)
        #expect(PortableMath.erfc(.nan).isNaN)
    }

    /// log(Φ(b) − Φ(a)) against mpmath at 40 digits (`log(ncdf(b) - ncdf(a))`): the centre, both
    /// tails (where 1 − Φ would lose everything: float64 Φ(9) − Φ(8) gives −34.945), an interval
    /// across zero and a narrow one.
    @Test(arguments: [
        (-1.0, 1.0, -0.381_715_146_302_126_07),
        (8.0, 9.0, -35.013_618_593_437_148),
        (-9.0, -8.0, -35.013_618_593_437_148),
        (-0.5, 30.0, -0.368_946_415_288_656_39),
        (0.0, 0.1, -3.223_189_182_107_183_8),
    ])
    func logGaussianMassMatchesMpmath(a: Double, b: Double, expected: Double) {
        let ours = PortableMath.logGaussianMass(a, b)
        #expect(abs(ours - expected) <= 1e-13 * abs(expected), "\(ours) vs \(expected)")
    }

    @Test func logGaussianMassThatUnderflowsIsMinusInfinity() {
        #expect(PortableMath.logGaussianMass(40, 41) == -.infinity)
    }
}
