import Foundation

/// The other markets a script may read with `market("ETH")`: each symbol loaded once (from the
/// store, downloading it first where the caller allows), then kept for the rest of the run, so a
/// validation's hundreds of trials load it once. Travels with the bars it was made for, slices
/// included.
public final class MarketCatalog: @unchecked Sendable {
    // @unchecked Sendable: `loaded` is guarded by `lock`; `load` is a Sendable closure.
    public let interval: String
    private let load: @Sendable (_ symbol: String, _ secondsLeft: Double?) throws -> Bars
    private let lock = NSLock()
    private var loaded: [String: Result<Bars, CatalogError>] = [:]

    /// - Parameter load: the bars of a symbol (BTCUSDT) at `interval`, every one there is.
    public init(interval: String, load: @escaping @Sendable (_ symbol: String) throws -> Bars) {
        self.interval = interval
        self.load = { symbol, _ in try load(symbol) }
    }

    /// A catalog whose loading may take long (a download): `load` is given the seconds the
    /// asking script has left (nil: no limit) and should give up when they run out.
    public init(interval: String, timedLoad load: @escaping @Sendable (_ symbol: String, _ secondsLeft: Double?) throws -> Bars) {
        self.interval = interval
        self.load = load
    }

    /// `symbol` (`ETH` or `ETHUSDT`) at this catalog's interval.
    /// - Throws: ``CatalogError`` naming the symbol and why it cannot be had.
    /// - Parameter secondsLeft: how long the asking script may still wait (nil: no limit).
    public func bars(_ symbol: String, secondsLeft: Double? = nil) throws(CatalogError) -> Bars {
        let name = BarsRequest.normalizeSymbol(symbol)
        // A symbol names a folder and a download: letters and digits only (never "../x").
        guard (2...24).contains(name.count), name.allSatisfy({ ($0.isASCII && $0.isLetter && $0.isUppercase) || $0.isASCII && $0.isNumber }) else {
            throw CatalogError(symbol: symbol, reason: "not a symbol (letters and digits, as in ETH or ETHUSDT)")
        }
        lock.lock()
        if let known = loaded[name] { lock.unlock(); return try known.get() }
        lock.unlock()
        // Loading (perhaps downloading) happens outside the lock; two first calls may both load.
        let result: Result<Bars, CatalogError>
        do {
            result = .success(try load(name, secondsLeft))
        } catch let outOfTime as CatalogTimeout {
            // Not remembered: a later call with more time (the next REPL line) tries again.
            throw CatalogError(symbol: name, reason: outOfTime.description)
        } catch {
            result = .failure(CatalogError(symbol: name, reason: String(describing: error)))
        }
        lock.lock()
        loaded[name] = result
        lock.unlock()
        return try result.get()
    }

    /// A store-backed catalog: the store's bars of each symbol, nothing downloaded.
    public static func store(_ store: MarketStore, interval: String) -> MarketCatalog {
        MarketCatalog(interval: interval) { symbol in try BarsRequest(symbol: symbol, interval: interval).load(from: store) }
    }
}

/// A load that ran out of the asking script's time (a download cut short). Unlike other
/// failures, the catalog does not remember it.
public struct CatalogTimeout: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A market a script asked for that cannot be had.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public let symbol: String
    public let reason: String
    public var description: String { "market(\"\(symbol)\"): \(reason)" }
}

extension Bars {
    /// These bars' columns on `times` (ascending open times): the bar opening at each time, NaN
    /// where there is none. Never a bar that opens later, so never one that closes later when
    /// both share the interval.
    public func aligned(to times: [Double]) -> Bars {
        var out = Bars(symbol: symbol, interval: interval)
        out.time = times
        let index = Bars.matchingIndices(times, in: time)
        func pick(_ column: [Double]) -> [Double] { index.map { $0 >= 0 ? column[$0] : .nan } }
        out.open = pick(open); out.high = pick(high); out.low = pick(low); out.close = pick(close); out.volume = pick(volume)
        out.extra = extra.map { ($0.name, pick($0.values)) }
        return out
    }

    /// For each of `target`'s times, the index in `times` of the same time, or -1. Both ascending.
    static func matchingIndices(_ target: [Double], in times: [Double]) -> [Int] {
        var out = [Int](repeating: -1, count: target.count)
        var k = 0
        for (i, t) in target.enumerated() {
            while k < times.count, times[k] < t { k += 1 }
            if k < times.count, times[k] == t { out[i] = k }
        }
        return out
    }
}
