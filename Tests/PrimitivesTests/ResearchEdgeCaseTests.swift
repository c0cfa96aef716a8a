// Research statistics on inputs worked out by hand in the comments (degenerate factors, the CSCV
// conventions), the paper's published example for the deflated Sharpe ratio, and CSCV's
// behaviour on simulated strategies. No number here comes from llmalpha's own output.

import Foundation   // log, cos
import Testing

@testable import Primitives

private let nan = Double.nan

/// SplitMix64 (Steele, Lea & Flood 2014) with Box–Muller normals: a small deterministic generator
/// so the simulated CSCV matrices are the same on every machine.
private struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1): the top 53 bits, offset by half a step so 0 never comes out.
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) * 0x1.0p-53 }

    /// A standard normal by Box–Muller (the cosine half; the sine half is dropped for simplicity).
    mutating func normal() -> Double {
        let u = uniform(), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

@Suite("Research statistics: hand-computed cases")
struct ResearchEdgeCaseTests {
    // MARK: FactorStatistics on degenerate factors

    /// 30 bars of rising closes with a wiggle, so forward returns vary.
    private static let close: [Double] = (0..<30).map { (i: Int) -> Double in
        let wiggle: Double = i % 3 == 0 ? 0.5 : 0
        return 100 + Double(i) + wiggle
    }

    private func expectAllNaN(_ s: FactorStatistics, quantiles: Int = 5, _ what: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(s.ic.isNaN && s.hacT.isNaN && s.pValue.isNaN, "\(what): IC, t, p", sourceLocation: sourceLocation)
        #expect(s.periodICs.isEmpty && s.informationRatio.isNaN, "\(what): periods", sourceLocation: sourceLocation)
        #expect(s.quantileMeans.count == quantiles && s.quantileMeans.allSatisfy(\.isNaN),
                "\(what): quantile means", sourceLocation: sourceLocation)
        #expect(s.monotonicity.isNaN, "\(what): monotonicity", sourceLocation: sourceLocation)
    }

    @Test func allNaNFactorHasNoObservations() {
        let factor = [Double](repeating: nan, count: 30)
        for s in FactorStatistics.compute(factor: factor, close: Self.close, horizons: [1, 4], periodBars: 10) {
            #expect(s.observations == 0)
            expectAllNaN(s, "all-NaN factor h\(s.horizon)")
            #expect(s.rankAutocorrelation.isNaN && s.rankTurnover.isNaN)
            // Default lags with n = 0: max(h - 1, 0).
            #expect(s.hacLags == s.horizon - 1)
        }
    }

    @Test func constantFactorHasNoIC() {
        // 30 bars at h = 1: the last bar has no forward return, 29 valid pairs.
        let s = FactorStatistics.compute(factor: [Double](repeating: 0.7, count: 30),
                                         forward: FactorStatistics.forwardReturns(close: Self.close, horizon: 1),
                                         horizon: 1, periodBars: 10)
        #expect(s.observations == 29)
        // pandas would still cut a constant factor into time-ordered bins; we report NaN (see
        // FactorStatistics' doc comment).
        expectAllNaN(s, "constant factor")
        #expect(s.rankAutocorrelation.isNaN)
    }

    @Test func fewerThanThreeValidPairsGiveNaN() {
        // Only bars 3 and 7 have both a factor and a forward return.
        var factor = [Double](repeating: nan, count: 10)
        factor[3] = 1
        factor[7] = 2
        factor[9] = 3   // bar 9 has no forward return at h = 1
        let forward = FactorStatistics.forwardReturns(close: Array(Self.close.prefix(10)), horizon: 1)
        let s = FactorStatistics.compute(factor: factor, forward: forward, horizon: 1, periodBars: 5)
        #expect(s.observations == 2)
        expectAllNaN(s, "two valid pairs")
        // Rank autocorrelation pairs factor[t] with factor[t-1]: no bar has both.
        #expect(s.rankAutocorrelation.isNaN)
    }

    @Test func horizonAtOrBeyondLengthHasNoObservations() {
        let factor = (0..<30).map { Double($0 % 7) }
        for s in FactorStatistics.compute(factor: factor, close: Self.close, horizons: [29, 30, 45], periodBars: 10) {
            // h = 29 leaves exactly one forward return (bar 0), h >= 30 none.
            #expect(s.observations == (s.horizon == 29 ? 1 : 0), "h\(s.horizon)")
            expectAllNaN(s, "h\(s.horizon)")
            #expect(s.hacLags == s.horizon - 1)
            // The factor alone still has a rank autocorrelation.
            #expect(!s.rankAutocorrelation.isNaN)
        }
    }

    @Test func constantForwardReturnsHaveNoICAndFlatQuantiles() {
        // A constant close: every forward return is exactly 0.
        let close = [Double](repeating: 50, count: 40)
        let factor = (0..<40).map { Double(($0 * 7) % 11) }
        let s = FactorStatistics.compute(factor: factor, close: close, horizons: [2], periodBars: 20)[0]
        #expect(s.observations == 38)
        #expect(s.ic.isNaN && s.hacT.isNaN && s.pValue.isNaN)
        #expect(s.quantileMeans == [0, 0, 0, 0, 0])
        #expect(s.monotonicity.isNaN, "all bin means equal: no ranking")
        #expect(s.periodICs.isEmpty)
    }

    @Test func quantileBinsAndRankTurnoverByHand() {
        // factor = forward = 1...10 (shuffled in time), q = 5, so each bin holds two bars.
        // qcut over ordinal ranks r: edges 1 + k·9/5 = 1, 2.8, 4.6, 6.4, 8.2, 10 -> bins
        // {1,2} {3,4} {5,6} {7,8} {9,10}; forward = factor/100 gives means .015 .035 .055 .075 .095,
        // monotonicity 1 and IC 1.
        let factor: [Double] = [3, 9, 1, 6, 10, 2, 8, 4, 7, 5]
        let forward = factor.map { $0 / 100 }
        let s = FactorStatistics.compute(factor: factor, forward: forward, horizon: 1, periodBars: 100)
        #expect(s.observations == 10)
        #expect(s.ic == 1)
        let expected = [0.015, 0.035, 0.055, 0.075, 0.095]
        for i in 0..<5 { expectClose(s.quantileMeans[i], expected[i], "bin \(i)") }
        #expect(s.monotonicity == 1)
        // One period of 10 bars: below max(10, 100/4) = 25 valid pairs, so skipped.
        #expect(s.periodICs.isEmpty && s.informationRatio.isNaN)
        // Lag-1 pairs (x[t], x[t-1]): (9,3) (1,9) (6,1) (10,6) (2,10) (8,2) (4,8) (7,4) (5,7).
        // Ranks of the first: 9,1,6,10,2,8,4,7,5 -> 8,1,5,9,2,7,3,6,4; of the second:
        // 3,9,1,6,10,2,8,4,7 -> 3,8,1,5,9,2,7,4,6. d = 5,-7,4,4,-7,5,-4,2,-2; Σd² = 204;
        // ρ = 1 - 6·204 / (9·80) = 1 - 1.7 = -0.7, rank turnover 1.7.
        expectClose(s.rankAutocorrelation, -0.7, "rank autocorrelation")
        expectClose(s.rankTurnover, 1.7, "rank turnover")
    }

    @Test func signedZerosTieAndInfinitiesRank() {
        // -0.0 and +0.0 are one value (average rank 1.5 each); +∞ is simply the largest.
        // Factor ranks 1.5 1.5 3 4 5, forward ranks 1.5 1.5 3 4 5: IC exactly 1.
        let s = FactorStatistics.compute(factor: [-0.0, 0.0, 1, 2, .infinity],
                                         forward: [0.01, 0.01, 0.02, 0.03, 0.04],
                                         horizon: 1, periodBars: 100, quantiles: 2)
        #expect(s.observations == 5)
        #expect(s.ic == 1)
        // qcut(rank(first), 2) over r = 1...5: edges 1, 3, 5 -> bins {1,2,3} {4,5}.
        expectClose(s.quantileMeans[0], (0.01 + 0.01 + 0.02) / 3, "bin 0")
        expectClose(s.quantileMeans[1], 0.035, "bin 1")
    }

    @Test func theEntryPointsAgree() throws {
        // [Double] per horizon, SortedSeries per horizon and the close convenience must give
        // the same numbers bit for bit: they share one implementation and one ranking.
        let t = try ResearchFixtures.bars.get()
        let factor = try t["zrev_48_round1"], close = try t["close"]
        let viaClose = FactorStatistics.compute(factor: factor, close: close, horizons: [1, 24], periodBars: 240)
        let sortedFactor = SortedSeries(factor)
        for (k, h) in [1, 24].enumerated() {
            let forward = FactorStatistics.forwardReturns(close: close, horizon: h)
            let viaArrays = FactorStatistics.compute(factor: factor, forward: forward, horizon: h, periodBars: 240)
            let viaSorted = FactorStatistics.compute(factor: sortedFactor, forward: SortedSeries(forward),
                                                     horizon: h, periodBars: 240)
            for s in [viaArrays, viaSorted] {
                #expect(s.observations == viaClose[k].observations && s.hacLags == viaClose[k].hacLags)
                #expect(s.ic == viaClose[k].ic && s.hacT == viaClose[k].hacT && s.pValue == viaClose[k].pValue)
                #expect(s.periodICs == viaClose[k].periodICs && s.quantileMeans == viaClose[k].quantileMeans)
                #expect(s.rankAutocorrelation == viaClose[k].rankAutocorrelation)
            }
        }
    }

    @Test func defaultHACLagsFollowNeweyWestAndTheHorizon() {
        // floor(4 (n/100)^(2/9)): n = 100 -> 4; n = 2952 -> floor(8.48) = 8; n = 50,000 -> 15.
        #expect(FactorStatistics.defaultHACLags(observations: 100, horizon: 1) == 4)
        #expect(FactorStatistics.defaultHACLags(observations: 2952, horizon: 4) == 8)
        #expect(FactorStatistics.defaultHACLags(observations: 50_000, horizon: 1) == 15)
        #expect(FactorStatistics.defaultHACLags(observations: 2952, horizon: 24) == 23)
    }

    // MARK: Normal distribution

    @Test func normalQuantileEdges() {
        #expect(NormalDistribution.quantile(0) == -.infinity)
        #expect(NormalDistribution.quantile(1) == .infinity)
        #expect(NormalDistribution.quantile(0.5) == 0)
        for p in [-0.1, 1.1, nan, -.infinity] { #expect(NormalDistribution.quantile(p).isNaN, "p = \(p)") }
        #expect(NormalDistribution.cdf(-.infinity) == 0 && NormalDistribution.cdf(.infinity) == 1)
        #expect(NormalDistribution.cdf(0) == 0.5)
        #expect(NormalDistribution.cdf(nan).isNaN)
    }

    // MARK: Deflated Sharpe ratio

    @Test func deflatedSharpeReproducesThePapersExample() {
        // Bailey & López de Prado (2014), section 4: N = 100 trials, variance of the annualized
        // Sharpe ratios 0.5, T = 1250 daily returns, annualized SR 2.5, skewness -3, kurtosis 10,
        // 250 days a year. The paper reports SR₀ = 0.1132 (per day) and DSR = 0.9004.
        let result = DeflatedSharpe.compute(sharpe: 2.5 / 250.0.squareRoot(), observations: 1250,
                                            skewness: -3, kurtosis: 10, trials: 100, variance: 0.5 / 250)
        #expect((result.threshold * 10_000).rounded() == 1132)
        #expect((result.dsr * 10_000).rounded() == 9004)
    }

    @Test func deflatedSharpeFallsAsTrialsRise() {
        var previous = Double.infinity
        for trials in [10, 100, 1000, 10_000] {
            let dsr = DeflatedSharpe.compute(sharpe: 2.5 / 250.0.squareRoot(), observations: 1250,
                                             skewness: -3, kurtosis: 10, trials: trials, variance: 0.5 / 250).dsr
            #expect(dsr < previous, "DSR at \(trials) trials: \(dsr), not below \(previous)")
            previous = dsr
        }
    }

    @Test func deflatedSharpeEdges() {
        #expect(DeflatedSharpe.expectedMaximumSharpe(trials: 1, variance: 0.3) == 0)
        #expect(DeflatedSharpe.expectedMaximumSharpe(trials: 0, variance: 0.3) == 0)
        #expect(DeflatedSharpe.expectedMaximumSharpe(trials: 10, variance: -1).isNaN)
        #expect(DeflatedSharpe.probabilisticSharpe(sharpe: 0.1, benchmark: 0, observations: 1,
                                                   skewness: 0, kurtosis: 3).isNaN)
        // SR = benchmark: z = 0, PSR = 1/2 whatever the moments.
        #expect(DeflatedSharpe.probabilisticSharpe(sharpe: 0.1, benchmark: 0.1, observations: 100,
                                                   skewness: -1, kurtosis: 6) == 0.5)
        // 1 - γ₃ SR + (γ₄ - 1)/4 SR² = 1 - 2·1 + 0 < 0 with γ₄ = 1: inconsistent moments.
        #expect(DeflatedSharpe.probabilisticSharpe(sharpe: 1, benchmark: 0, observations: 100,
                                                   skewness: 2, kurtosis: 1).isNaN)
    }

    @Test func momentsByHand() {
        // [1, 2, 3, 10] plus a NaN (skipped): mean 4; deviations -3 -2 -1 6; Σd² = 50, Σd³ = 180,
        // Σd⁴ = 1394. std = √(50/3); m2 = 12.5, m3 = 45, m4 = 348.5; skewness = 45 / 12.5^1.5,
        // kurtosis = 348.5 / 156.25.
        let m = DeflatedSharpe.moments([1, 2, nan, 3, 10])
        #expect(m.mean == 4)
        expectClose(m.std, (50.0 / 3).squareRoot(), "std")
        expectClose(m.skewness, 45 / (12.5 * 12.5.squareRoot()), "skewness")
        expectClose(m.kurtosis, 348.5 / 156.25, "kurtosis")
        // scipy: skew and kurtosis of equal values are NaN (its m2 <= (eps·mean)² rule), even
        // when rounding leaves m2 a hair above 0, as for 0.1.
        let constant = DeflatedSharpe.moments([0.1, 0.1, 0.1])
        #expect(constant.skewness.isNaN && constant.kurtosis.isNaN)
        let empty = DeflatedSharpe.moments([nan])
        #expect(empty.mean.isNaN && empty.std.isNaN && empty.skewness.isNaN && empty.kurtosis.isNaN)
        #expect(DeflatedSharpe.moments([2]).std.isNaN)
    }

    // MARK: CSCV

    @Test func cscvByHandWithFourBlocksAndTwoTrials() throws {
        // Row 0 (9 mod 4 = 1 row) is dropped; then 4 blocks of 2 rows:
        //   A: [1,3] [1,3] [-3,-1] [-3,-1]     B: [0,2] in every block.
        // Any 4 rows of B have mean 1 and std 2/√3: Sharpe √3/2. A over blocks {0,1}: mean 2,
        // std 2/√3, Sharpe √3; over {2,3}: -√3; over one good and one bad block: mean 0, Sharpe 0.
        // Splits by ascending training mask (bit b = block b trains):
        //   3 {0,1}: A trains best (√3 > √3/2); tests on {2,3} at -√3 < √3/2: rank 1 of 2,
        //            ω = 1/3, λ = ln(1/2) <= 0, and a loss.
        //   5 {0,2}, 6 {1,2}, 9 {0,3}, 10 {1,3}: A trains at 0, B is chosen and tests at √3/2 > 0:
        //            rank 2, ω = 2/3, λ = ln 2.
        //   12 {2,3}: B chosen (A at -√3); tests on {0,1} where A has √3: rank 1, λ = ln(1/2).
        // PBO = 2/6, probability of loss = 1/6. Degradation: the train/test pairs are (√3, -√3)
        // once and (√3/2, √3/2) five times, slope (-√3 - √3/2) / (√3 - √3/2) = -3.
        let a: [Double] = [100, 1, 3, 1, 3, -3, -1, -3, -1]
        let b: [Double] = [-100, 0, 2, 0, 2, 0, 2, 0, 2]
        let r = try #require(BacktestOverfitting.cscv(returns: [a, b], splits: 4))
        let root3 = 3.0.squareRoot(), half = root3 / 2
        #expect(r.combinations == 6)
        #expect(r.selectedTrials == [0, 1, 1, 1, 1, 1])
        expectMatches(r.logits, [log(0.5), log(2), log(2), log(2), log(2), log(0.5)], column: "logits")
        expectMatches(r.trainPerformance, [root3, half, half, half, half, half], column: "train")
        expectMatches(r.testPerformance, [-root3, half, half, half, half, half], column: "test")
        expectClose(r.pbo, 2.0 / 6, "pbo")
        expectClose(r.probabilityOfLoss, 1.0 / 6, "probability of loss")
        expectClose(r.performanceDegradation, -3, "degradation slope")
    }

    @Test func cscvZeroVarianceTrialsRankLast() throws {
        // Trial 0 is flat (std 0 everywhere: performance -∞); trial 1 varies. Trial 1 is chosen
        // in every split whatever its Sharpe ratio, and out of sample beats -∞: rank 2, λ = ln 2.
        let flat = [Double](repeating: 0, count: 16)
        let varying: [Double] = [1, -2, 0.5, 3, -1, 2, -0.5, 1, -3, 2, 1, -1, 0.25, 2, -2, 1]
        let r = try #require(BacktestOverfitting.cscv(returns: [flat, varying], splits: 4))
        #expect(r.selectedTrials == [1, 1, 1, 1, 1, 1])
        #expect(r.pbo == 0)
        // All flat: trial 0 chosen (lowest index), ties out of sample: rank 1.5, ω = 1/2, λ = 0,
        // which counts as overfit; -∞ < 0 counts as a loss.
        let allFlat = try #require(BacktestOverfitting.cscv(returns: [flat, flat, flat], splits: 4))
        #expect(allFlat.selectedTrials.allSatisfy { $0 == 0 })
        #expect(allFlat.logits.allSatisfy { $0 == 0 })
        #expect(allFlat.pbo == 1 && allFlat.probabilityOfLoss == 1)
        #expect(allFlat.performanceDegradation.isNaN, "no finite train/test pairs")
        // NaN returns count as 0: a NaN-only trial is flat too.
        let nanTrial = [Double](repeating: nan, count: 16)
        let withNaN = try #require(BacktestOverfitting.cscv(returns: [nanTrial, varying], splits: 4))
        #expect(withNaN.selectedTrials == [1, 1, 1, 1, 1, 1])
    }

    @Test func cscvNeedsTwoTrialsAndTwoRowsPerBlock() {
        let x = [Double](repeating: 1, count: 32)
        #expect(BacktestOverfitting.cscv(returns: [x], splits: 16) == nil)
        #expect(BacktestOverfitting.cscv(returns: [Array(x.prefix(31)), Array(x.prefix(31))], splits: 16) == nil)
        #expect(BacktestOverfitting.cscv(returns: [x, x], splits: 16) != nil)
    }

    /// N series of T seeded standard normal returns; `edge` is added to trial 0's mean.
    private static func simulated(trials: Int, rows: Int, seed: UInt64, edge: Double = 0) -> [[Double]] {
        var rng = SplitMix64(state: seed)
        return (0..<trials).map { j in (0..<rows).map { _ in rng.normal() + (j == 0 ? edge : 0) } }
    }

    @Test func cscvOnPureNoiseIsACoinFlip() throws {
        // With no skill the in-sample winner is a random trial out of sample, so PBO is 1/2 in
        // expectation. One matrix's PBO is widely spread, because its splits share the data:
        // for 50 trials × 1600 rows, seeds 1...20 gave 0.20 to 0.92 with 16 blocks and a standard
        // deviation of 0.18 over 200 seeds with 8 blocks (release runs while writing this test).
        // So the property is checked on the mean of 32 matrices with 8 blocks (standard error
        // about 0.03, the band ±0.15 is about 5 of them), and the 16-block case of the brief runs
        // once at full size (its 12,870 splits).
        var total = 0.0
        for seed in 1...32 as ClosedRange<UInt64> {
            let r = try #require(BacktestOverfitting.cscv(
                returns: Self.simulated(trials: 50, rows: 1600, seed: seed), splits: 8))
            #expect(r.combinations == 70)
            total += r.pbo
        }
        let mean = total / 32
        #expect(abs(mean - 0.5) <= 0.15, "mean PBO over 32 noise matrices: \(mean)")

        let full = try #require(BacktestOverfitting.cscv(
            returns: Self.simulated(trials: 50, rows: 1600, seed: 1), splits: 16))
        #expect(full.combinations == 12_870)
        #expect(abs(full.pbo - 0.5) <= 0.15, "PBO of one noise matrix, 16 blocks: \(full.pbo)")
    }

    @Test func cscvFindsARealEdge() throws {
        // Trial 0 earns 0.2 standard deviations per row on top of noise; 49 trials are noise.
        // Over 800 rows a noise Sharpe ratio has sd 1/√800 ≈ 0.035, so the best of 49 is about
        // 0.08: trial 0 wins in sample nearly always and stays on top out of sample (PBO at most
        // 0.006 over seeds 1...20). An edge of 0.1 is not enough for PBO < 0.05: 0.1 ± 0.035
        // loses to the best noise trial in a good share of splits (PBO 0.02 to 0.41 over seeds
        // 1...20, mean 0.14).
        let r = try #require(BacktestOverfitting.cscv(
            returns: Self.simulated(trials: 50, rows: 1600, seed: 7, edge: 0.2), splits: 16))
        #expect(r.pbo < 0.05, "PBO with a real edge: \(r.pbo)")
        #expect(r.probabilityOfLoss < 0.05)
    }
}
