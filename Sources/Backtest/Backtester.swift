/// Prices a backtest runs over: bar columns of equal length, and the funding rate settled at
/// each bar's open (NaN or 0 where no settlement falls on that bar).
public struct MarketColumns: Sendable {
    public var time: [Double]
    public var open: [Double]
    public var high: [Double]
    public var low: [Double]
    public var close: [Double]
    public var fundingAtOpen: [Double]?

    public init(time: [Double], open: [Double], high: [Double], low: [Double], close: [Double], fundingAtOpen: [Double]? = nil) {
        self.time = time; self.open = open; self.high = high; self.low = low; self.close = close
        self.fundingAtOpen = fundingAtOpen
    }

    public var count: Int { close.count }
}

/// Entry and exit masks (1 = true). A missing mask is all false. `exits` closes longs and
/// `shortExits` closes shorts; the signal layer's `exit` closes either and is passed as both.
public struct SignalMasks: Sendable {
    public var entries: [Double]?
    public var exits: [Double]?
    public var shortEntries: [Double]?
    public var shortExits: [Double]?

    public init(entries: [Double]? = nil, exits: [Double]? = nil, shortEntries: [Double]? = nil, shortExits: [Double]? = nil) {
        self.entries = entries; self.exits = exits; self.shortEntries = shortEntries; self.shortExits = shortExits
    }
}

/// The perp-aware backtest engine (DESIGN.md section 4).
///
/// Rules, in the order they apply on each bar t:
/// 1. Funding settled at t's open is paid on the position carried into t (longs pay positive
///    rates): a position entered at t's open does not pay t's settlement, one exited at t's open does.
/// 2. Orders from bar t−1's signals fill at t's open (`next_open`), slippage against the trader.
/// 3. Stops are checked on t's range: a gap through the stop fills at the open; when stop loss
///    and take profit are both touched in one bar, the stop loss is assumed (the conservative rule).
///    The trailing stop trails the best price of earlier bars.
/// 4. `max_hold` closes a position held that many bars at the next fill.
/// 5. Bar t's signals are read at its close (`delay` bars later when set): with `fill = close` they
///    fill at t's close. An entry and an exit for the same side on one bar cancel (vectorbt's
///    default); an opposite entry reverses the position.
/// Equity is marked at each close. Units at entry are `size × equity / (price × (1 + fee))`, so
/// that entry fee included the position uses `size` of equity (vectorbt's `size = inf` at 1).
/// A position still open on the last bar closes at its close, paying fee and slippage
/// (`exitCostsAtEnd`).
///
/// A run may trade only a window of the bars: `bars: a..<b` starts flat at `a` with indicators
/// warmed up on the bars before it, acts only on signals of bars in the window, and closes what
/// is open at `b − 1`. Walk-forward and rolling validation use it, so no caller slices columns.
public enum Backtester {
    /// - Parameter range: the bars to trade (all by default).
    /// - Throws: ``BacktestError`` for a bad configuration, masks of the wrong length, an empty or
    ///   out-of-bounds window, or prices that are not finite and positive where the engine must
    ///   trade or mark.
    /// - Complexity: O(n) time, no allocation per bar beyond the result arrays and trades.
    public static func run(_ market: MarketColumns, signals: SignalMasks, config: BacktestConfig,
                           bars range: Range<Int>? = nil) throws(BacktestError) -> BacktestResult {
        try config.validate()
        let n = market.count
        for (name, column) in [("time", market.time), ("open", market.open), ("high", market.high), ("low", market.low)]
        where column.count != n {
            throw BacktestError("\(name) has \(column.count) bars, close has \(n)")
        }
        for (name, mask) in [("entries", signals.entries), ("exits", signals.exits), ("short_entries", signals.shortEntries),
                             ("short_exits", signals.shortExits)] {
            if let mask, mask.count != n { throw BacktestError("\(name) has \(mask.count) values, the data has \(n) bars") }
        }
        if let f = market.fundingAtOpen, f.count != n { throw BacktestError("funding has \(f.count) values, the data has \(n) bars") }
        let window = range ?? 0..<n
        guard window.lowerBound >= 0, window.upperBound <= n else {
            throw BacktestError("window \(window.lowerBound)..<\(window.upperBound) lies outside the \(n) bars")
        }
        guard !window.isEmpty else { throw BacktestError("the window to trade is empty") }
        for i in window where !(market.close[i] > 0 && market.close[i].isFinite) {
            throw BacktestError("close at bar \(i + 1) is \(market.close[i]); prices must be positive numbers")
        }
        var engine = Engine(market: market, signals: signals, config: config, window: window)
        engine.run()
        return engine.result()
    }
}

/// The state machine behind ``Backtester``; one instance per run.
struct Engine {
    let m: MarketColumns
    let c: BacktestConfig
    /// The bars traded; result arrays are indexed from `window.lowerBound`.
    let window: Range<Int>

    var cash: Double
    var direction = 0            // +1 long, -1 short, 0 flat
    var units = 0.0
    var entryPrice = 0.0
    var entryIndex = 0
    var entryFee = 0.0
    var tradeFunding = 0.0
    var best = 0.0               // best price since entry, for the trailing stop
    var pending = 0              // order to fill at the next open: +1 go long, -1 go short, 2 close, 0 none
    var liquidated = false

    var equity: [Double]
    var position: [Int8]
    let hasRiskExits: Bool
    /// Each window bar's signals as bits (1 entry, 2 exit, 4 short entry, 8 short exit), already
    /// delayed, built once so the bar loop reads one byte instead of four optional arrays.
    let flags: [UInt8]
    var trades: [Trade] = []
    var tradedNotional = 0.0, pricePnL = 0.0, feesPaid = 0.0, fundingPnL = 0.0

    init(market: MarketColumns, signals: SignalMasks, config: BacktestConfig, window: Range<Int>) {
        m = market; c = config; self.window = window
        cash = config.initialCash
        hasRiskExits = config.stopLoss != nil || config.takeProfit != nil || config.trailingStop != nil
        equity = []
        position = []
        // flags[k] holds the signals acted on at bar window.lowerBound + k: those of `delay` bars
        // earlier, never from before the window.
        let count = window.count, delay = config.delay, lower = window.lowerBound
        flags = [UInt8](unsafeUninitializedCapacity: count) { flags, initialized in
            flags.initialize(repeating: 0)
            initialized = count
            for (mask, bit) in [(signals.entries, UInt8(1)), (signals.exits, 2), (signals.shortEntries, 4), (signals.shortExits, 8)] {
                mask?.withUnsafeBufferPointer { mask in
                    for k in delay..<Swift.max(delay, count) {
                        let v = mask[lower + k - delay]
                        flags[k] |= v != 0 && !v.isNaN ? bit : 0
                    }
                }
            }
        }
    }

    mutating func run() {
        // The bar loop writes through buffers: as stored arrays, every write checked uniqueness
        // through a call, the largest cost per bar after the signals themselves.
        var equity = [Double](repeating: c.initialCash, count: window.count)
        var position = [Int8](repeating: 0, count: window.count)
        equity.withUnsafeMutableBufferPointer { equity in
            position.withUnsafeMutableBufferPointer { position in runBars(equity, position) }
        }
        self.equity = equity
        self.position = position
    }

    private mutating func runBars(_ equity: UnsafeMutableBufferPointer<Double>, _ position: UnsafeMutableBufferPointer<Int8>) {
        let first = window.lowerBound, last = window.upperBound - 1
        for i in window {
            if liquidated { equity[i - first] = 0; continue }
            settleFunding(i)
            if pending != 0, m.open[i] > 0, m.open[i].isFinite {
                let order = pending
                pending = 0
                execute(order, at: m.open[i], bar: i, reason: .signal)
            }
            if direction != 0 && hasRiskExits { checkRiskExits(i) }
            // Held max_hold bars at the exit fill: at this close with fill = close, at the next open otherwise.
            if direction != 0, let maxHold = c.maxHold {
                if c.fill == .close, i - entryIndex >= maxHold {
                    close(at: m.close[i], bar: i, reason: .maxHold)
                } else if c.fill == .nextOpen, i - entryIndex + 1 >= maxHold {
                    if i < last { pending = 2 }
                }
            }
            let flag = flags[i - first]
            let order = flag == 0 ? 0 : Self.decide(flag, direction: direction, pending: pending)
            if order != 0 {
                if c.fill == .close {
                    execute(order, at: m.close[i], bar: i, reason: .signal)
                } else if i < last, !(pending == 2 && order == direction) {
                    // a forced max_hold exit stands unless the signal reverses the position
                    pending = order
                }
            }
            mark(i, equity, position)
        }
        if direction != 0 {
            close(at: m.close[last], bar: last, reason: window.upperBound == m.count ? .endOfData : .endOfWindow,
                  fee: c.exitCostsAtEnd)
            equity[last - first] = cash
        }
    }

    /// The order a bar's signal flags ask for, given the position after this bar's fills. Static,
    /// on plain values: as a method it had the whole engine (328 bytes) copied for every bar.
    static func decide(_ f: UInt8, direction: Int, pending: Int) -> Int {
        var longEntry = f & 1 != 0, longExit = f & 2 != 0
        var shortEntry = f & 4 != 0, shortExit = f & 8 != 0
        if longEntry && longExit { longEntry = false; longExit = false }      // conflicting: ignored
        if shortEntry && shortExit { shortEntry = false; shortExit = false }
        if longEntry && shortEntry { longEntry = false; shortEntry = false }
        // What the position will be once a pending order fills.
        let held = pending == 0 ? direction : (pending == 2 ? 0 : pending)
        switch held {
        case 0:
            if longEntry { return 1 }
            if shortEntry { return -1 }
        case 1:
            if shortEntry { return -1 }
            if longExit { return 2 }
        default:
            if longEntry { return 1 }
            if shortExit { return 2 }
        }
        return 0
    }

    @inline(__always)
    mutating func settleFunding(_ i: Int) {
        guard c.funding, direction != 0, let rates = m.fundingAtOpen else { return }
        let rate = rates[i]
        guard rate != 0, rate.isFinite else { return }
        // Notional at the settlement: this bar's open, or the last close when the open is missing.
        let price = m.open[i].isFinite && m.open[i] > 0 ? m.open[i] : (i > 0 ? m.close[i - 1] : m.close[i])
        let payment = -Double(direction) * units * price * rate    // longs pay positive funding
        cash += payment
        tradeFunding += payment
        fundingPnL += payment
    }

    /// +1/-1: (reverse into) that side; 2: close. A pending max_hold exit is reported as such.
    mutating func execute(_ order: Int, at price: Double, bar i: Int, reason: ExitReason) {
        let reason: ExitReason = (order == 2 && c.maxHold != nil && direction != 0 && i - entryIndex >= c.maxHold!) ? .maxHold : reason
        if direction != 0 && (order == 2 || order != direction) { close(at: price, bar: i, reason: reason) }
        if order == 1 || order == -1, direction == 0 { open(order, at: price, bar: i) }
    }

    mutating func open(_ side: Int, at price: Double, bar i: Int) {
        let fill = price * (1 + Double(side) * c.slippage)
        let capital = cash * c.size
        guard capital > 0, fill > 0 else { return }
        units = capital / (fill * (1 + c.fee))
        entryFee = units * fill * c.fee
        cash -= entryFee
        feesPaid += entryFee
        tradedNotional += units * fill
        direction = side
        entryPrice = fill
        entryIndex = i
        tradeFunding = 0
        best = fill
    }

    mutating func close(at price: Double, bar i: Int, reason: ExitReason, fee chargeFee: Bool = true) {
        let atEnd = reason == .endOfData || reason == .endOfWindow
        let fill = price * (1 - Double(direction) * (atEnd && !chargeFee ? 0 : c.slippage))
        let gross = Double(direction) * units * (fill - entryPrice)
        let exitFee = chargeFee ? units * fill * c.fee : 0
        cash += gross - exitFee
        pricePnL += gross
        feesPaid += exitFee
        if chargeFee { tradedNotional += units * fill }
        trades.append(Trade(direction: direction, entryIndex: entryIndex, exitIndex: i, entryTime: m.time[entryIndex],
                            exitTime: m.time[i], entryPrice: entryPrice, exitPrice: fill, units: units, pricePnL: gross,
                            fees: entryFee + exitFee, funding: tradeFunding, exitReason: reason))
        direction = 0
        units = 0
        if pending == 2 { pending = 0 }
        if cash <= 0 {
            cash = 0
            liquidated = true
        }
    }

    /// Stop loss, take profit and trailing stop on bar i's range, conservatively.
    mutating func checkRiskExits(_ i: Int) {
        let d = Double(direction)
        let open = m.open[i], high = m.high[i], low = m.low[i]
        guard high.isFinite, low.isFinite else { return }
        var stop: Double? = nil
        var stopReason = ExitReason.stopLoss
        if let sl = c.stopLoss { stop = entryPrice * (1 - d * sl) }
        if let tr = c.trailingStop {
            let trail = best * (1 - d * tr)
            if stop == nil || d * (trail - stop!) > 0 { stop = trail; stopReason = .trailingStop }
        }
        let target = c.takeProfit.map { entryPrice * (1 + d * $0) }
        let adverse = direction > 0 ? low : high
        let favourable = direction > 0 ? high : low
        // An open beyond either level is the first price available: the order of touches inside
        // the bar does not matter then.
        if open.isFinite {
            if let target, d * (open - target) >= 0 {
                close(at: open, bar: i, reason: .takeProfit)
                return
            }
            if let stop, d * (open - stop) <= 0 {
                close(at: open, bar: i, reason: stopReason)
                return
            }
        }
        if let stop, d * (adverse - stop) <= 0 {
            // Gapped through: the open is the first price we could get.
            let price = (open.isFinite && d * (open - stop) < 0) ? open : stop
            close(at: price, bar: i, reason: stopReason)
            return
        }
        if let target, d * (favourable - target) >= 0 {
            let price = (open.isFinite && d * (open - target) > 0) ? open : target
            close(at: price, bar: i, reason: .takeProfit)
            return
        }
        best = direction > 0 ? max(best, high) : min(best, low)
    }

    @inline(__always)
    mutating func mark(_ i: Int, _ equity: UnsafeMutableBufferPointer<Double>, _ position: UnsafeMutableBufferPointer<Int8>) {
        let k = i - window.lowerBound
        if direction != 0 {
            let value = cash + Double(direction) * units * (m.close[i] - entryPrice)
            if value <= 0 {
                close(at: m.close[i], bar: i, reason: .liquidation, fee: false)
                equity[k] = 0
                return
            }
            equity[k] = value
            position[k] = Int8(direction)
        } else {
            equity[k] = cash
        }
    }

    func result() -> BacktestResult {
        BacktestResult(config: c, bars: window, time: Array(m.time[window]), equity: equity, position: position, trades: trades, tradedNotional: tradedNotional,
                       pricePnL: pricePnL, feesPaid: feesPaid, fundingPnL: fundingPnL, liquidated: liquidated)
    }
}
