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
    static let scalars = Result { () throws -> [String: Double] in
        let csv = try FixtureCSV.read("research-btcusdt-1h-scalars.csv")
        guard csv.header == ["name", "value"] else {
            throw FixtureError(description: "\(csv.file): header must be name,value")
        }
        var values: [String: Double] = [:]
        for row in csv.rows {
            guard let value = Double(row[1]) else {
                throw FixtureError(description: "\(csv.file): '\(row[1])' is not a number")
            }
            guard values.updateValue(value, forKey: String(row[0])) == nil else {
                throw FixtureError(description: "\(csv.file): \(row[0]) appears twice")
            }
        }
        return values
    }
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
    static let groups: [ScalarGroup] = [
        ScalarGroup(name: "moments") { try momentStatistics() },
        ScalarGroup(name: "deflated Sharpe") { try deflatedSharpeStatistics() },
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

    // MARK: The normal distribution

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
