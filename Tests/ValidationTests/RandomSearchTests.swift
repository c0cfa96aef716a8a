import Testing
@testable import Validation

/// Random search's draws against probabilities worked out by hand: if these hold, the baseline the
/// TPE is compared with is the honest uniform search it claims to be.
@Suite("RandomSearch draws uniformly in model space")
struct RandomSearchTests {
    /// The fraction of `count` draws for which `hit` holds.
    static func frequency(_ space: SearchSpace, count: Int = 60_000, seed: UInt64 = 1,
                          _ hit: (SearchPoint) -> Bool) -> Double {
        var search = RandomSearch(space: space, seed: seed)
        let points = search.suggest(count: count)
        return Double(points.filter(hit).count) / Double(count)
    }

    /// |observed − p| within 5 binomial standard deviations.
    static func isClose(_ observed: Double, _ p: Double, count: Int = 60_000) -> Bool {
        abs(observed - p) <= 5 * (p * (1 - p) / Double(count)).squareRoot()
    }

    @Test func aBallInTheCubeIsHitAtItsVolumeFraction() {
        let space = SearchSpace((0..<4).map { .real(name: "x\($0)", low: -5, high: 5, log: false) })
        let observed = Self.frequency(space) { $0.reduce(0) { $0 + $1 * $1 } <= 3 }
        let p = Double.pi * Double.pi / 2 * 9 / 10_000  // 4-ball of radius √3: π²r⁴/2, over 10⁴
        #expect(Self.isClose(observed, p), "\(observed) vs \(p)")
    }

    @Test func logRealsAreUniformInTheLogarithm() {
        let space = SearchSpace([.real(name: "c", low: 1e-4, high: 1e2, log: true)])
        let observed = Self.frequency(space) { $0[0] >= 1e-3 && $0[0] < 1e-2 }
        #expect(Self.isClose(observed, 1.0 / 6), "one decade of six: \(observed)")
    }

    @Test func logIntegersOwnTheirCellInLogSpace() {
        // Cells [v − 0.5, v + 0.5] in log space: P(1) = log(1.5/0.5) / log(1000.5/0.5).
        let space = SearchSpace([.integer(name: "n", low: 1, high: 1000, log: true)])
        let p = 1.098_612_288_668_109_8 / 7.601_402_334_583_733  // log 3 / log 2001
        let observed = Self.frequency(space) { $0[0] == 1 }
        #expect(Self.isClose(observed, p), "\(observed) vs \(p)")
    }

    @Test(arguments: [
        (SearchDimension.integer(name: "n", low: -2, high: 2, log: false), [-2.0, -1, 0, 1, 2]),
        (.choice(name: "c", count: 3), [0.0, 1, 2]),
    ])
    func everyIntegerAndCategoryIsEquallyLikely(dimension: SearchDimension, values: [Double]) {
        let space = SearchSpace([dimension])
        for v in values {
            let observed = Self.frequency(space, count: 30_000) { $0[0] == v }
            #expect(Self.isClose(observed, 1 / Double(values.count), count: 30_000), "\(v): \(observed)")
        }
    }

    @Test func bestIgnoresFailedRunsAndKeepsTheEarliestOfTies() {
        var search = RandomSearch(space: SearchSpace([.real(name: "x", low: 0, high: 1, log: false)]), seed: 1)
        #expect(search.best == nil)
        search.observe([0.1], value: .nan)
        search.observe([0.2], value: nil)
        #expect(search.best == nil)
        search.observe([0.3], value: 1.5)
        search.observe([0.4], value: .infinity)
        search.observe([0.5], value: 1.5)
        #expect(search.best?.point == [0.3])
        #expect(search.best?.value == 1.5)
        #expect(search.observations.count == 5)
        #expect(search.observations[1].value.isNaN)
    }
}
