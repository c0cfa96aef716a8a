package import Backtest
package import Primitives

/// The one list of names for the numbers a run reports: `run --json`, `backtest run --json`, the
/// table `backtest{}` returns to a script, and the knowledge base's trial metrics all use these
/// keys, so a number is called the same wherever it appears.
///
/// Sections keep their keys; the ledger is flat, so there a signal or factor key carries its
/// section as a prefix (`signal_win_rate`, `factor_ic_24`) while backtest keys stand alone
/// (`sharpe`, `trades`). Non-finite values are left out of the ledger.
package enum MetricSchema {
    /// One named number of a report.
    package struct Metric<Source>: Sendable {
        package let key: String
        /// What it means, for `--help` texts and docs.
        package let summary: String
        package let value: @Sendable (Source) -> Double
    }

    /// A backtest's metrics, in report order.
    package static let backtest: [Metric<BacktestMetrics>] = [
        Metric(key: "total_return", summary: "final equity / initial cash − 1") { $0.totalReturn },
        Metric(key: "cagr", summary: "compound annual growth over the span's calendar time") { $0.cagr },
        Metric(key: "sharpe", summary: "daily (UTC) returns, mean / std × √365") { $0.sharpe },
        Metric(key: "sortino", summary: "daily returns, mean / downside deviation × √365") { $0.sortino },
        Metric(key: "bar_sharpe", summary: "bar returns, annualized by bars per year") { $0.barSharpe },
        Metric(key: "max_drawdown", summary: "largest fall from a running peak, a positive fraction") { $0.maxDrawdown },
        Metric(key: "max_drawdown_bars", summary: "longest run of bars below a previous peak") { Double($0.maxDrawdownBars) },
        Metric(key: "max_drawdown_days", summary: "the same in days") { $0.maxDrawdownDays },
        Metric(key: "calmar", summary: "CAGR / max drawdown") { $0.calmar },
        Metric(key: "trades", summary: "round trips") { Double($0.trades) },
        Metric(key: "win_rate", summary: "share of trades with a positive net P&L") { $0.winRate },
        Metric(key: "profit_factor", summary: "gross profit / gross loss, net of costs") { $0.profitFactor },
        Metric(key: "average_edge", summary: "mean net return per trade, a fraction of its entry notional") { $0.averageEdge },
        Metric(key: "exposure", summary: "share of bars with a position") { $0.exposure },
        Metric(key: "turnover", summary: "traded notional per year, in multiples of mean equity") { $0.turnover },
        Metric(key: "price_pnl", summary: "P&L from price moves") { $0.pricePnL },
        Metric(key: "fee_pnl", summary: "fees as P&L (≤ 0)") { $0.feePnL },
        Metric(key: "funding_pnl", summary: "funding received (+) or paid (−)") { $0.fundingPnL },
        Metric(key: "breakeven_fee", summary: "the per-side fee at which the edge vanishes") { $0.breakevenFee },
        Metric(key: "days", summary: "calendar days covered") { $0.days },
    ]

    /// The signal layer's report (signal trades held entry to exit), in report order.
    package static let signal: [Metric<SignalReport>] = [
        Metric(key: "count", summary: "entry signals (rising edges of the entry masks)") { Double($0.signals) },
        Metric(key: "long", summary: "long entry signals") { Double($0.longSignals) },
        Metric(key: "short", summary: "short entry signals") { Double($0.shortSignals) },
        Metric(key: "per_1000_bars", summary: "signals per 1000 bars") { $0.perThousandBars },
        Metric(key: "trades", summary: "signals held as trades") { Double($0.trades) },
        Metric(key: "win_rate", summary: "share of signal trades with a positive net return") { $0.winRate },
        Metric(key: "profit_factor", summary: "sum of winning / losing net returns") { $0.profitFactor },
        Metric(key: "average_edge", summary: "mean net return per signal trade, after costs and funding") { $0.averageEdge },
        Metric(key: "average_bars", summary: "mean bars a signal trade is held") { $0.averageBarsHeld },
        Metric(key: "half_life", summary: "bars for the decay curve to halve from its peak") { $0.halfLife.map(Double.init) ?? .nan },
    ]

    /// A factor's rank IC at one horizon; keys get the horizon as a suffix (`ic_24`).
    package static let factor: [Metric<FactorIC>] = [
        Metric(key: "ic", summary: "Spearman rank IC against the forward return") { $0.ic },
        Metric(key: "t", summary: "t-statistic counting only non-overlapping returns") { $0.tStatistic },
        Metric(key: "n", summary: "bars where the factor and the forward return are both known") { Double($0.observations) },
    ]

    /// The fields of one trade, as `backtest{}` and `backtest run --json` list them. Bar numbers
    /// are 1-based, as a script indexes `d.close[i]`.
    package static func tradeFields(_ t: Trade) -> [(key: String, value: TradeField)] {
        [("side", .text(t.direction > 0 ? "long" : "short")), ("entry_bar", .number(Double(t.entryIndex + 1))),
         ("exit_bar", .number(Double(t.exitIndex + 1))), ("entry_time", .number(t.entryTime)), ("exit_time", .number(t.exitTime)),
         ("entry_price", .number(t.entryPrice)), ("exit_price", .number(t.exitPrice)), ("units", .number(t.units)),
         ("price_pnl", .number(t.pricePnL)), ("fees", .number(t.fees)), ("funding", .number(t.funding)),
         ("net_pnl", .number(t.netPnL)), ("return", .number(t.returnFraction)), ("bars", .number(Double(t.barsHeld))),
         ("exit_reason", .text(t.exitReason.rawValue))]
    }

    /// A trade field's value.
    package enum TradeField: Sendable, Equatable {
        case number(Double)
        case text(String)
    }

    /// The values of a section's metrics, in order.
    package static func values<Source>(_ metrics: [Metric<Source>], of source: Source) -> [(key: String, value: Double)] {
        metrics.map { ($0.key, $0.value(source)) }
    }

    /// The ledger's flat form of everything a run reported (non-finite values left out).
    package static func ledger(factor: [FactorIC], signal: SignalReport?, backtest: BacktestMetrics?) -> [String: Double] {
        var flat: [String: Double] = [:]
        for ic in factor {
            for (key, value) in values(Self.factor, of: ic) { flat["factor_\(key)_\(ic.horizon)"] = value }
        }
        if let signal {
            for (key, value) in values(Self.signal, of: signal) { flat["signal_\(key)"] = value }
        }
        if let backtest {
            for (key, value) in values(Self.backtest, of: backtest) { flat[key] = value }
        }
        return flat.filter { $0.value.isFinite }
    }
}
