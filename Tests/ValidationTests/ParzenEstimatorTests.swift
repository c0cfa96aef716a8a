#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import Primitives
@testable import Validation

/// The Parzen estimator against mixtures written out by hand from Optuna's rules (bandwidth from
/// sorted neighbours, endpoints, magic clip, prior kernel, categorical prior weight), evaluated
/// with libm: an independent path to the same numbers.
@Suite("ParzenEstimator matches hand-built Optuna mixtures")
struct ParzenEstimatorTests {
    static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
    static func normalPDF(_ z: Double) -> Double { exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() }

    static func estimator(_ dimensions: [SearchDimension], _ points: [SearchPoint]) -> ParzenEstimator {
        let axes = dimensions.enumerated().map { (index: $0.offset, axis: ModelAxis($0.element)) }
        return ParzenEstimator(points: points, axes: axes, priorWeight: 1)
    }

    /// Real [0, 10], observations 2, 3, 7. Sorted with the ends: 0 | 2 3 7 | 10. Larger gaps:
    /// 2, 4, 4; the lowest takes its inner gap (1) since there are ≥ 2 observations; the magic clip
    /// 10 / min(100, 3 + 2) = 2 lifts it to 2. Prior: centre 5, width 10. Weights 1/4 each.
    @Test func realKernelsFollowOptunasBandwidthRule() {
        let estimator = Self.estimator([.real(name: "x", low: 0, high: 10, log: false)], [[2], [7], [3]])
        let kernels: [(mu: Double, sigma: Double)] = [(2, 2), (7, 4), (3, 4), (5, 10)]
        let xs: [Double] = [0, 1.3, 2, 5, 8.25, 10]
        let ours = estimator.logDensities(of: xs.map { [$0] })
        for (x, logDensity) in zip(xs, ours) {
            var density = 0.0
            for k in kernels {
                let mass = Self.normalCDF((10 - k.mu) / k.sigma) - Self.normalCDF((0 - k.mu) / k.sigma)
                density += 0.25 * Self.normalPDF((x - k.mu) / k.sigma) / k.sigma / mass
            }
            #expect(abs(logDensity - log(density)) < 1e-12, "x = \(x): \(logDensity) vs \(log(density))")
        }
    }

    /// Integer 1...5 is the interval [0.5, 5.5]; one observation at 2: gaps 1.5 and 3.5, so 3.5
    /// (above the clip 5/3). Prior: centre 3, width 5. Each integer gets its cell's mass.
    @Test func integerKernelsGiveEachIntegerItsCellsMass() {
        let estimator = Self.estimator([.integer(name: "n", low: 1, high: 5, log: false)], [[2]])
        let kernels: [(mu: Double, sigma: Double)] = [(2, 3.5), (3, 5)]
        let ours = estimator.logDensities(of: (1...5).map { [Double($0)] })
        var total = 0.0
        for (v, logMass) in zip(1...5, ours) {
            var mass = 0.0
            for k in kernels {
                let cell = Self.normalCDF((Double(v) + 0.5 - k.mu) / k.sigma) - Self.normalCDF((Double(v) - 0.5 - k.mu) / k.sigma)
                let inside = Self.normalCDF((5.5 - k.mu) / k.sigma) - Self.normalCDF((0.5 - k.mu) / k.sigma)
                mass += 0.5 * cell / inside
            }
            #expect(abs(logMass - log(mass)) < 1e-12, "v = \(v)")
            total += exp(logMass)
        }
        #expect(abs(total - 1) < 1e-12)
    }

    @Test func logIntegerMassesSumToOne() {
        let estimator = Self.estimator([.integer(name: "n", low: 1, high: 100, log: true)], [[3], [50], [50], [99]])
        let masses = estimator.logDensities(of: (1...100).map { [Double($0)] }).map { exp($0) }
        #expect(abs(masses.reduce(0, +) - 1) < 1e-12)
    }

    @Test func logRealDensityIntegratesToOneInLogSpace() {
        let estimator = Self.estimator([.real(name: "c", low: 1e-2, high: 1e2, log: true)], [[0.1], [1], [1.2]])
        // Simpson's rule on y = log x over [log 0.01, log 100].
        let a = log(1e-2), b = log(1e2), n = 4000
        let h = (b - a) / Double(n)
        let ys = (0...n).map { a + Double($0) * h }
        let densities = estimator.logDensities(of: ys.map { [exp($0)] }).map { exp($0) }
        var integral = densities[0] + densities[n]
        for i in 1..<n { integral += (i % 2 == 1 ? 4 : 2) * densities[i] }
        integral *= h / 3
        #expect(abs(integral - 1) < 1e-6, "\(integral)")
    }

    /// Three categories, observations 0, 0, 2: each observation's kernel puts 1 + 1/4 on its own
    /// category and 1/4 on the others (prior weight 1 over 4 kernels), normalised by 1.75; the
    /// prior kernel is uniform; weights 1/4 each.
    static let categoricalProbabilities: [Double] = [
        0.25 * (2 * 1.25 / 1.75 + 0.25 / 1.75 + 1.0 / 3),
        0.25 * (3 * 0.25 / 1.75 + 1.0 / 3),
        0.25 * (2 * 0.25 / 1.75 + 1.25 / 1.75 + 1.0 / 3),
    ]

    @Test func categoricalKernelsSpreadThePriorWeight() {
        let estimator = Self.estimator([.choice(name: "c", count: 3)], [[0], [0], [2]])
        let ours = estimator.logDensities(of: [[0], [1], [2]]).map { exp($0) }
        for c in 0..<3 { #expect(abs(ours[c] - Self.categoricalProbabilities[c]) < 1e-14) }
    }

    /// Multivariate: one kernel per observation across both dimensions, so the joint density is
    /// Σ_k w_k p_k(x) q_k(c), not the product of the marginals.
    @Test func jointDensityIsAMixtureOfProducts() {
        let estimator = Self.estimator([.real(name: "x", low: 0, high: 10, log: false), .choice(name: "c", count: 2)],
                                       [[2, 0], [8, 1]])
        // Gaps around 2 and 8 in 0 | 2 8 | 10: inner gap 6 for both; clip 10/4 = 2.5 does not bind.
        let kernels: [(mu: Double, sigma: Double, q: [Double])] = [
            (2, 6, [1 + 1.0 / 3, 1.0 / 3].map { $0 / (1 + 2.0 / 3) }),
            (8, 6, [1.0 / 3, 1 + 1.0 / 3].map { $0 / (1 + 2.0 / 3) }),
            (5, 10, [0.5, 0.5]),
        ]
        let points: [SearchPoint] = [[2, 0], [2, 1], [8, 1], [5, 0]]
        for (point, logDensity) in zip(points, estimator.logDensities(of: points)) {
            var density = 0.0
            for k in kernels {
                let mass = Self.normalCDF((10 - k.mu) / k.sigma) - Self.normalCDF((0 - k.mu) / k.sigma)
                density += Self.normalPDF((point[0] - k.mu) / k.sigma) / k.sigma / mass * k.q[Int(point[1])] / 3
            }
            #expect(abs(logDensity - log(density)) < 1e-12, "\(point)")
        }
    }

    /// Sampling and density are separate code paths; draws must follow the density.
    @Test func samplesFollowTheDensity() {
        let categorical = Self.estimator([.choice(name: "c", count: 3)], [[0], [0], [2]])
        let integer = Self.estimator([.integer(name: "n", low: 1, high: 5, log: false)], [[2]])
        let integerMasses = integer.logDensities(of: (1...5).map { [Double($0)] }).map { exp($0) }
        var rng = SeededRandom(seed: 5)
        let n = 40_000
        var categories = [Int](repeating: 0, count: 3), integers = [Int](repeating: 0, count: 6)
        var point: SearchPoint = [0]
        for _ in 0..<n {
            categorical.sample(into: &point, using: &rng)
            categories[Int(point[0])] += 1
            integer.sample(into: &point, using: &rng)
            integers[Int(point[0])] += 1
        }
        func close(_ count: Int, _ p: Double) -> Bool {
            abs(Double(count) / Double(n) - p) <= 5 * (p * (1 - p) / Double(n)).squareRoot()
        }
        for c in 0..<3 { #expect(close(categories[c], Self.categoricalProbabilities[c]), "category \(c)") }
        for v in 1...5 { #expect(close(integers[v], integerMasses[v - 1]), "integer \(v)") }
        #expect(integers[0] == 0)
    }

    /// Optuna's default_weights: ones below 25; above, numpy.linspace(1/n, 1, n − 25) then 25 ones.
    @Test func observationWeightsRampDownOldObservations() {
        #expect(ParzenEstimator.observationWeights(count: 0) == [])
        #expect(ParzenEstimator.observationWeights(count: 3) == [1, 1, 1])
        #expect(ParzenEstimator.observationWeights(count: 25) == [Double](repeating: 1, count: 25))
        #expect(ParzenEstimator.observationWeights(count: 26) == [1.0 / 26] + [Double](repeating: 1, count: 25))
        let thirty = ParzenEstimator.observationWeights(count: 30)
        let numpy = [0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1.0]
        #expect(thirty.count == 30)
        #expect(zip(thirty.prefix(5), numpy).allSatisfy { abs($0 - $1) < 1e-15 })
        #expect(thirty.suffix(25).allSatisfy { $0 == 1 })
    }
}
