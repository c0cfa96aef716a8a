public import MarketData
public import Scripting

extension DataTable {
    /// The `d` a script sees for these bars: time, OHLCV, then extra columns (funding, trades, ...),
    /// plus `d.symbol` and `d.interval`.
    public init(bars: Bars) {
        self.init()
        add("time", bars.time)
        add("open", bars.open)
        add("high", bars.high)
        add("low", bars.low)
        add("close", bars.close)
        add("volume", bars.volume)
        for column in bars.extra { add(column.name, column.values) }
        text["symbol"] = bars.symbol
        text["interval"] = bars.interval
    }
}
