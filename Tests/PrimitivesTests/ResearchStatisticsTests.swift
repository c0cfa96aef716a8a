// The research statistics (FactorStatistics, FactorIC, NormalDistribution, DeflatedSharpe,
// BacktestOverfitting) against pandas, scipy and statsmodels. Expected values: the research-*.csv
// files under Fixtures/, written by Fixtures/make_research_fixtures.py (library versions in their
// headers). Nothing in them comes from llmalpha.
//
// Tolerance: 1e-9 relative (`expectClose`) unless a case says otherwise. The normal distribution
// is held to 1e-12 relative, the accuracy asked of it; scipy's cephes and our AS 241 agree far
// closer than that.

import Testing

@testable import Primitives

/// The research fixtures, each read once per test process.
enum ResearchFixtures {
    /// close, zrev_48, zrev_48_round1, forward_return_{1,4,24}: 3000 BTCUSDT 1h bars.
    static let bars = Result { try ReferenceTable.load("research-btcusdt-1h.csv") }
    /// x, cdf (scipy norm.cdf), p, quantile (scipy ndtri).
    static let normal = Result { try ReferenceTable.load("research-normal.csv") }
    /// factor, forward: 14 bars, 11 valid pairs.
    static let smallCase = Result { try ReferenceTable.load("research-small-case.csv") }
    /// trial_0 ... trial_5: 44 rows.
    static let cscvReturns = Result { try ReferenceTable.load("research-cscv-returns.csv") }
    /// mask, selected, train, test, logit: one row per CSCV split with 8 blocks.
    static let cscvSplits = Result { try ReferenceTable.load("research-cscv-s8.csv") }
    /// `name,value` references.
    static let scalars = Result { try FixtureCSV.scalars("research-btcusdt-1h-scalars.csv") }
}

/// One group of scalar references and how we compute them: `compute` returns our value for each
/// fixture name it covers.
struct ScalarGroup: Sendable, CustomTestStringConvertible {
    let name: String
    let compute: @Sendable () throws -> [String: Double]
    var testDescription: String { name }
}

@Suite("Research statistics match pandas, scipy and statsmodels")
struct ResearchStatisticsTests {
    static let factors = ["zrev_48", "zrev_48_round1"]
    static let horizons = [1, 4, 24]
    static let periodBars = 240

    static let groups: [ScalarGroup] = factors.map { factor in
        ScalarGroup(name: factor) { try factorStatistics(factor) }
    } + [
        ScalarGroup(name: "FactorIC t") { try factorICStatistics() },
        ScalarGroup(name: "non-default parameters") { try variantStatistics() },
        ScalarGroup(name: "small case") { try smallCaseStatistics() },
        ScalarGroup(name: "moments") { try momentStatistics() },
        ScalarGroup(name: "deflated Sharpe") { try deflatedSharpeStatistics() },
        ScalarGroup(name: "CSCV summary") { try cscvStatistics() },
    ]

    @Test("scalar reference group", arguments: groups)
    func matchesReference(_ group: ScalarGroup) throws {
        let expected = try ResearchFixtures.scalars.get()
        let ours = try group.compute()
        #expect(!ours.isEmpty)
        for (name, value) in ours.sorted(by: { $0.key < $1.key }) {
            guard let reference = expected[name] else {
                Issue.record("\(group.name): we compute \(name), which the fixture lacks")
                continue
            }
            expectClose(value, reference, name)
        }
    }

    /// A reference without a computation would silently go untested.
    @Test func everyScalarReferenceIsComputedExactlyOnce() throws {
        let expected = try ResearchFixtures.scalars.get()
        var seen: [String: Int] = [:]
        for group in Self.groups {
            for name in try group.compute().keys { seen[name, default: 0] += 1 }
        }
        for name in expected.keys.sorted() where seen[name] != 1 {
            Issue.record("research scalar \(name) is computed \(seen[name] ?? 0) times")
        }
    }

    // MARK: FactorStatistics on BTCUSDT 1h

    static func factorStatistics(_ factor: String) throws -> [String: Double] {
        let t = try ResearchFixtures.bars.get()
        let f = try t[factor], close = try t["close"]
        var out: [String: Double] = [:]
        for s in FactorStatistics.compute(factor: f, close: close, horizons: horizons,
                                          periodBars: periodBars) {
            let p = "\(factor)_h\(s.horizon)_"
            out[p + "observations"] = Double(s.observations)
            out[p + "ic"] = s.ic
            out[p + "hac_lags"] = Double(s.hacLags)
            out[p + "hac_t"] = s.hacT
            out[p + "hac_p"] = s.pValue
            out[p + "period_ic_count"] = Double(s.periodICs.count)
            for (k, ic) in s.periodICs.enumerated() { out[p + "period_ic_\(k)"] = ic }
            out[p + "ir"] = s.informationRatio
            for (i, mean) in s.quantileMeans.enumerated() { out[p + "quantile_mean_\(i)"] = mean }
            out[p + "monotonicity"] = s.monotonicity
            // The same factor-only number at every horizon.
            out["\(factor)_rank_autocorrelation_lag1"] = s.rankAutocorrelation
        }
        return out
    }

    /// FactorIC (the factor layer's report) had no reference before: its IC is scipy's
    /// spearmanr and its t is `ic * sqrt((n/h - 2) / (1 - ic²))` on scipy's ρ.
    static func factorICStatistics() throws -> [String: Double] {
        let t = try ResearchFixtures.bars.get()
        let expected = try ResearchFixtures.scalars.get()
        var out: [String: Double] = [:]
        for factor in factors {
            for report in FactorIC.compute(factor: try t[factor], close: try t["close"], horizons: horizons) {
                let p = "\(factor)_h\(report.horizon)_"
                out["factor_ic_\(p)t"] = report.tStatistic
                // The IC and n are FactorStatistics' references too; checked here without
                // claiming the names a second time.
                expectClose(report.ic, try #require(expected[p + "ic"]), "FactorIC \(p)ic")
                #expect(Double(report.observations) == expected[p + "observations"],
                        "FactorIC \(p)observations")
            }
        }
        return out
    }

    static func variantStatistics() throws -> [String: Double] {
        let t = try ResearchFixtures.bars.get()
        let f = try t["zrev_48"], close = try t["close"]
        let forward24 = FactorStatistics.forwardReturns(close: close, horizon: 24)
        var out: [String: Double] = [:]
        for lags in [0, 10, 50] {
            let s = FactorStatistics.compute(factor: f, forward: forward24, horizon: 24,
                                             periodBars: periodBars, hacLags: lags)
            #expect(s.hacLags == lags)
            out["zrev_48_h24_lags\(lags)_hac_t"] = s.hacT
            out["zrev_48_h24_lags\(lags)_hac_p"] = s.pValue
        }
        let q10 = FactorStatistics.compute(factor: f, forward: FactorStatistics.forwardReturns(close: close, horizon: 4),
                                           horizon: 4, periodBars: periodBars, quantiles: 10)
        #expect(q10.quantileMeans.count == 10)
        for (i, mean) in q10.quantileMeans.enumerated() { out["zrev_48_h4_q10_quantile_mean_\(i)"] = mean }
        out["zrev_48_h4_q10_monotonicity"] = q10.monotonicity
        let lag24 = FactorStatistics.compute(factor: f, forward: forward24, horizon: 24,
                                             periodBars: periodBars, turnoverLag: 24)
        out["zrev_48_rank_autocorrelation_lag24"] = lag24.rankAutocorrelation
        return out
    }

    static func smallCaseStatistics() throws -> [String: Double] {
        let t = try ResearchFixtures.smallCase.get()
        let f = try t["factor"], r = try t["forward"]
        var out: [String: Double] = [:]
        let s5 = FactorStatistics.compute(factor: f, forward: r, horizon: 1, periodBars: 100, hacLags: 2)
        out["small_observations"] = Double(s5.observations)
        out["small_ic"] = s5.ic
        out["small_lags2_hac_t"] = s5.hacT
        out["small_lags2_hac_p"] = s5.pValue
        for (i, mean) in s5.quantileMeans.enumerated() { out["small_q5_quantile_mean_\(i)"] = mean }
        out["small_q5_monotonicity"] = s5.monotonicity
        let s2 = FactorStatistics.compute(factor: f, forward: r, horizon: 1, periodBars: 100, quantiles: 2)
        for (i, mean) in s2.quantileMeans.enumerated() { out["small_q2_quantile_mean_\(i)"] = mean }
        out["small_q2_monotonicity"] = s2.monotonicity
        return out
    }

    // MARK: Moments and the deflated Sharpe ratio

    static func momentStatistics() throws -> [String: Double] {
        let t = try ResearchFixtures.bars.get()
        let close = try t["close"]
        var out: [String: Double] = [:]
        for (name, x) in [("return_1", PandasReferenceTests.returns(close)),
                          ("forward_return_24", try t["forward_return_24"])] {
            let m = DeflatedSharpe.moments(x)
            out["moments_\(name)_mean"] = m.mean
            out["moments_\(name)_std"] = m.std
            out["moments_\(name)_skewness"] = m.skewness
            out["moments_\(name)_kurtosis"] = m.kurtosis
        }
        return out
    }

    static func deflatedSharpeStatistics() throws -> [String: Double] {
        var out: [String: Double] = [:]
        let paper = DeflatedSharpe.compute(sharpe: 2.5 / 250.0.squareRoot(), observations: 1250,
                                           skewness: -3, kurtosis: 10, trials: 100, variance: 0.5 / 250)
        out["dsr_paper_threshold"] = paper.threshold
        out["dsr_paper_dsr"] = paper.dsr
        let returns = PandasReferenceTests.returns(try ResearchFixtures.bars.get()["close"])
        let m = DeflatedSharpe.moments(returns)
        let count = returns.filter { !$0.isNaN }.count
        let btc = DeflatedSharpe.compute(sharpe: m.mean / m.std, observations: count, skewness: m.skewness,
                                         kurtosis: m.kurtosis, trials: 50, variance: 1e-4)
        out["dsr_return_1_threshold"] = btc.threshold
        out["dsr_return_1_dsr"] = btc.dsr
        out["psr_return_1_vs_0"] = DeflatedSharpe.probabilisticSharpe(
            sharpe: m.mean / m.std, benchmark: 0, observations: count, skewness: m.skewness,
            kurtosis: m.kurtosis)
        return out
    }

    // MARK: CSCV

    static func cscvInput() throws -> [[Double]] {
        let t = try ResearchFixtures.cscvReturns.get()
        return try (0..<6).map { try t["trial_\($0)"] }
    }

    static func cscvStatistics() throws -> [String: Double] {
        let result = try #require(BacktestOverfitting.cscv(returns: try cscvInput(), splits: 8))
        return [
            "cscv_s8_pbo": result.pbo,
            "cscv_s8_probability_of_loss": result.probabilityOfLoss,
            "cscv_s8_performance_degradation": result.performanceDegradation,
            "cscv_s8_combinations": Double(result.combinations),
        ]
    }

    @Test func cscvSplitsMatchTheDefinitionRowByRow() throws {
        let expected = try ResearchFixtures.cscvSplits.get()
        let result = try #require(BacktestOverfitting.cscv(returns: try Self.cscvInput(), splits: 8))
        #expect(result.combinations == 70 && expected.rowCount == 70)
        // Masks ascend with exactly 4 of 8 bits set: the enumeration order we document.
        let masks = try expected["mask"]
        #expect(masks == masks.sorted() && masks.allSatisfy { Int($0).nonzeroBitCount == 4 })
        #expect(result.selectedTrials.map(Double.init) == (try expected["selected"]))
        expectMatches(result.trainPerformance, try expected["train"], column: "cscv train Sharpe of n*")
        expectMatches(result.testPerformance, try expected["test"], column: "cscv test Sharpe of n*")
        expectMatches(result.logits, try expected["logit"], column: "cscv logit")
    }

    // MARK: Inputs and the normal distribution

    @Test func forwardReturnsMatchPandas() throws {
        let t = try ResearchFixtures.bars.get()
        for h in Self.horizons {
            expectMatches(FactorStatistics.forwardReturns(close: try t["close"], horizon: h),
                          try t["forward_return_\(h)"], column: "forward_return_\(h)", tolerance: .nearZero)
        }
    }

    @Test func normalCDFMatchesSciPy() throws {
        let t = try ResearchFixtures.normal.get()
        let x = try t["x"], cdf = try t["cdf"]
        for i in x.indices {
            let ours = NormalDistribution.cdf(x[i])
            // scipy flushes Φ(-38) ≈ 2.9e-316 (subnormal) to 0; an absolute 1e-300 covers that.
            #expect(abs(ours - cdf[i]) <= 1e-12 * abs(cdf[i]) || abs(ours - cdf[i]) < 1e-300,
                    "cdf(\(x[i])): got \(ours), expected \(cdf[i])")
        }
    }

    @Test func normalQuantileMatchesSciPy() throws {
        let t = try ResearchFixtures.normal.get()
        let p = try t["p"], quantile = try t["quantile"]
        for i in p.indices {
            let ours = NormalDistribution.quantile(p[i])
            #expect(abs(ours - quantile[i]) <= 1e-12 * abs(quantile[i]),
                    "quantile(\(p[i])): got \(ours), expected \(quantile[i])")
        }
    }
}
