public import Backtest
public import MarketData
public import Scripting

extension BacktestConfig {
    /// The backtest settings a script's `strategy{}` asks for, over the defaults.
    /// - Throws: ``BacktestError`` for a value out of range (a fee of 1.5, a negative size).
    public init(strategy: [(key: String, value: StrategyValue)]) throws(BacktestError) {
        self.init()
        for (key, value) in strategy {
            switch (key, value) {
            case ("fees", .number(let x)): fee = x
            case ("slippage", .number(let x)): slippage = x
            case ("size", .number(let x)): size = x
            case ("stop_loss", .number(let x)): stopLoss = x
            case ("take_profit", .number(let x)): takeProfit = x
            case ("trailing_stop", .number(let x)): trailingStop = x
            case ("max_hold", .number(let x)):
                guard x == x.rounded(), x >= 1, x < 1e9 else { throw BacktestError("max_hold must be a whole number of bars, got \(x)") }
                maxHold = Int(x)
            case ("fill", .text(let s)):
                guard let f = Fill(rawValue: s) else {
                    throw BacktestError("fill must be \(Fill.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")), got \"\(s)\"")
                }
                fill = f
            case ("funding", .flag(let b)): funding = b
            default: throw BacktestError("strategy: \(key) has the wrong type")
            }
        }
        try validate()
    }
}

extension MarketColumns {
    /// The engine's view of loaded bars: prices and the funding settled at each bar's open.
    public init(bars: Bars) {
        let funding = bars.fundingEvents.isEmpty ? nil : FundingJoin.atOpen(barTimes: bars.time, events: bars.fundingEvents)
        self.init(time: bars.time, open: bars.open, high: bars.high, low: bars.low, close: bars.close, fundingAtOpen: funding)
    }
}
