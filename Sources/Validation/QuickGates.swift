package import Backtest
import Evaluation
import Foundation
import Primitives

/// The gates of the first three stages: the factor ranks forward returns, the signals make money
/// as the strategy would hold them, the backtest has enough trades and a Sharpe worth having.
package enum QuickGates {
    /// Stage 1. The factor's statistics at every horizon; the gate judges the horizon where |IC|
    /// is largest, in the IC's own direction, and adjusts its p-value for having looked at every
    /// horizon (Bonferroni), so picking the best horizon is not a free extra try.
    /// - Parameters:
    ///   - judged: the bars judged (the factor may have more, for warm-up).
    ///   - barMilliseconds: the interval, to turn the IR period's hours into bars.
    package static func factor(_ factor: [Double], close: [Double], horizons: [Int], barMilliseconds: Double,
                               thresholds t: ValidationSettings.FactorThresholds) -> StageResult {
        var result = StageResult(stage: .factor)
        // An IR period must hold many non-overlapping forward returns: at least 20 horizons.
        let basePeriod = max(2, Int((t.irPeriodHours * 3_600_000 / barMilliseconds).rounded()))
        let sorted = SortedSeries(factor)
        let statistics = horizons.map { h in
            FactorStatistics.compute(factor: sorted, forward: SortedSeries(FactorStatistics.forwardReturns(close: close, horizon: h)),
                                     horizon: h, periodBars: max(basePeriod, 20 * h), quantiles: t.quantiles)
        }
        for s in statistics {
            result.metrics["factor_ic_\(s.horizon)"] = s.ic
            result.metrics["factor_hac_t_\(s.horizon)"] = s.hacT
            result.metrics["factor_p_\(s.horizon)"] = s.pValue
            result.metrics["factor_n_\(s.horizon)"] = Double(s.observations)
        }
        guard let best = statistics.filter({ !$0.ic.isNaN }).max(by: { abs($0.ic) < abs($1.ic) }) else {
            result.checks.append(Check(.factorIC, "|IC|", value: .nan, .above, t.minIC,
                                       failure: "the factor has no IC at any horizon: it is constant or NaN where forward returns are known"))
            return result
        }
        let h = best.horizon
        let direction = best.ic < 0 ? -1.0 : 1.0
        let bars = h == 1 ? "1 bar" : "\(h) bars"
        let ir = direction * best.informationRatio
        let monotonicity = direction * best.monotonicity
        let adjustedP = min(1, best.pValue * Double(statistics.count))
        result.metrics["factor_horizon"] = Double(h)
        result.metrics["factor_ir"] = ir
        result.metrics["factor_monotonicity"] = monotonicity
        result.metrics["factor_rank_turnover"] = best.rankTurnover
        result.metrics["factor_p_adjusted"] = adjustedP
        let periodBars = max(basePeriod, 20 * h)
        result.notes.append("judged at \(bars), where |IC| is largest; IC \(ReportFormat.signed(best.ic, 4)), \(ReportFormat.grouped(best.observations)) bars, "
                            + "\(best.periodICs.count) IR periods of \(periodBars) bars, Newey–West lags \(best.hacLags)")
        let sense = direction > 0 ? "higher factor, higher returns" : "higher factor, lower returns"
        result.checks.append(Check(.factorIC, "|IC| at \(bars)", value: abs(best.ic), .above, t.minIC,
                                   failure: "IC \(ReportFormat.signed(best.ic, 4)) at \(bars) is below \(ReportFormat.plain(t.minIC)) in size; the factor barely ranks forward returns",
                                   note: sense))
        let irFailure = best.periodICs.count < 2
            ? "the IR cannot be measured: \(best.periodICs.count) period\(best.periodICs.count == 1 ? "" : "s") of \(periodBars) bars "
                + "with enough bars; the span is too short for the IC's stability to be judged"
            : "IR \(ReportFormat.signed(ir, 2)) over \(best.periodICs.count) periods of \(periodBars) bars is below \(ReportFormat.plain(t.minIR)): "
                + "the IC changes sign from period to period, so its average is not to be trusted"
        result.checks.append(Check(.factorIR, "IR", value: ir, .above, t.minIR, failure: irFailure))
        result.checks.append(Check(.factorMonotonicity, "monotonicity", value: monotonicity, .above, t.minMonotonicity,
                                   failure: "mean forward returns across \(t.quantiles) factor quantiles line up with the quantile only "
                                       + "\(ReportFormat.signed(monotonicity, 2)) (needs above \(ReportFormat.plain(t.minMonotonicity))): the ranking is not monotonic, the IC may come from one extreme bucket"))
        result.checks.append(Check(.factorRankTurnover, "rank turnover", value: best.rankTurnover, .below, t.maxRankTurnover,
                                   failure: "rank turnover \(ReportFormat.plain(best.rankTurnover, 2)) is above \(ReportFormat.plain(t.maxRankTurnover)): the factor's ranking "
                                       + "reshuffles almost every bar, like noise (a longer window or smoothing helps)"))
        result.checks.append(Check(.factorPValue, "p (HAC, ×\(statistics.count) horizons)", value: adjustedP, .below, t.maxPValue,
                                   failure: "p = \(ReportFormat.plain(adjustedP, 3)) (Newey–West, \(best.hacLags) lags, Bonferroni over \(statistics.count) horizons) "
                                       + "is not below \(ReportFormat.plain(t.maxPValue)): the IC cannot be told from zero"))
        return result
    }

    /// Stage 2, on signal trades held from entry to exit after costs and funding.
    package static func signal(_ report: SignalReport, thresholds t: ValidationSettings.SignalThresholds) -> StageResult {
        var result = StageResult(stage: .signal)
        result.metrics = MetricSchema.ledger(factor: [], signal: report, backtest: nil)
        result.notes.append("\(report.trades) signal trades held \(ReportFormat.plain(report.averageBarsHeld, 1)) bars on average, after costs and funding")
        let rate = report.perThousandBars
        let frequency: Check
        if rate < t.minPerThousandBars {
            frequency = Check(.signalFrequency, "signals per 1000 bars", value: rate, .atLeast, t.minPerThousandBars,
                              failure: "\(ReportFormat.plain(rate, 2)) signals per 1000 bars is below \(ReportFormat.plain(t.minPerThousandBars)): too rare to judge")
        } else {
            frequency = Check(.signalFrequency, "signals per 1000 bars", value: rate, .atMost, t.maxPerThousandBars,
                              failure: "\(ReportFormat.plain(rate, 1)) signals per 1000 bars is above \(ReportFormat.plain(t.maxPerThousandBars)): the entry masks "
                                  + "fire almost every bar; use crossings or stricter thresholds")
        }
        result.checks.append(frequency)
        result.checks.append(Check(.signalWinRate, "win rate", value: report.winRate, .above, t.minWinRate,
                                   failure: "win rate \(ReportFormat.percent(report.winRate)) over \(report.trades) signal trades is not above \(ReportFormat.percent(t.minWinRate))"))
        result.checks.append(Check(.signalProfitFactor, "profit factor", value: report.profitFactor, .above, t.minProfitFactor,
                                   failure: "profit factor \(ReportFormat.plain(report.profitFactor, 2)) is not above \(ReportFormat.plain(t.minProfitFactor)): "
                                       + "after costs, signal trades give back \(report.profitFactor < 1 ? "more than" : "all") they win"))
        result.checks.append(Check(.signalEdge, "edge per trade", value: report.averageEdge, .above, t.minEdge,
                                   failure: "edge \(ReportFormat.percent(report.averageEdge, 3)) per signal trade after costs and funding is not above "
                                       + "\(ReportFormat.percent(t.minEdge, 2)): too thin to survive real execution"))
        return result
    }

    /// Stage 3.
    package static func backtest(_ m: BacktestMetrics, thresholds t: ValidationSettings.BacktestThresholds) -> StageResult {
        var result = StageResult(stage: .backtest)
        result.metrics = MetricSchema.ledger(factor: [], signal: nil, backtest: m)
        result.checks.append(Check(.backtestTrades, "trades", value: Double(m.trades), .atLeast, Double(t.minTrades),
                                   failure: "\(m.trades) trades is below \(t.minTrades): too few to judge a Sharpe ratio"))
        result.checks.append(Check(.backtestSharpe, "Sharpe", value: m.sharpe, .above, t.minSharpe,
                                   failure: "Sharpe \(ReportFormat.plain(m.sharpe, 2)) (daily, √365) is not above \(ReportFormat.plain(t.minSharpe)) after fees, slippage and funding"))
        return result
    }
}
