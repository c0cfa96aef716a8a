/// Which bars a command works on: a symbol and interval from the store, or a user's CSV, cut to
/// an optional time span, with funding and open interest joined where the store has them.
public struct BarsRequest: Sendable, Equatable {
    public var symbol: String
    public var interval: String
    /// A user CSV (`--data`); when set, symbol and interval only label the result.
    public var file: String?
    public var from: Double?
    public var to: Double?

    public init(symbol: String, interval: String, file: String? = nil, from: Double? = nil, to: Double? = nil) {
        self.symbol = symbol
        self.interval = interval
        self.file = file
        self.from = from
        self.to = to
    }

    /// `BTC` means `BTCUSDT`: the store holds USDT-margined perpetuals.
    public static func normalizeSymbol(_ text: String) -> String {
        let upper = text.uppercased()
        return upper.hasSuffix("USDT") || upper.hasSuffix("USDC") ? upper : upper + "USDT"
    }

    /// Loads the bars.
    /// - Throws: ``DataError`` for a missing, malformed or empty selection.
    public func load(from store: MarketStore) throws(DataError) -> Bars {
        var bars: Bars
        if let file {
            bars = try CSVBarReader.read(path: file, symbol: symbol, interval: interval, headerRequired: true)
            // A user's file carries its own funding column, if any (`funding` or `funding_rate`).
            if let rate = bars.extra("funding_rate"), bars.extra("funding") == nil {
                bars.extra.removeAll { $0.name == "funding_rate" }
                bars.setExtra("funding", rate)
            }
        } else {
            bars = try store.klines(symbol: symbol, interval: interval)
            let events = try store.funding(symbol: symbol)
            if !events.isEmpty {
                bars.setExtra("funding", FundingJoin.asOf(barTimes: bars.time, events: events))
                bars.fundingEvents = events
            }
            // Open interest, as of each bar's open like funding: the last 5-minute snapshot at or before it.
            let interest = try store.openInterest(symbol: symbol)
            if !interest.isEmpty {
                bars.setExtra("open_interest", FundingJoin.asOf(barTimes: bars.time, events: interest.map { (time: $0.time, rate: $0.openInterest) }))
                bars.setExtra("open_interest_value", FundingJoin.asOf(barTimes: bars.time, events: interest.map { (time: $0.time, rate: $0.value) }))
            }
            // Mark prices at the bars' own interval (`data download --mark`): the mark bar that
            // opens with each bar, which closes when it does, so nothing later is seen.
            // An empty or unreadable mark folder (an interrupted download) leaves the columns out.
            if store.markIntervals(of: symbol).contains(interval),
               let mark = (try? store.markKlines(symbol: symbol, interval: interval))?.aligned(to: bars.time) {
                for (name, column) in [("mark_open", mark.open), ("mark_high", mark.high), ("mark_low", mark.low), ("mark_close", mark.close)] {
                    bars.setExtra(name, column)
                }
            }
        }
        if let from, let to, from > to {
            throw DataError("--from \(TimeBound.format(from)) is after --to \(TimeBound.format(to))")
        }
        // Other symbols for market(): the same store, the same interval.
        bars.markets = MarketCatalog.store(store, interval: interval)
        let whole = bars
        bars = bars.slice(from: from, to: to)
        guard bars.count > 0 else {
            let span = whole.count > 0 ? " (the data runs \(TimeBound.format(whole.time.first!)) to \(TimeBound.format(whole.time.last!)))" : ""
            throw DataError(file: file, "no bars in the selected span\(span)")
        }
        return bars
    }
}
