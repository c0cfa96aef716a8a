// Research statistics on inputs worked out by hand in the comments (degenerate factors, the CSCV
// conventions), the paper's published example for the deflated Sharpe ratio, and CSCV's
// behaviour on simulated strategies. No number here comes from llmalpha's own output.

import Testing

@testable import Primitives

private let nan = Double.nan

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

}
