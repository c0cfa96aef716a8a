public import Backtest
public import MarketData
public import Scripting

/// Bars made ready for many script runs: the table a VM sees as `d` and the backtest engine's
/// columns, built once and shared by every run over the same slice (an optimizer's trials, the
/// truncations of the lookahead check), so no run copies the data.
public final class PreparedBars: Sendable {
    public let bars: Bars
    public let table: DataTable
    public let market: MarketColumns

    public init(_ bars: Bars) {
        self.bars = bars
        table = DataTable(bars: bars)
        market = MarketColumns(bars: bars)
    }

    public var count: Int { bars.count }
}
