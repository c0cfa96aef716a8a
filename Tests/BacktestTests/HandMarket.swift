// Helpers for the hand-computed backtest tests (EngineRuleTests, MetricsTests): tiny hourly
// markets, masks by bar index, a cost-free default config, and tolerant comparisons.
// Everything lives in `HandMarket` so nothing collides with other files of the test target.

import Testing

@testable import Backtest

enum HandMarket {
    /// 2024-01-01 00:00 UTC, a UTC day boundary.
    static let t0 = 1_704_067_200_000.0
    static let hour = 3_600_000.0
    static let day = 86_400_000.0

    /// Hourly bars from `t0`. High and low default to max/min of open and close (pass them
    /// explicitly when an open is NaN or a range matters).
    static func bars(open: [Double], close: [Double], high: [Double]? = nil, low: [Double]? = nil,
                     funding: [Double]? = nil, spacing: Double = hour) -> MarketColumns {
        precondition(open.count == close.count)
        let n = close.count
        let h = high ?? (0..<n).map { Swift.max(open[$0], close[$0]) }
        let l = low ?? (0..<n).map { Swift.min(open[$0], close[$0]) }
        return MarketColumns(time: (0..<n).map { t0 + Double($0) * spacing }, open: open, high: h, low: l,
                             close: close, fundingAtOpen: funding)
    }

    /// A mask of `n` values, 1 at the given bars.
    static func mask(_ n: Int, _ at: Int...) -> [Double] {
        var m = [Double](repeating: 0, count: n)
        for i in at { m[i] = 1 }
        return m
    }

    /// No fee, no slippage, funding on, all-in, 10 000 cash: costs are switched on per test.
    static func config(fee: Double = 0, slippage: Double = 0, size: Double = 1, fill: BacktestConfig.Fill = .nextOpen,
                       funding: Bool = true) -> BacktestConfig {
        var c = BacktestConfig()
        c.fee = fee
        c.slippage = slippage
        c.size = size
        c.fill = fill
        c.funding = funding
        return c
    }

    /// |got − want| within `relative` of the larger magnitude (or 1e-9 absolute near 0);
    /// NaN matches NaN and infinities must match exactly.
    static func near(_ got: Double, _ want: Double, relative: Double = 1e-12) -> Bool {
        if want.isNaN { return got.isNaN }
        if want.isInfinite || got.isInfinite { return got == want }
        let scale = Swift.max(abs(got), abs(want))
        return abs(got - want) <= Swift.max(relative * scale, 1e-9)
    }

    static func expectNear(_ got: Double, _ want: Double, _ what: String, relative: Double = 1e-12,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(near(got, want, relative: relative), "\(what): got \(got), expected \(want)",
                sourceLocation: sourceLocation)
    }

    static func expectNear(_ got: [Double], _ want: [Double], _ what: String, relative: Double = 1e-12,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        guard got.count == want.count else {
            Issue.record("\(what): got \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
            return
        }
        for i in 0..<got.count where !near(got[i], want[i], relative: relative) {
            Issue.record("\(what)[\(i)]: got \(got[i]), expected \(want[i]) (all: \(got))", sourceLocation: sourceLocation)
            return
        }
    }
}
