import Foundation

/// What the store holds and whether it is sound: `llmalpha data list` and `data verify`.
public enum StoreInventory {
    /// One symbol and interval in the store.
    public struct Entry: Sendable {
        public let symbol: String
        public let interval: String
        public let first: Double?
        public let last: Double?
        public let bars: Int
        /// Missing bar steps between consecutive bars.
        public let gaps: Int
        public let files: Int
        public let bytes: UInt64
        public let fundingEvents: Int
    }

    /// A finding of `verify`: errors make the data unusable or untrustworthy, warnings are worth
    /// a look (a listing period's zero-volume bars, an exchange outage's gap).
    public struct Finding: Sendable {
        public enum Severity: String, Sendable { case error, warning }
        public let severity: Severity
        public let symbol: String
        public let interval: String
        public let message: String
    }

    public static func list(_ store: MarketStore, symbols: [String]? = nil) -> [Entry] {
        var entries: [Entry] = []
        for symbol in store.symbols() where symbols?.contains(symbol) ?? true {
            let funding = (try? store.funding(symbol: symbol).count) ?? 0
            for interval in store.intervals(of: symbol) {
                let files = store.files(symbol: symbol, interval: interval)
                let bytes = files.reduce(UInt64(0)) { total, file in
                    total + (((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.uint64Value ?? 0)
                }
                let bars = try? store.klines(symbol: symbol, interval: interval)
                entries.append(Entry(symbol: symbol, interval: interval, first: bars?.time.first, last: bars?.time.last,
                                     bars: bars?.count ?? 0, gaps: bars.map { gapCount($0.time, interval: interval) } ?? 0,
                                     files: files.count, bytes: bytes, fundingEvents: funding))
            }
        }
        return entries
    }

    static func gapCount(_ time: [Double], interval: String) -> Int {
        guard let step = Interval.milliseconds(interval), time.count > 1 else { return 0 }
        var missing = 0
        for i in 1..<time.count where time[i] - time[i - 1] > step {
            missing += Int(((time[i] - time[i - 1]) / step).rounded()) - 1
        }
        return missing
    }

    /// Checks every file: readable, sorted, no duplicates (file and line from the reader), OHLC
    /// consistency (low ≤ open, close ≤ high), gaps, zero-volume runs, funding times.
    public static func verify(_ store: MarketStore, symbols: [String]? = nil) -> [Finding] {
        var findings: [Finding] = []
        for symbol in store.symbols() where symbols?.contains(symbol) ?? true {
            for interval in store.intervals(of: symbol) {
                func add(_ severity: Finding.Severity, _ message: String) {
                    findings.append(Finding(severity: severity, symbol: symbol, interval: interval, message: message))
                }
                let bars: Bars
                do {
                    bars = try store.parse(store.files(symbol: symbol, interval: interval), symbol: symbol, interval: interval)
                } catch {
                    add(.error, error.description)
                    continue
                }
                var inconsistent = 0, firstBad: Double? = nil
                for i in 0..<bars.count {
                    let (o, h, l, c) = (bars.open[i], bars.high[i], bars.low[i], bars.close[i])
                    if !(l <= o && l <= c && h >= o && h >= c && l <= h && l > 0) {
                        inconsistent += 1
                        if firstBad == nil { firstBad = bars.time[i] }
                    }
                }
                if inconsistent > 0 {
                    add(.error, "\(inconsistent) bar\(inconsistent == 1 ? "" : "s") with inconsistent OHLC (need 0 < low ≤ open, close ≤ high), first at \(TimeBound.format(firstBad!))")
                }
                let gaps = gapCount(bars.time, interval: interval)
                if gaps > 0 { add(.warning, "\(gaps) missing bar\(gaps == 1 ? "" : "s") (gaps)") }
                var run = 0, longest = 0, zero = 0, longestAt = 0.0
                for i in 0..<bars.count {
                    if bars.volume[i] == 0 {
                        zero += 1; run += 1
                        if run > longest { longest = run; longestAt = bars.time[i - run + 1] }
                    } else { run = 0 }
                }
                if zero > 0 {
                    add(.warning, "\(zero) zero-volume bar\(zero == 1 ? "" : "s"), longest run \(longest) from \(TimeBound.format(longestAt))")
                }
            }
            do {
                _ = try store.funding(symbol: symbol)
            } catch {
                findings.append(Finding(severity: .error, symbol: symbol, interval: "funding", message: error.description))
            }
        }
        return findings
    }
}

extension MarketStore {
    /// The monthly CSVs of one symbol and interval, in order.
    public func files(symbol: String, interval: String) -> [String] {
        let folder = ((exchangeFolder as NSString).appendingPathComponent(symbol) as NSString).appendingPathComponent(interval)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".csv") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }
}
