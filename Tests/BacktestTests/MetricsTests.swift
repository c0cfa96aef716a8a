// BacktestMetrics on results from tiny markets whose equity curves are worked out by hand.
// Conventions under test (BacktestMetrics.swift, DESIGN.md §4): daily returns are taken from the
// last equity of each UTC day, the first against the initial cash; Sharpe = mean / std (ddof 1)
// × √365; Sortino = mean / sqrt(mean of min(r, 0)²) × √365; bar Sharpe annualized by bars per
// 365.25-day year; CAGR over the span first-to-last bar plus one bar spacing, in 365.25-day years;
// drawdown from a running peak that starts at the initial cash; ratios with no value are NaN.

import Foundation
import Testing

@testable import Backtest

private typealias H = HandMarket

@Suite("Backtest metrics, worked by hand")
struct MetricsTests {
    /// Four UTC days of hourly bars, all in one long entered at close[0] = 100 (fill = close,
    /// no costs), so equity = 10000 + 100 × (close − 100) = 100 × close:
    ///   bar 0          close 100     equity 10000
    ///   bars 1...23    close 110     equity 11000   (day 0 ends at 11000:  +10%)
    ///   bars 24...47   close 99      equity  9900   (day 1 ends at  9900:  −10%)
    ///   bars 48...71   close 108.9   equity 10890   (day 2 ends at 10890:  +10%)
    ///   bars 72...95   close 119.79  equity 11979   (day 3 ends at 11979:  +10%)
    static func fourDays() throws -> BacktestResult {
        let close = [100.0] + Array(repeating: 110, count: 23) + Array(repeating: 99, count: 24)
            + Array(repeating: 108.9, count: 24) + Array(repeating: 119.79, count: 24)
        let m = H.bars(open: close, close: close)
        return try Backtester.run(m, signals: SignalMasks(entries: H.mask(96, 0)), config: H.config(fill: .close))
    }

    @Test func returnsAndRatiosOverFourDays() throws {
        let r = try Self.fourDays()
        H.expectNear(r.equity[23], 11_000, "equity day 0", relative: 1e-12)
        H.expectNear(r.equity[95], 11_979, "equity day 3", relative: 1e-12)
        let m = BacktestMetrics.compute(r)

        // Total return 11979/10000 − 1.
        H.expectNear(m.totalReturn, 0.1979, "total return", relative: 1e-9)
        // Span: 95 hours first to last bar + 1 hour spacing = 96 h = 4 days; CAGR over 4/365.25 years.
        H.expectNear(m.days, 4, "days")
        let cagr = pow(1.1979, 365.25 / 4) - 1
        H.expectNear(m.cagr, cagr, "CAGR", relative: 1e-9)

        // Daily returns [0.1, −0.1, 0.1, 0.1]: mean 0.05; deviations 0.05, −0.15, 0.05, 0.05,
        // squares sum 0.03, /3 = 0.01, std 0.1: Sharpe 0.5 √365.
        H.expectNear(m.sharpe, 0.5 * (365.0).squareRoot(), "Sharpe", relative: 1e-9)
        // Downside: sqrt((0.1²)/4) = 0.05 over all four days: Sortino 1 × √365.
        H.expectNear(m.sortino, (365.0).squareRoot(), "Sortino", relative: 1e-9)

        // Bar returns, the first against the initial cash: bars 1, 24, 48, 72 move ±10%
        // (+0.1, −0.1, +0.1, +0.1), the other 92 are 0. Sum 0.2, mean 0.2/96 = 1/480;
        // sum of squares 0.04; variance (0.04 − 96/480²)/95 = (0.04 − 1/2400)/95 = 1/2400.
        // Bars per year 365.25 × 24.
        let barSharpe = (1.0 / 480) / (1.0 / 2400).squareRoot() * (365.25 * 24).squareRoot()
        H.expectNear(m.barSharpe, barSharpe, "bar Sharpe", relative: 1e-9)

        // Peak 11000 (last reached at bar 23), trough 9900: drawdown 10%. Below that peak at
        // bars 24...71 (48 bars = 2 days), back above at bar 72.
        H.expectNear(m.maxDrawdown, 0.1, "max drawdown", relative: 1e-9)
        #expect(m.maxDrawdownBars == 48)
        H.expectNear(m.maxDrawdownDays, 2, "max drawdown days")
        H.expectNear(m.calmar, cagr / 0.1, "Calmar", relative: 1e-9)

        // One trade closed at the end: +1979 on an entry notional of 100 × 100 = 10000.
        #expect(m.trades == 1)
        H.expectNear(m.winRate, 1, "win rate")
        #expect(m.profitFactor == .infinity)   // no losing trade
        H.expectNear(m.averageEdge, 0.1979, "average edge", relative: 1e-9)
        // In the market at every close, the last included (closed after the mark).
        H.expectNear(m.exposure, 1, "exposure")
        // Traded notional: the entry 10000 and the end-of-data exit 11979 (fee-free here, but a
        // fill like any other). Mean equity (10000 + 23×11000 + 24×9900 + 24×10890 + 24×11979)/96 = 1049456/96.
        H.expectNear(m.turnover, 21_979 / (1_049_456.0 / 96) / (4 / 365.25), "turnover", relative: 1e-9)
        H.expectNear(m.pricePnL, 1979, "price P&L", relative: 1e-9)
        #expect(m.feePnL == 0 && m.fundingPnL == 0)
        // Breakeven fee: (price + funding P&L) / traded notional = 1979/21979.
        H.expectNear(m.breakevenFee, 1979.0 / 21_979, "breakeven fee", relative: 1e-9)
    }

    /// Two long trades with fees (0.001) and funding, ten hourly bars (close[i] = open[i+1]):
    ///   open  = [100, 100, 105, 110, 110, 100, 98, 95, 95, 95]
    ///   close = [100, 105, 110, 110, 100,  98, 95, 95, 95, 95]
    ///   rates = [0, 0, 0.001, 0, 0, 0, −0.002, 0, 0, 0]
    /// Trade 1: signal bar 0, buy open[1] = 100, u1 = 10000/100.1, fee 0.1u1; bar 2 pays
    ///   u1 × 105 × 0.001 = 0.105u1; exit signal bar 2, sell open[3] = 110: +10u1, fee 0.11u1.
    ///   Net 9.685u1; cash C1 = 10000 + 9.685u1.
    /// Trade 2: signal bar 4, buy open[5] = 100, u2 = C1/100.1, fee 0.1u2; bar 6 receives
    ///   u2 × 98 × 0.002 = 0.196u2; exit signal bar 6, sell open[7] = 95: −5u2, fee 0.095u2.
    ///   Net −4.999u2.
    /// Equity: 10000, 10000 + 4.9u1, 10000 + 9.795u1, C1, C1, C1 − 2.1u2, C1 − 4.904u2,
    ///   then C1 − 4.999u2 at bars 7, 8, 9.
    static func twoTrades() throws -> BacktestResult {
        let m = H.bars(open: [100, 100, 105, 110, 110, 100, 98, 95, 95, 95],
                       close: [100, 105, 110, 110, 100, 98, 95, 95, 95, 95],
                       funding: [0, 0, 0.001, 0, 0, 0, -0.002, 0, 0, 0])
        return try Backtester.run(m, signals: SignalMasks(entries: H.mask(10, 0, 4), exits: H.mask(10, 2, 6)),
                                  config: H.config(fee: 0.001))
    }

    @Test func tradeStatisticsAndThePnLSplit() throws {
        let r = try Self.twoTrades()
        let u1 = 10_000 / 100.1
        let c1 = 10_000 + 9.685 * u1
        let u2 = c1 / 100.1
        let final = c1 - 4.999 * u2
        let equity = [10_000, 10_000 + 4.9 * u1, 10_000 + 9.795 * u1, c1, c1, c1 - 2.1 * u2, c1 - 4.904 * u2,
                      final, final, final]
        H.expectNear(r.equity, equity, "equity")
        let m = BacktestMetrics.compute(r)

        H.expectNear(m.totalReturn, final / 10_000 - 1, "total return")
        #expect(m.trades == 2)
        H.expectNear(m.winRate, 0.5, "win rate")
        H.expectNear(m.profitFactor, 9.685 * u1 / (4.999 * u2), "profit factor")
        // Net return over entry notional: 9.685u1/(100u1) = 0.09685 and −4.999u2/(100u2) = −0.04999.
        H.expectNear(m.averageEdge, (0.09685 - 0.04999) / 2, "average edge")
        // In a position at the closes of bars 1, 2, 5, 6.
        H.expectNear(m.exposure, 0.4, "exposure")

        // Split: price 10u1 − 5u2, fees −(0.21u1 + 0.195u2), funding −0.105u1 + 0.196u2.
        let price = 10 * u1 - 5 * u2, fees = -(0.21 * u1 + 0.195 * u2), funding = -0.105 * u1 + 0.196 * u2
        H.expectNear(m.pricePnL, price, "price P&L")
        H.expectNear(m.feePnL, fees, "fee P&L")
        H.expectNear(m.fundingPnL, funding, "funding P&L")
        H.expectNear(m.pricePnL + m.feePnL + m.fundingPnL, final - 10_000, "price + fee + funding = final − initial")

        // Traded notional 100u1 + 110u1 + 100u2 + 95u2; breakeven fee (price + funding) / notional.
        let notional = 210 * u1 + 195 * u2
        H.expectNear(r.tradedNotional, notional, "traded notional")
        H.expectNear(m.breakevenFee, (price + funding) / notional, "breakeven fee")
        // Ten hours = 10/24 days; turnover = notional / mean equity / years.
        let years = 10.0 / 24 / 365.25
        H.expectNear(m.turnover, notional / (equity.reduce(0, +) / 10) / years, "turnover")

        // Peak at bar 2 (10000 + 9.795u1), every later bar below it, deepest at the end: 7 bars.
        let peak = 10_000 + 9.795 * u1
        H.expectNear(m.maxDrawdown, 1 - final / peak, "max drawdown")
        #expect(m.maxDrawdownBars == 7)
        H.expectNear(m.maxDrawdownDays, 7.0 / 24, "max drawdown days")
        let cagr = pow(final / 10_000, 1 / years) - 1
        H.expectNear(m.cagr, cagr, "CAGR", relative: 1e-9)
        H.expectNear(m.calmar, cagr / (1 - final / peak), "Calmar", relative: 1e-9)
        // One UTC day only: no daily Sharpe or Sortino.
        #expect(m.sharpe.isNaN && m.sortino.isNaN)
    }

    @Test func dailyBarsGiveTheCalendarSpanAndNoSortinoWithoutALosingDay() throws {
        // Ten daily bars, closes [100 × 9, 101]; long at close[0] (fill = close): equity 10000 ...
        // 10000, then 10100. Span 9 days + 1 day spacing = 10 days.
        let close = Array(repeating: 100.0, count: 9) + [101]
        let m0 = H.bars(open: close, close: close, spacing: H.day)
        let r = try Backtester.run(m0, signals: SignalMasks(entries: H.mask(10, 0)), config: H.config(fill: .close))
        let m = BacktestMetrics.compute(r)
        H.expectNear(m.days, 10, "days")
        H.expectNear(m.totalReturn, 0.01, "total return", relative: 1e-9)
        H.expectNear(m.cagr, pow(1.01, 36.525) - 1, "CAGR", relative: 1e-9)
        // Daily returns: nine 0s and 0.01. Mean 0.001; squared deviations 9 × 0.001² + 0.009² =
        // 0.000009 + 0.000081 = 0.00009, /9 = 0.00001: std √0.00001, mean/std = √0.1.
        let sharpe = (0.1).squareRoot()
        H.expectNear(m.sharpe, sharpe * (365.0).squareRoot(), "Sharpe", relative: 1e-9)
        // Bar returns are the daily returns; one bar a day, 365.25 bars a year.
        H.expectNear(m.barSharpe, sharpe * (365.25).squareRoot(), "bar Sharpe", relative: 1e-9)
        // No losing day: no downside deviation, so no Sortino; never below a peak: no Calmar.
        #expect(m.sortino.isNaN)
        #expect(m.maxDrawdown == 0 && m.maxDrawdownBars == 0)
        #expect(m.calmar.isNaN)
    }

    @Test func aDrawdownFromTheFirstBarCountsFromTheInitialCash() throws {
        // Five flat hourly bars at 100, long at close[0] with fee 0.001: u = 10000/100.1, entry fee
        // 0.1u = 1000/100.1, so equity is 10000 − 0.1u until the end-of-data close pays the exit
        // fee 0.1u too: 10000 − 0.2u at the last bar. Below the starting 10000 at all 5 bars;
        // depth 0.2u/10000 = 0.2/100.1.
        let m0 = H.bars(open: [100, 100, 100, 100, 100], close: [100, 100, 100, 100, 100])
        let r = try Backtester.run(m0, signals: SignalMasks(entries: H.mask(5, 0)), config: H.config(fee: 0.001, fill: .close))
        let m = BacktestMetrics.compute(r)
        H.expectNear(m.maxDrawdown, 0.2 / 100.1, "max drawdown")
        #expect(m.maxDrawdownBars == 5)
        // One trade that lost its entry fee: no win, no profit.
        H.expectNear(m.winRate, 0, "win rate")
        H.expectNear(m.profitFactor, 0, "profit factor")
        // Net −0.2u over an entry notional of 100u: −0.002.
        H.expectNear(m.averageEdge, -0.002, "average edge")
    }

    @Test func aStrategyWithoutTradesHasNoTradeRatios() throws {
        // 30 flat hourly bars, no signal: equity 10000 throughout.
        let flat = Array(repeating: 100.0, count: 30)
        let r = try Backtester.run(H.bars(open: flat, close: flat), signals: SignalMasks(), config: H.config(fee: 0.001))
        let m = BacktestMetrics.compute(r)
        #expect(m.trades == 0)
        #expect(m.winRate.isNaN)
        #expect(m.profitFactor.isNaN)
        #expect(m.averageEdge.isNaN)
        #expect(m.breakevenFee.isNaN)
        #expect(m.totalReturn == 0)
        #expect(m.cagr == 0)
        #expect(m.maxDrawdown == 0 && m.maxDrawdownBars == 0)
        #expect(m.calmar.isNaN)
        #expect(m.exposure == 0 && m.turnover == 0)
        #expect(m.pricePnL == 0 && m.feePnL == 0 && m.fundingPnL == 0)
        // Two UTC days, both returning 0: zero variance, so no Sharpe (NaN, not 0).
        #expect(m.sharpe.isNaN && m.sortino.isNaN && m.barSharpe.isNaN)
    }
}
