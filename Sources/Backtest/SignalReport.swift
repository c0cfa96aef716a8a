/// One entry signal held as the strategy would hold it: from the fill after the signal to the fill
/// after its exit signal (or `max_hold`, or the end of the bars), after fees, slippage and funding.
public struct SignalTrade: Sendable, Equatable {
    /// The bar whose mask turned true (0-based).
    public let signalIndex: Int
    /// +1 long, -1 short.
    public let direction: Int
    public let entryIndex: Int
    public let exitIndex: Int
    /// Net return as a fraction of the entry notional: price move, both fees, slippage in the
    /// fills, funding paid or received while held.
    public let netReturn: Double
    public let exitReason: ExitReason

    public var barsHeld: Int { exitIndex - entryIndex }
}

/// The signal layer's report: how the entries a hypothesis signals behave, before position
/// management (DESIGN.md section 5, stage 2).
///
/// A signal is a bar where an entry mask turns true (its rising edge); an entry and the exit of
/// the same side on one bar cancel, as in the backtest. Each signal is a trade of its own (signals
/// may overlap, unlike the backtest's one position): it fills at the next bar's open (or the
/// signal bar's close with `fill = close`) and is held until the exit mask of its side or an
/// opposite entry fires, or `max_hold` bars have passed, whichever comes first, and then filled
/// the same way; one still open at the last bar closes at its close. Win rate, profit factor and
/// edge are over these trades after costs and funding, so a trend follower holding 150 bars is
/// judged on its own clock, not a fixed one.
///
/// The decay curve stays a diagnostic on a fixed clock: the mean move before costs 1...48 bars
/// after the fill, and its half-life.
public struct SignalReport: Sendable, Equatable {
    public var signals = 0
    public var longSignals = 0
    public var shortSignals = 0
    /// Signals per 1000 bars of the range judged.
    public var perThousandBars = 0.0
    /// Signals that became trades (a signal on the last bar has no fill to enter at).
    public var trades = 0
    public var winRate = Double.nan
    /// Sum of winning returns / sum of losing returns (net).
    public var profitFactor = Double.nan
    /// Mean net return per trade, as a fraction.
    public var averageEdge = Double.nan
    /// Mean bars from entry fill to exit fill.
    public var averageBarsHeld = Double.nan
    /// Mean move before costs at 1...48 bars after the signal's fill (index 0 is 1 bar).
    public var decay: [Double] = []
    /// Bars after the peak of `decay` until it falls to half the peak; nil when it never does or
    /// there is no positive edge.
    public var halfLife: Int? = nil
    /// The trades behind the rates, in signal order.
    public var signalTrades: [SignalTrade] = []

    public init() {}

    /// - Parameters:
    ///   - signals: the layer's masks (1 = true); missing masks are all false.
    ///   - config: fill, fee, slippage, funding and `max_hold` as the strategy uses them; stops
    ///     and sizing do not apply to signals.
    ///   - range: the bars judged (signals in it, exits by its end); all bars by default.
    /// - Complexity: O(bars + signals × (held bars + 48)).
    public static func compute(signals: SignalMasks, market m: MarketColumns, config c: BacktestConfig,
                               bars range: Range<Int>? = nil, maxDecay: Int = 48) -> SignalReport {
        var report = SignalReport()
        let window = range ?? 0..<m.count
        guard !window.isEmpty else { return report }
        let last = window.upperBound - 1
        func on(_ mask: [Double]?, _ i: Int) -> Bool {
            guard let mask else { return false }
            let v = mask[i]
            return v != 0 && !v.isNaN
        }
        // Bar t's signals after the engine's cancellations: an entry and an exit of one side
        // cancel, and so do entries of both sides.
        func flags(_ t: Int) -> (longEntry: Bool, longExit: Bool, shortEntry: Bool, shortExit: Bool) {
            var (le, lx, se, sx) = (on(signals.entries, t), on(signals.exits, t), on(signals.shortEntries, t), on(signals.shortExits, t))
            if le && lx { le = false; lx = false }
            if se && sx { se = false; sx = false }
            if le && se { le = false; se = false }
            return (le, lx, se, sx)
        }
        var events: [(bar: Int, direction: Int)] = []
        var previous = (longEntry: false, longExit: false, shortEntry: false, shortExit: false)
        for t in window {
            let f = flags(t)
            if f.longEntry, !previous.longEntry { events.append((t, 1)) }
            if f.shortEntry, !previous.shortEntry { events.append((t, -1)) }
            previous = f
        }
        report.signals = events.count
        report.longSignals = events.filter { $0.direction > 0 }.count
        report.shortSignals = events.count - report.longSignals
        report.perThousandBars = Double(events.count) * 1000 / Double(window.count)

        let entryAtClose = c.fill == .close
        var sums = [Double](repeating: 0, count: maxDecay), counts = [Int](repeating: 0, count: maxDecay)
        for event in events {
            let d = Double(event.direction)
            let entryBar = entryAtClose ? event.bar : event.bar + 1
            guard entryBar <= last else { continue }
            let raw = entryAtClose ? m.close[entryBar] : m.open[entryBar]
            guard raw > 0, raw.isFinite else { continue }
            for h in 1...maxDecay {
                let bar = event.bar + h
                guard bar <= last else { break }
                let r = d * (m.close[bar] / raw - 1)
                guard r.isFinite else { continue }
                sums[h - 1] += r
                counts[h - 1] += 1
            }
            // Exit: the first bar from the entry on whose close the side's exit or the opposite
            // entry fires (filled at the next open, or that close), or max_hold.
            var exitBar = last, exitPrice = m.close[last]
            var reason = window.upperBound == m.count ? ExitReason.endOfData : .endOfWindow
            var j = entryBar
            while j <= last {
                if let hold = c.maxHold {
                    let due = entryAtClose ? j - entryBar >= hold : j - entryBar + 1 >= hold
                    if due {
                        if entryAtClose { exitBar = j; exitPrice = m.close[j]; reason = .maxHold; break }
                        if j < last { exitBar = j + 1; exitPrice = m.open[j + 1]; reason = .maxHold; break }
                    }
                }
                let f = flags(j)
                let closes = event.direction > 0 ? (f.longExit || f.shortEntry) : (f.shortExit || f.longEntry)
                if j > event.bar, closes {
                    if entryAtClose { exitBar = j; exitPrice = m.close[j]; reason = .signal; break }
                    if j < last { exitBar = j + 1; exitPrice = m.open[j + 1]; reason = .signal; break }
                }
                j += 1
            }
            if !(exitPrice > 0 && exitPrice.isFinite) { exitPrice = m.close[exitBar] }
            let entryFill = raw * (1 + d * c.slippage)
            let exitFill = exitPrice * (1 - d * c.slippage)
            var r = d * (exitFill / entryFill - 1) - c.fee * (1 + exitFill / entryFill)
            // Funding settled on the position carried into each bar after the entry bar, up to and
            // including the exit bar (the engine's rule 1).
            if c.funding, let rates = m.fundingAtOpen {
                var k = entryBar + 1
                while k <= exitBar {
                    let rate = rates[k]
                    if rate != 0, rate.isFinite {
                        let price = m.open[k].isFinite && m.open[k] > 0 ? m.open[k] : m.close[k - 1]
                        r -= d * rate * price / entryFill
                    }
                    k += 1
                }
            }
            guard r.isFinite else { continue }
            report.signalTrades.append(SignalTrade(signalIndex: event.bar, direction: event.direction, entryIndex: entryBar,
                                                   exitIndex: exitBar, netReturn: r, exitReason: reason))
        }
        report.decay = zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : .nan }
        let outcomes = report.signalTrades.map(\.netReturn)
        report.trades = outcomes.count
        if !outcomes.isEmpty {
            report.winRate = Double(outcomes.filter { $0 > 0 }.count) / Double(outcomes.count)
            let wins = outcomes.filter { $0 > 0 }.reduce(0, +), losses = -outcomes.filter { $0 < 0 }.reduce(0, +)
            report.profitFactor = losses > 0 ? wins / losses : (wins > 0 ? .infinity : .nan)
            report.averageEdge = outcomes.reduce(0, +) / Double(outcomes.count)
            report.averageBarsHeld = Double(report.signalTrades.map(\.barsHeld).reduce(0, +)) / Double(outcomes.count)
        }
        if let peak = report.decay.indices.filter({ !report.decay[$0].isNaN }).max(by: { report.decay[$0] < report.decay[$1] }),
           report.decay[peak] > 0 {
            let half = report.decay[peak] / 2
            if let fall = report.decay[(peak + 1)...].firstIndex(where: { !$0.isNaN && $0 <= half }) {
                report.halfLife = fall - peak
            }
        }
        return report
    }
}
