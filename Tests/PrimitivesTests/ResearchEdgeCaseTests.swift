// Research statistics on inputs worked out by hand in the comments (degenerate factors, the CSCV
// conventions), the paper's published example for the deflated Sharpe ratio, and CSCV's
// behaviour on simulated strategies. No number here comes from llmalpha's own output.

import Testing

@testable import Primitives

private let nan = Double.nan

@Suite("Research statistics: hand-computed cases")
struct ResearchEdgeCaseTests {
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
