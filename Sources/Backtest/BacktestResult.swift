/// Why a trade ended.
public enum ExitReason: String, Sendable, Codable {
    case signal, stopLoss = "stop_loss", takeProfit = "take_profit", trailingStop = "trailing_stop"
    case maxHold = "max_hold", endOfData = "end_of_data", endOfWindow = "end_of_window", liquidation
}

/// One round trip.
public struct Trade: Sendable, Equatable, Codable {
    /// +1 long, -1 short.
    public let direction: Int
    public let entryIndex: Int
    public let exitIndex: Int
    public let entryTime: Double
    public let exitTime: Double
    /// Fill prices, slippage included.
    public let entryPrice: Double
    public let exitPrice: Double
    public let units: Double
    /// Price P&L: direction × units × (exit − entry).
    public let pricePnL: Double
    /// Fees paid on both fills (positive number).
    public let fees: Double
    /// Funding received (positive) or paid (negative) while open.
    public let funding: Double
    public let exitReason: ExitReason

    /// Price P&L − fees + funding.
    public var netPnL: Double { pricePnL - fees + funding }
    /// Net P&L as a fraction of the entry notional.
    public var returnFraction: Double { netPnL / (units * entryPrice) }
    public var barsHeld: Int { exitIndex - entryIndex }
}

/// Everything a backtest produced: per-bar equity and position, the trades, and the totals the
/// metrics are computed from.
public struct BacktestResult: Sendable {
    public let config: BacktestConfig
    /// The bars traded, as indices into the market columns; `time`, `equity` and `position`
    /// cover exactly these bars (trade indices stay indices into the market columns).
    public let bars: Range<Int>
    /// Bar open times (ms UTC).
    public let time: [Double]
    /// Equity marked at each bar's close.
    public let equity: [Double]
    /// Position held at each bar's close: +1, 0, -1.
    public let position: [Int8]
    public let trades: [Trade]
    /// Sum of |notional| over every fill.
    public let tradedNotional: Double
    public let pricePnL: Double
    public let feesPaid: Double
    public let fundingPnL: Double
    /// Set when equity reached zero and trading stopped.
    public let liquidated: Bool
}
