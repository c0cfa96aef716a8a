/// How a backtest trades: fills, costs, sizing and risk exits (DESIGN.md section 4).
///
/// Defaults are the honest ones: a signal computed from bar t's data fills at bar t+1's open,
/// taker fees on both sides, funding paid or received at every settlement.
public struct BacktestConfig: Sendable, Equatable {
    /// When an order from bar t's signal is filled.
    public enum Fill: String, Sendable, CaseIterable {
        /// At the next bar's open: no lookahead. The default.
        case nextOpen = "next_open"
        /// At the same bar's close, as vectorbt's default; optimistic, for comparison only.
        case close
    }

    public var fill: Fill = .nextOpen
    /// Taker fee per side, as a fraction of notional (0.0004 = 4 bps).
    public var fee: Double = 0.0004
    /// Slippage per fill, as a fraction of price, always against the trader.
    public var slippage: Double = 0
    /// Position size as a fraction of equity at entry (1 = all of it).
    public var size: Double = 1
    /// Exit when price moves this fraction against the entry (checked intrabar on high/low).
    public var stopLoss: Double? = nil
    /// Exit when price moves this fraction in favour of the entry (intrabar).
    public var takeProfit: Double? = nil
    /// Exit when price falls this fraction from the best price since entry (intrabar).
    public var trailingStop: Double? = nil
    /// Exit after this many bars in the position, at the next fill.
    public var maxHold: Int? = nil
    /// Pay or receive funding at each settlement on the open notional (longs pay positive rates).
    public var funding = true
    /// Extra bars between a signal and its fill: 0 fills bar t's signal at t+1's open, 1 at t+2's
    /// (the lag-sensitivity check reruns a strategy with one more bar of delay).
    public var delay = 0
    /// A position still open on the last bar pays its exit fee and slippage there, as a real exit
    /// would. Off only to compare with tools that value an open position at the last close for
    /// free (vectorbt).
    public var exitCostsAtEnd = true
    public var initialCash: Double = 10_000

    public init() {}

    /// Checks every value, naming the bad one.
    /// - Throws: ``BacktestError`` (a fee of 1.5, a negative size, a stop of 0).
    public func validate() throws(BacktestError) {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws(BacktestError) {
            if !ok { throw BacktestError(message()) }
        }
        try check(fee.isFinite && fee >= 0 && fee < 0.1, "fees must be a fraction in 0...0.1 per side (0.0004 is 4 bps), got \(fee)")
        try check(slippage.isFinite && slippage >= 0 && slippage < 0.1, "slippage must be a fraction in 0...0.1 (0.0002 is 2 bps), got \(slippage)")
        try check(size.isFinite && size > 0 && size <= 10, "size must be a fraction of equity in (0, 10], got \(size)")
        if let s = stopLoss { try check(s.isFinite && s > 0 && s < 1, "stop_loss must be a fraction in (0, 1), got \(s)") }
        if let t = takeProfit { try check(t.isFinite && t > 0, "take_profit must be a positive fraction, got \(t)") }
        if let t = trailingStop { try check(t.isFinite && t > 0 && t < 1, "trailing_stop must be a fraction in (0, 1), got \(t)") }
        if let m = maxHold { try check(m >= 1, "max_hold must be at least 1 bar, got \(m)") }
        try check(delay >= 0 && delay <= 10_000, "delay must be a whole number of bars in 0...10000, got \(delay)")
        try check(initialCash.isFinite && initialCash > 0, "initial cash must be positive, got \(initialCash)")
    }
}

/// A backtest that cannot run: bad configuration or inputs. The message is the whole line.
public struct BacktestError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
