// Our kernels against pandas, numpy and scipy (versions in the fixture header). Expected values:
// Fixtures/reference-btcusdt-1h.csv, Fixtures/edge-cases.csv and
// Fixtures/reference-btcusdt-1h-scalars.csv, written by Fixtures/make_fixtures.py. Population
// statistics (ddof=0) throughout, as DESIGN §3.2.

import SIMDKernelsC
import Testing

@testable import Primitives

@Suite("Kernels match pandas, numpy and scipy")
struct PandasReferenceTests {
    static let cases: [ColumnCase] = barCases + edgeCases

    @Test("pandas/numpy reference column", arguments: cases)
    func matchesPandas(_ reference: ColumnCase) throws {
        try reference.check()
    }

    /// The AVX2 build of SIMDKernelsC's loops is what runs on the test machine; this runs the
    /// baseline build of each against the same references.
    @Test("The baseline (SSE2) build of the SIMD loops matches the references too")
    func baselineBuildMatches() throws {
        llma_simd_use_baseline(1)
        defer { llma_simd_use_baseline(0) }
        let columns: Set = ["sma_20", "pct_change_10", "crossover_sma10_sma30", "crossunder_sma10_sma30",
                            "std_20", "var_20", "zscore_168", "bbands_20_2_upper", "bbands_20_2_middle",
                            "bbands_20_2_lower", "bigoffset_std_20", "bigoffset_zscore_20", "constant_std_20",
                            "constant_zscore_20", "plateau_std_5", "plateau_zscore_5", "gap_std_5", "atr_14", "constant_atr_5"]
        let chosen = (Self.cases + TALibReferenceTests.cases).filter { columns.contains($0.column) }
        #expect(Set(chosen.map(\.column)) == columns)
        for reference in chosen { try reference.check() }
    }

    // MARK: BTCUSDT 1h, 3000 bars

    static let barCases: [ColumnCase] = [
        .init("zscore_168", .nearZero) { t in
            Kernel.run(try t["close"]) { Rolling.zScore($0, window: 168, into: $1) }
        },
        // Order statistics at small and large windows (above 256 the kernels switch algorithm).
        .init("median_21") { t in Kernel.run(try t["close"]) { Rolling.median($0, window: 21, into: $1) } },
        .init("median_301") { t in
            Kernel.run(try t["close"]) { Rolling.median($0, window: 301, into: $1) }
        },
        .init("median_400") { t in
            Kernel.run(try t["close"]) { Rolling.median($0, window: 400, into: $1) }
        },
        // pandas rolling(n).rank(method="max", pct=True): the fraction of the window <= x[t].
        .init("rank_100") { t in
            Kernel.run(try t["close"]) { Rolling.percentRank($0, window: 100, into: $1) }
        },
        .init("rank_500") { t in
            Kernel.run(try t["close"]) { Rolling.percentRank($0, window: 500, into: $1) }
        },
        .init("quantile_50_0.9") { t in
            Kernel.run(try t["close"]) { Rolling.quantile($0, window: 50, probability: 0.9, into: $1) }
        },
        .init("quantile_400_0.25") { t in
            Kernel.run(try t["close"]) { Rolling.quantile($0, window: 400, probability: 0.25, into: $1) }
        },
        .init("cov_30", .nearZero) { t in
            Kernel.run(try t["close"], try t["eth_close"]) {
                Rolling.covariance($0, $1, window: 30, into: $2)
            }
        },
        // Inputs are the one-bar returns, made here with pandas' own formula (x[t] / x[t-1] - 1,
        // the same IEEE operations) so this case tests beta alone. Index 0 is NaN, so the first
        // beta is at 1 + 30 - 1 = 30.
        .init("beta_30_returns") { t in
            Kernel.run(returns(try t["close"]), returns(try t["eth_close"])) {
                Rolling.beta($0, on: $1, window: 30, into: $2)
            }
        },
        .init("vwap_24") { t in
            Kernel.run(try t["high"], try t["low"], try t["close"], try t["volume"]) {
                Indicators.vwap(high: $0, low: $1, close: $2, volume: $3, window: 24, into: $4)
            }
        },
        .init("pct_change_10", .nearZero) { t in
            Kernel.run(try t["close"]) { Indicators.pctChange($0, periods: 10, into: $1) }
        },
        .init("log_return_1", .nearZero) { t in
            Kernel.run(try t["close"]) { Indicators.logReturn($0, periods: 1, into: $1) }
        },
        .init("lag_3") { t in Kernel.run(try t["close"]) { Transforms.lag($0, periods: 3, into: $1) } },
        .init("diff_1", .nearZero) { t in
            Kernel.run(try t["close"]) { Transforms.diff($0, periods: 1, into: $1) }
        },
        // Over numpy's log return column (leading NaN), so the case tests cumsum alone. pandas
        // skips NaN: NaN stays NaN and the sum carries on after it.
        .init("cumsum_of_log_return_1", .nearZero) { t in
            Kernel.run(try t["log_return_1"]) { Transforms.cumulativeSum($0, into: $1) }
        },
        .init("cumprod_of_gross_return_1") { t in
            let gross = returns(try t["close"]).map { 1.0 + $0 }
            return Kernel.run(gross) { Transforms.cumulativeProduct($0, into: $1) }
        },
        .init("abs_of_diff_1") { t in Kernel.run(try t["diff_1"]) { Transforms.absolute($0, into: $1) } },
        .init("sign_of_diff_1", .nearZero) { t in
            Kernel.run(try t["diff_1"]) { Transforms.sign($0, into: $1) }
        },
        .init("log_of_close") { t in Kernel.run(try t["close"]) { Transforms.log($0, into: $1) } },
        .init("exp_of_log_return_1") { t in
            Kernel.run(try t["log_return_1"]) { Transforms.exp($0, into: $1) }
        },
        .init("forward_return_24", .nearZero) { t in
            Kernel.run(try t["close"]) { Stats.forwardReturn($0, horizon: 24, into: $1) }
        },
        .init("hour_of_day") { t in Kernel.run(try t["open_time"]) { Stats.hourOfDay($0, into: $1) } },
        .init("day_of_week") { t in Kernel.run(try t["open_time"]) { Stats.dayOfWeek($0, into: $1) } },
        // Over TA-Lib's SMA(10) and SMA(30) columns, so these test the crossing logic alone.
        .init("crossover_sma10_sma30") { t in
            Kernel.run(try t["sma_10"], try t["sma_30"]) { Events.crossover($0, .series($1), into: $2) }
        },
        .init("crossunder_sma10_sma30") { t in
            Kernel.run(try t["sma_10"], try t["sma_30"]) { Events.crossunder($0, .series($1), into: $2) }
        },
        // Close on the reference crossover bars, NaN elsewhere, forward-filled.
        .init("ffill_of_close_at_crossover_sma10_sma30") { t in
            let close = try t["close"], cross = try t["crossover_sma10_sma30"]
            let sparse = close.indices.map { cross[$0] == 1 ? close[$0] : .nan }
            return Kernel.run(sparse) { Transforms.forwardFill($0, into: $1) }
        },
    ]

    // MARK: Hand-made edge cases

    static let edgeCases: [ColumnCase] = [
        // Prices near 1e5 moving by 1e-4: a sum-of-squares variance is off by orders of magnitude.
        .init("bigoffset_std_20", in: .edgeCases, .bigOffset) { t in
            Kernel.run(try t["bigoffset_x"]) { Rolling.standardDeviation($0, window: 20, into: $1) }
        },
        .init("bigoffset_zscore_20", in: .edgeCases, .bigOffset) { t in
            Kernel.run(try t["bigoffset_x"]) { Rolling.zScore($0, window: 20, into: $1) }
        },
        // Zero variance must come out as exactly 0 (not a rounding residue such as 1e-15), and
        // the z-score there as NaN, not inf or a ratio of two residues.
        .init("constant_std_20", in: .edgeCases) { t in
            Kernel.run(try t["constant_x"]) { Rolling.standardDeviation($0, window: 20, into: $1) }
        },
        .init("constant_zscore_20", in: .edgeCases) { t in
            Kernel.run(try t["constant_x"]) { Rolling.zScore($0, window: 20, into: $1) }
        },
        // Varying prices, then 100.3 for 15 bars: windows inside the plateau must have variance
        // exactly 0 and a NaN z-score, although the running sums held other values before.
        .init("plateau_std_5", in: .edgeCases) { t in
            Kernel.run(try t["plateau_x"]) { Rolling.standardDeviation($0, window: 5, into: $1) }
        },
        .init("plateau_zscore_5", in: .edgeCases, .nearZero) { t in
            Kernel.run(try t["plateau_x"]) { Rolling.zScore($0, window: 5, into: $1) }
        },
        // NaN at index 20: windows holding it (ending at 20...24) are NaN, later ones are not.
        .init("gap_sma_5", in: .edgeCases) { t in
            Kernel.run(try t["gap_x"]) { Rolling.mean($0, window: 5, into: $1) }
        },
        .init("gap_max_5", in: .edgeCases) { t in
            Kernel.run(try t["gap_x"]) { Rolling.max($0, window: 5, into: $1) }
        },
        .init("gap_std_5", in: .edgeCases) { t in
            Kernel.run(try t["gap_x"]) { Rolling.standardDeviation($0, window: 5, into: $1) }
        },
    ]

    // MARK: One-number references (scipy.stats.spearmanr, nan_policy='omit')

    struct ScalarCase: Sendable, CustomTestStringConvertible {
        let name: String
        let compute: @Sendable (ReferenceTable) throws -> Double
        var testDescription: String { name }
    }

    static let scalarCases: [ScalarCase] = [
        // RSI has 14 leading NaN and the forward return 24 trailing NaN: those pairs are dropped.
        .init(name: "spearman_rsi_14_vs_forward_return_24") { t in
            spearman(try t["rsi_14"], try t["forward_return_24"])
        },
        .init(name: "spearman_close_vs_eth_close") { t in
            spearman(try t["close"], try t["eth_close"])
        },
        // Many ties (a few hundred distinct values each): ties get their average rank.
        .init(name: "spearman_round_close_100_vs_round_eth_close_10") { t in
            spearman(try t["close"].map { ($0 / 100).rounded(.toNearestOrEven) },
                     try t["eth_close"].map { ($0 / 10).rounded(.toNearestOrEven) })
        },
    ]

    @Test("scipy spearmanr", arguments: scalarCases)
    func spearmanMatchesSciPy(_ reference: ScalarCase) throws {
        let expected = try #require(try Fixtures.scalars.get()[reference.name],
                                    "no scalar \(reference.name) in the fixture")
        expectClose(try reference.compute(Fixtures.bars.get()), expected, reference.name)
    }

    // MARK: Helpers

    /// pandas `pct_change(1)`: `x[t] / x[t-1] - 1`, NaN at index 0.
    static func returns(_ x: [Double]) -> [Double] {
        x.indices.map { $0 == 0 ? .nan : x[$0] / x[$0 - 1] - 1 }
    }

    static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in Stats.spearman(a, b) } }
    }
}
