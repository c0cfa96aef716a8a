#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import Validation

/// A function to minimise (the samplers maximise its negation) and the loss that counts as found.
struct BenchmarkProblem: Sendable, CustomTestStringConvertible {
    let name: String
    let space: SearchSpace
    let loss: @Sendable (SearchPoint) -> Double
    let target: Double
    var testDescription: String { name }

    /// Branin-Hoo on [-5, 10] × [0, 15]: three global minima of 0.397887; found within 0.3.
    static let branin = BenchmarkProblem(
        name: "branin",
        space: SearchSpace([.real(name: "x1", low: -5, high: 10, log: false),
                            .real(name: "x2", low: 0, high: 15, log: false)]),
        loss: { p in
            let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
            let a = p[1] - b * p[0] * p[0] + c * p[0] - 6
            return a * a + 10 * (1 - t) * cos(p[0]) + 10
        },
        target: 0.397_887 + 0.3)

    /// Σ x² on [-5, 5]⁴: found inside the ball of radius √3 (random search hits it with
    /// probability 0.0044 per point).
    static let sphere = BenchmarkProblem(
        name: "sphere-4d",
        space: SearchSpace((0..<4).map { .real(name: "x\($0)", low: -5, high: 5, log: false) }),
        loss: { $0.reduce(0) { $0 + $1 * $1 } },
        target: 3)

    /// An integer 1...100 (best 37), a log-scaled real 1e-4...1e2 (best 0.02, measured in
    /// decades) and a real -1...1 (best 0.3).
    static let mixed = BenchmarkProblem(
        name: "integer+log-real+real",
        space: SearchSpace([.integer(name: "n", low: 1, high: 100, log: false),
                            .real(name: "c", low: 1e-4, high: 1e2, log: true),
                            .real(name: "z", low: -1, high: 1, log: false)]),
        loss: { p in
            let a = (p[0] - 37) / 10, b = log10(p[1]) - log10(0.02), c = p[2] - 0.3
            return a * a + b * b + c * c
        },
        target: 0.3)

    /// Six categories of which only index 4 can reach the target (the others cost 1), and two
    /// reals with their best at (1, -0.5).
    static let categorical = BenchmarkProblem(
        name: "choice+2 reals",
        space: SearchSpace([.choice(name: "k", count: 6),
                            .real(name: "x", low: -3, high: 3, log: false),
                            .real(name: "y", low: -3, high: 3, log: false)]),
        loss: { p in (p[0] == 4 ? 0 : 1) + (p[1] - 1) * (p[1] - 1) + (p[2] + 0.5) * (p[2] + 0.5) },
        target: 0.3)

    /// Evaluations until the loss first reaches the target, or `budget + 1` if it never does.
    func trialsToTarget(_ sampler: inout some Sampler, budget: Int) -> Int {
        for trial in 1...budget {
            let point = sampler.suggest(count: 1)[0]
            let loss = self.loss(point)
            sampler.observe(point, value: -loss)
            if loss <= target { return trial }
        }
        return budget + 1
    }
}

@Suite("TreeParzenEstimator")
struct TreeParzenEstimatorTests {
    static func median(_ values: [Int]) -> Double {
        let s = values.sorted()
        return Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Over seeds 0..<20 with a budget of 200, the TPE's median number of evaluations to reach
    /// the target must be at most 60 % of random search's. Measured when written (TPE / random):
    /// branin 30.5 / 152.5, sphere-4d 21 / 139, integer+log-real+real 29.5 / 120.5,
    /// choice+2 reals 27 / 138.
    @Test(arguments: [BenchmarkProblem.branin, .sphere, .mixed, .categorical])
    func reachesTheTargetInFarFewerTrialsThanRandomSearch(problem: BenchmarkProblem) {
        var tpeTrials = [Int](), randomTrials = [Int]()
        for seed in UInt64(0)..<20 {
            var tpe = TreeParzenEstimator(space: problem.space, seed: seed)
            tpeTrials.append(problem.trialsToTarget(&tpe, budget: 200))
            var random = RandomSearch(space: problem.space, seed: seed)
            randomTrials.append(problem.trialsToTarget(&random, budget: 200))
        }
        let tpe = Self.median(tpeTrials), random = Self.median(randomTrials)
        #expect(tpe <= 0.6 * random, "\(problem.name): TPE median \(tpe), random median \(random)")
    }

    static let mixedSpace = SearchSpace([
        .integer(name: "lookback", low: 2, high: 500, log: true),
        .integer(name: "offset", low: -3, high: 3, log: false),
        .real(name: "threshold", low: 1e-3, high: 10, log: true),
        .real(name: "z", low: -2, high: 2, log: false),
        .choice(name: "mode", count: 4),
        .choice(name: "only", count: 1),
        .real(name: "fixed", low: 0.25, high: 0.25, log: false),
        .integer(name: "fixedInt", low: 7, high: 7, log: true),
    ])

    /// A bumpy objective over `mixedSpace` so the model has something to learn.
    static func mixedObjective(_ p: SearchPoint) -> Double {
        -abs(log(p[0]) - 3) - abs(p[1] - 1) - abs(log10(p[2]) + 1) + sin(3 * p[3]) + (p[4] == 2 ? 1 : 0)
    }

    @Test(arguments: [true, false])
    func proposalsStayInsideTheSpace(multivariate: Bool) {
        var tpe = TreeParzenEstimator(space: Self.mixedSpace, seed: 9, multivariate: multivariate)
        for _ in 0..<20 {
            let batch = tpe.suggest(count: 4)
            #expect(batch.count == 4)
            for point in batch {
                #expect(Self.mixedSpace.contains(point), "\(point)")
                #expect(point[0] >= 2 && point[2] > 0 && point[5] == 0 && point[6] == 0.25 && point[7] == 7)
                #expect(point[1] != 0 || point[1].sign == .plus, "integers never come out as -0.0")
                tpe.observe(point, value: Self.mixedObjective(point))
            }
        }
        #expect(tpe.observations.count == 80)
    }

    /// Same seed and same history: the same batch, bit for bit; another seed: another batch.
    @Test(arguments: [true, false])
    func batchesAreDeterministic(multivariate: Bool) {
        func run(seed: UInt64) -> [[UInt64]] {
            var tpe = TreeParzenEstimator(space: Self.mixedSpace, seed: seed, multivariate: multivariate)
            var proposals = [SearchPoint]()
            for _ in 0..<8 {
                let batch = tpe.suggest(count: 4)
                for point in batch { tpe.observe(point, value: Self.mixedObjective(point)) }
                proposals += batch
            }
            return proposals.map { $0.map(\.bitPattern) }
        }
        #expect(run(seed: 3) == run(seed: 3))
        #expect(run(seed: 3) != run(seed: 4))
    }

    /// Pinned proposals, so a change in any platform's arithmetic or in the algorithm shows up.
    /// These are this implementation's own outputs (recorded on x86_64 Linux), not a reference:
    /// if a deliberate change moves them, re-pin them and say so in the commit.
    @Test func proposalsArePinnedAcrossMachines() {
        var tpe = TreeParzenEstimator(space: Self.mixedSpace, seed: 2024)
        for _ in 0..<12 {
            let point = tpe.suggest(count: 1)[0]
            tpe.observe(point, value: Self.mixedObjective(point))
        }
        let batch = tpe.suggest(count: 2).map { $0.map(\.bitPattern) }
        #expect(batch == Self.pinned, "\(batch)")
    }

    /// [49, 0, 0.06726243180413405, 0.8939495841554914, 2, 0, 0.25, 7] and
    /// [90, 0, 0.7141443016362867, 0.961566750314317, 1, 0, 0.25, 7].
    static let pinned: [[UInt64]] = [
        [0x4048_8000_0000_0000, 0, 0x3fb1_381c_58d9_22b8, 0x3fec_9b3c_2887_0f72,
         0x4000_0000_0000_0000, 0, 0x3fd0_0000_0000_0000, 0x401c_0000_0000_0000],
        [0x4056_8000_0000_0000, 0, 0x3fe6_da45_2684_e230, 0x3fee_c527_a230_abf2,
         0x3ff0_0000_0000_0000, 0, 0x3fd0_0000_0000_0000, 0x401c_0000_0000_0000],
    ]

    @Test func startupProposalsMatchRandomSearch() {
        var tpe = TreeParzenEstimator(space: Self.mixedSpace, seed: 5, startupTrials: 6)
        var random = RandomSearch(space: Self.mixedSpace, seed: 5)
        for _ in 0..<3 {
            let batch = tpe.suggest(count: 2)
            #expect(batch == random.suggest(count: 2))
            for point in batch { tpe.observe(point, value: 0) }
        }
        #expect(tpe.suggest(count: 2) != random.suggest(count: 2))
    }

    /// Scripts that fail (NaN Sharpe, error → nil) for z > 0 rank last, so once the model is in
    /// use the search stays where scripts run.
    @Test func failedRunsPushTheSearchAway() {
        let space = SearchSpace([.real(name: "z", low: -1, high: 1, log: false),
                                 .real(name: "w", low: -1, high: 1, log: false)])
        var failuresAfterStartup = 0
        for seed in UInt64(0)..<5 {
            var tpe = TreeParzenEstimator(space: space, seed: seed)
            for trial in 0..<60 {
                let point = tpe.suggest(count: 1)[0]
                let value: Double? = point[0] > 0 ? (trial % 2 == 0 ? .nan : nil) : -point[1] * point[1]
                tpe.observe(point, value: value)
                if trial >= 30 && point[0] > 0 { failuresAfterStartup += 1 }
            }
            #expect(tpe.best.map { $0.point[0] <= 0 } == true)
        }
        // Uniform sampling would put 75 of these 150 proposals in the failing half.
        #expect(failuresAfterStartup < 30, "\(failuresAfterStartup) of 150")
    }

    /// Optuna's default_gamma: min(⌈n/10⌉, 25).
    @Test(arguments: [(0, 0), (1, 1), (10, 1), (11, 2), (100, 10), (101, 11), (250, 25), (1000, 25)])
    func goodCountIsOptunasGamma(observations: Int, expected: Int) {
        #expect(TreeParzenEstimator.goodCount(observations: observations) == expected)
    }

    @Test func anEmptySpaceProposesEmptyPoints() {
        var tpe = TreeParzenEstimator(space: SearchSpace([]), seed: 1, startupTrials: 1)
        tpe.observe([], value: 1)
        #expect(tpe.suggest(count: 2) == [[], []])
    }
}
