package import Backtest
import MarketData
package import Scripting

/// `backtest{}` inside scripts: runs the engine on the script's own bars and hands back the
/// metrics (``MetricSchema/backtest`` keys), the equity curve and the trades as Lua values.
package enum BacktestExtension {
    /// For a script over fixed bars.
    package static func make(market: MarketColumns) -> HostExtension {
        make { market }
    }

    /// For a REPL session whose data can change: `market` gives the bars `d` holds now.
    package static func make(market currentMarket: @escaping @Sendable () -> MarketColumns) -> HostExtension {
        HostExtension(name: "backtest") { arguments in
            // The prelude passes the masks in SignalLayer.fieldNames order, then key/value pairs.
            let names = SignalLayer.fieldNames
            var masks = [[Double]?](repeating: nil, count: names.count)
            for (i, name) in names.enumerated() where i < arguments.count {
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
            var k = names.count
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
            do throws(BacktestError) {
                let config = try BacktestConfig(strategy: strategy)
                result = try Backtester.run(currentMarket(), signals: SignalMasks(SignalLayer(masks)), config: config)
            } catch {
                return .failure(HostExtensionError("backtest: \(error.message)"))
            }
            return .success(value(result, BacktestMetrics.compute(result)))
        }
    }

    /// The result table: every backtest metric, `equity` as a Series and `trade_list`, a list of
    /// trade tables (``MetricSchema/tradeFields(_:)``).
    static func value(_ r: BacktestResult, _ m: BacktestMetrics) -> HostValue {
        let trades: [HostValue] = r.trades.map { t in
            .table(MetricSchema.tradeFields(t).map { field in
                switch field.value {
                case .number(let x): return (field.key, .number(x))
                case .text(let s): return (field.key, .string(s))
                }
            })
        }
        let metrics: [(String, HostValue)] = MetricSchema.values(MetricSchema.backtest, of: m).map { ($0.key, .number($0.value)) }
        return .table(metrics + [("equity", .series(r.equity, isMask: false)), ("trade_list", .list(trades))])
    }
}
