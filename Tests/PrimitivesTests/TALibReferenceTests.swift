// Our kernels against TA-Lib (C library 0.8.1 through TA-Lib python 0.8.2; versions in the
// fixture header). Expected values: Fixtures/reference-btcusdt-1h.csv and Fixtures/edge-cases.csv,
// written by Fixtures/make_fixtures.py. Each column is its own test case, so a failure names the
// column, the first index that differs and both values.

import Testing

@testable import Primitives

@Suite("Kernels match TA-Lib")
struct TALibReferenceTests {
    static let cases: [ColumnCase] = barCases + edgeCases

    @Test("TA-Lib reference column", arguments: cases)
    func matchesTALib(_ reference: ColumnCase) throws {
        try reference.check()
    }

    // MARK: BTCUSDT 1h, 3000 bars

    static let barCases: [ColumnCase] = [
        .init("sma_20") { t in Kernel.run(try t["close"]) { Rolling.mean($0, window: 20, into: $1) } },
        .init("sma_1") { t in Kernel.run(try t["close"]) { Rolling.mean($0, window: 1, into: $1) } },
        .init("sma_10") { t in Kernel.run(try t["close"]) { Rolling.mean($0, window: 10, into: $1) } },
        .init("sma_30") { t in Kernel.run(try t["close"]) { Rolling.mean($0, window: 30, into: $1) } },
        .init("ema_20") { t in Kernel.run(try t["close"]) { Rolling.ema($0, window: 20, into: $1) } },
        // EMA over TA-Lib's own RSI(14) column (14 leading NaN), so this case isolates how the EMA
        // skips leading NaN: first valid at 14 + 10 - 1 = 23, seeded by the SMA of RSI[14...23].
        .init("ema_10_of_rsi_14") { t in
            Kernel.run(try t["rsi_14"]) { Rolling.ema($0, window: 10, into: $1) }
        },
        .init("wma_20") { t in Kernel.run(try t["close"]) { Rolling.wma($0, window: 20, into: $1) } },
        .init("std_20") { t in
            Kernel.run(try t["close"]) { Rolling.standardDeviation($0, window: 20, into: $1) }
        },
        .init("var_20") { t in Kernel.run(try t["close"]) { Rolling.variance($0, window: 20, into: $1) } },
        .init("sum_20") { t in Kernel.run(try t["close"]) { Rolling.sum($0, window: 20, into: $1) } },
        .init("max_20") { t in Kernel.run(try t["close"]) { Rolling.max($0, window: 20, into: $1) } },
        .init("min_20") { t in Kernel.run(try t["close"]) { Rolling.min($0, window: 20, into: $1) } },
        .init("rsi_14") { t in Kernel.run(try t["close"]) { Indicators.rsi($0, window: 14, into: $1) } },
        .init("rsi_2") { t in Kernel.run(try t["close"]) { Indicators.rsi($0, window: 2, into: $1) } },
        .init("macd_12_26_9_macd", .nearZero) { t in try macd(t["close"]).macd },
        .init("macd_12_26_9_signal", .nearZero) { t in try macd(t["close"]).signal },
        .init("macd_12_26_9_hist", .nearZero) { t in try macd(t["close"]).histogram },
        .init("atr_14") { t in
            Kernel.run(try t["high"], try t["low"], try t["close"]) {
                Indicators.atr(high: $0, low: $1, close: $2, window: 14, into: $3)
            }
        },
        .init("bbands_20_2_upper") { t in try bollinger(t["close"]).upper },
        .init("bbands_20_2_middle") { t in try bollinger(t["close"]).middle },
        .init("bbands_20_2_lower") { t in try bollinger(t["close"]).lower },
        .init("stoch_14_3_3_k") { t in
            try stochastic(t["high"], t["low"], t["close"], fastK: 14, slowK: 3, slowD: 3).k
        },
        .init("stoch_14_3_3_d") { t in
            try stochastic(t["high"], t["low"], t["close"], fastK: 14, slowK: 3, slowD: 3).d
        },
        .init("adx_14") { t in
            Kernel.run(try t["high"], try t["low"], try t["close"]) {
                Indicators.adx(high: $0, low: $1, close: $2, window: 14, into: $3)
            }
        },
        .init("obv", .nearZero) { t in
            Kernel.run(try t["close"], try t["volume"]) { Indicators.obv(close: $0, volume: $1, into: $2) }
        },
        .init("roc_10", .nearZero) { t in
            Kernel.run(try t["close"]) { Indicators.roc($0, window: 10, into: $1) }
        },
        .init("correl_30", .correlation) { t in
            Kernel.run(try t["close"], try t["eth_close"]) {
                Rolling.correlation($0, $1, window: 30, into: $2)
            }
        },
    ]

    // MARK: Hand-made edge cases

    static let edgeCases: [ColumnCase] = [
        // Flat prices: TA-Lib writes 0.0 (not NaN) when gains + losses, or the range, are zero.
        .init("constant_rsi_14", in: .edgeCases) { t in
            Kernel.run(try t["constant_x"]) { Indicators.rsi($0, window: 14, into: $1) }
        },
        .init("constant_atr_5", in: .edgeCases) { t in
            let x = try t["constant_x"]
            return Kernel.run(x, x, x) { Indicators.atr(high: $0, low: $1, close: $2, window: 5, into: $3) }
        },
        .init("constant_adx_5", in: .edgeCases) { t in
            let x = try t["constant_x"]
            return Kernel.run(x, x, x) { Indicators.adx(high: $0, low: $1, close: $2, window: 5, into: $3) }
        },
        .init("constant_stoch_5_3_3_k", in: .edgeCases) { t in
            let x = try t["constant_x"]
            return stochastic(x, x, x, fastK: 5, slowK: 3, slowD: 3).k
        },
        .init("constant_stoch_5_3_3_d", in: .edgeCases) { t in
            let x = try t["constant_x"]
            return stochastic(x, x, x, fastK: 5, slowK: 3, slowD: 3).d
        },
        // NaN at index 20: NaN there, then re-seeded as if the series began at 21 (TA-Lib run on
        // each NaN-free stretch), so EMA(5) resumes at 25 and RSI(5) at 26.
        .init("gap_ema_5", in: .edgeCases) { t in
            Kernel.run(try t["gap_x"]) { Rolling.ema($0, window: 5, into: $1) }
        },
        .init("gap_rsi_5", in: .edgeCases) { t in
            Kernel.run(try t["gap_x"]) { Indicators.rsi($0, window: 5, into: $1) }
        },
        // NaN at 0...6, skipped like the TA-Lib python wrapper: EMA(5) first valid at 11, RSI(5)
        // at 12, SMA(5) at 11.
        .init("leadnan_ema_5", in: .edgeCases) { t in
            Kernel.run(try t["leadnan_x"]) { Rolling.ema($0, window: 5, into: $1) }
        },
        .init("leadnan_rsi_5", in: .edgeCases) { t in
            Kernel.run(try t["leadnan_x"]) { Indicators.rsi($0, window: 5, into: $1) }
        },
        .init("leadnan_sma_5", in: .edgeCases) { t in
            Kernel.run(try t["leadnan_x"]) { Rolling.mean($0, window: 5, into: $1) }
        },
    ]

    // MARK: Multi-output kernels

    static func macd(_ close: [Double]) -> (macd: [Double], signal: [Double], histogram: [Double]) {
        close.withUnsafeBufferPointer { x in
            Kernel.outputs(x.count) {
                Indicators.macd(x, fast: 12, slow: 26, signal: 9, macd: $0, signalLine: $1, histogram: $2)
            }
        }
    }

    static func bollinger(_ close: [Double], window: Int = 20) -> (upper: [Double], middle: [Double], lower: [Double]) {
        close.withUnsafeBufferPointer { x in
            Kernel.outputs(x.count) {
                Indicators.bollingerBands(x, window: window, deviations: 2, upper: $0, middle: $1, lower: $2)
            }
        }
    }

    static func stochastic(_ high: [Double], _ low: [Double], _ close: [Double],
                           fastK: Int, slowK: Int, slowD: Int) -> (k: [Double], d: [Double]) {
        high.withUnsafeBufferPointer { h in
            low.withUnsafeBufferPointer { l in
                close.withUnsafeBufferPointer { c in
                    Kernel.outputs(c.count) {
                        Indicators.stochastic(high: h, low: l, close: c, fastK: fastK, slowK: slowK,
                                              slowD: slowD, k: $0, d: $1)
                    }
                }
            }
        }
    }
}
