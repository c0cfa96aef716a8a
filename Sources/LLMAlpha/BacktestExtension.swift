import Backtest
import MarketData
import Scripting

/// `backtest{}` inside scripts: runs the engine on the script's own bars and hands back metrics,
/// the equity curve and the trades as Lua values.
public enum BacktestExtension {
    static let maskNames = ["entries", "exits", "short_entries", "short_exits", "long", "short", "exit"]

    /// For a script over fixed bars.
    public static func make(bars: Bars) -> HostExtension {
        let market = MarketColumns(bars: bars)
        return make { market }
    }

    /// For a REPL session whose data can change: `market` gives the bars `d` holds now.
    public static func make(market currentMarket: @escaping @Sendable () -> MarketColumns) -> HostExtension {
        HostExtension(name: "backtest") { arguments in
            let market = currentMarket()
            var masks = [[Double]?](repeating: nil, count: maskNames.count)
            for (i, name) in maskNames.enumerated() where i < arguments.count {
                switch arguments[i] {
                case .none: continue
                case .series(let values, let isMask):
                    guard isMask else {
                        return .failure(HostExtensionError("backtest: '\(name)' must be a mask (from gt, lt, crossover, ...), got a series of values"))
                    }
                    masks[i] = values
                default: return .failure(HostExtensionError("backtest: '\(name)' must be a mask"))
                }
            }
            var strategy: [(key: String, value: StrategyValue)] = []
            var k = maskNames.count
            while k + 1 < arguments.count {
                guard let key = arguments[k].string else { break }
                switch arguments[k + 1] {
                case .number(let x): strategy.append((key, .number(x)))
                case .string(let s): strategy.append((key, .text(s)))
                case .boolean(let b): strategy.append((key, .flag(b)))
                default: break
                }
                k += 2
            }
            let result: BacktestResult
            do {
                let config = try BacktestConfig(strategy: strategy)
                result = try Backtester.run(market, signals: SignalMasks(
                    entries: masks[0] ?? masks[4], exits: masks[1] ?? masks[6], shortEntries: masks[2] ?? masks[5],
                    shortExits: masks[3] ?? masks[6]), config: config)
            } catch let error as BacktestError {
                return .failure(HostExtensionError("backtest: \(error.message)"))
            } catch {
                return .failure(HostExtensionError("backtest: \(error)"))
            }
            return .success(value(result, BacktestMetrics.compute(result)))
        }
    }

    static func value(_ r: BacktestResult, _ m: BacktestMetrics) -> HostValue {
        let trades: [HostValue] = r.trades.map { t in
            .table([("side", .string(t.direction > 0 ? "long" : "short")), ("entry_bar", .number(Double(t.entryIndex + 1))),
                    ("exit_bar", .number(Double(t.exitIndex + 1))), ("entry_time", .number(t.entryTime)), ("exit_time", .number(t.exitTime)),
                    ("entry_price", .number(t.entryPrice)), ("exit_price", .number(t.exitPrice)), ("units", .number(t.units)),
                    ("pnl", .number(t.netPnL)), ("return", .number(t.returnFraction)), ("fees", .number(t.fees)),
                    ("funding", .number(t.funding)), ("exit_reason", .string(t.exitReason.rawValue))])
        }
        return .table([
            ("total_return", .number(m.totalReturn)), ("cagr", .number(m.cagr)), ("sharpe", .number(m.sharpe)),
            ("sortino", .number(m.sortino)), ("bar_sharpe", .number(m.barSharpe)), ("max_drawdown", .number(m.maxDrawdown)),
            ("max_drawdown_days", .number(m.maxDrawdownDays)), ("calmar", .number(m.calmar)), ("n_trades", .number(Double(m.trades))),
            ("win_rate", .number(m.winRate)), ("profit_factor", .number(m.profitFactor)), ("average_edge", .number(m.averageEdge)),
            ("exposure", .number(m.exposure)), ("turnover", .number(m.turnover)), ("price_pnl", .number(m.pricePnL)),
            ("fee_pnl", .number(m.feePnL)), ("funding_pnl", .number(m.fundingPnL)), ("breakeven_fee", .number(m.breakevenFee)),
            ("equity", .series(r.equity, isMask: false)), ("trades", .list(trades)),
        ])
    }
}
