/// OHLCV bars of one symbol and interval, as columns, plus any extra columns the source had
/// (`quote_volume`, `trades`, `taker_buy_volume`) and the funding rate as of each bar.
public struct Bars: Sendable, Equatable {
    public var symbol: String
    public var interval: String
    /// Bar open times, ms since the Unix epoch, UTC; strictly increasing.
    public var time: [Double] = []
    public var open: [Double] = []
    public var high: [Double] = []
    public var low: [Double] = []
    public var close: [Double] = []
    public var volume: [Double] = []
    /// Further columns by name, in source order.
    public var extra: [(name: String, values: [Double])] = []
    /// Funding settlements (time in ms, rate) over the bars' span, for the backtest's payments;
    /// `extra("funding")` is the same data joined as of each bar, for scripts.
    public var fundingEvents: [(time: Double, rate: Double)] = []
    /// Where `market("ETH")` finds other symbols for scripts over these bars; nil: nowhere.
    public var markets: MarketCatalog? = nil

    public init(symbol: String, interval: String) {
        self.symbol = symbol
        self.interval = interval
    }

    public var count: Int { time.count }

    public static func == (a: Bars, b: Bars) -> Bool {
        a.symbol == b.symbol && a.interval == b.interval && a.time == b.time && a.open == b.open && a.high == b.high
            && a.low == b.low && a.close == b.close && a.volume == b.volume
            && a.extra.map(\.name) == b.extra.map(\.name) && a.extra.map(\.values) == b.extra.map(\.values)
    }

    /// Sets (or replaces) an extra column.
    public mutating func setExtra(_ name: String, _ values: [Double]) {
        precondition(values.count == count)
        if let i = extra.firstIndex(where: { $0.name == name }) { extra[i].values = values } else { extra.append((name, values)) }
    }

    public func extra(_ name: String) -> [Double]? { extra.first { $0.name == name }?.values }

    /// The bars whose open time lies in `from...to` (ms, either bound optional).
    public func slice(from: Double?, to: Double?) -> Bars {
        var lo = 0, hi = count
        if let from { lo = time.partitioningIndex { $0 >= from } }
        if let to { hi = time.partitioningIndex { $0 > to } }
        if hi < lo { hi = lo }
        var out = slice(lo..<hi)
        out.fundingEvents = fundingEvents
        return out
    }

    /// The bars at these indices, with the funding settlements up to the last one's open: what
    /// happens after a slice's bars is not part of it (a validation window, the visible span
    /// before the locked holdout).
    public func slice(_ range: Range<Int>) -> Bars {
        var out = Bars(symbol: symbol, interval: interval)
        out.time = Array(time[range]); out.open = Array(open[range]); out.high = Array(high[range])
        out.low = Array(low[range]); out.close = Array(close[range]); out.volume = Array(volume[range])
        out.extra = extra.map { ($0.name, Array($0.values[range])) }
        out.markets = markets
        if let last = out.time.last { out.fundingEvents = fundingEvents.filter { $0.time <= last } }
        return out
    }

    /// The first index whose open time is at or after `time` (count when none is).
    public func index(atOrAfter time: Double) -> Int {
        self.time.partitioningIndex { $0 >= time }
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `predicate`, for a predicate that is false then true
    /// along the (sorted) array. Binary search.
    func partitioningIndex(where predicate: (Double) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if predicate(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
