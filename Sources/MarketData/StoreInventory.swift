import Foundation
import DurableFiles

/// What the store holds and whether it is sound: `llmalpha data list` and `data verify`.
package enum StoreInventory {
    /// One dataset of a symbol in the store: klines of an interval, mark-price klines of an
    /// interval, or open interest.
    package struct Entry: Sendable {
        package let symbol: String
        /// `klines`, `mark` or `oi`.
        package let dataset: String
        /// The store folder under the symbol: `1h`, `mark/1h`, `oi`.
        package let interval: String
        package let first: Double?
        package let last: Double?
        /// Bars (rows for `oi`).
        package let bars: Int
        /// Missing steps between consecutive bars (5-minute rows for `oi`).
        package let gaps: Int
        package let files: Int
        package let bytes: UInt64
        package let fundingEvents: Int
    }

    /// A finding of `verify`: errors make the data unusable or untrustworthy, warnings are worth
    /// a look (a listing period's zero-volume bars, an exchange outage's gap).
    package struct Finding: Sendable {
        package enum Severity: String, Sendable { case error, warning }
        package let severity: Severity
        package let symbol: String
        package let interval: String
        package let message: String
    }

    /// Every dataset of every symbol (or of `symbols`): klines by interval, then mark-price klines, then open interest.
    package static func list(_ store: MarketStore, symbols: [String]? = nil) -> [Entry] {
        var entries: [Entry] = []
        for symbol in store.symbols() where symbols?.contains(symbol) ?? true {
            let funding = (try? store.funding(symbol: symbol).count) ?? 0
            func size(_ files: [String]) -> UInt64 {
                files.reduce(UInt64(0)) { total, file in
                    total + (((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.uint64Value ?? 0)
                }
            }
            for interval in store.intervals(of: symbol) {
                let files = store.files(symbol: symbol, interval: interval)
                let bars = try? store.klines(symbol: symbol, interval: interval)
                entries.append(Entry(symbol: symbol, dataset: "klines", interval: interval, first: bars?.time.first, last: bars?.time.last,
                                     bars: bars?.count ?? 0, gaps: bars.map { gapCount($0.time, interval: interval) } ?? 0,
                                     files: files.count, bytes: size(files), fundingEvents: funding))
            }
            for interval in store.markIntervals(of: symbol) {
                let files = store.files(symbol: symbol, interval: "mark/\(interval)")
                let bars = try? store.markKlines(symbol: symbol, interval: interval)
                entries.append(Entry(symbol: symbol, dataset: "mark", interval: "mark/\(interval)", first: bars?.time.first,
                                     last: bars?.time.last, bars: bars?.count ?? 0, gaps: bars.map { gapCount($0.time, interval: interval) } ?? 0,
                                     files: files.count, bytes: size(files), fundingEvents: 0))
            }
            let oiFiles = store.files(symbol: symbol, interval: "oi")
            if !oiFiles.isEmpty {
                let points = (try? store.openInterest(symbol: symbol)) ?? []
                entries.append(Entry(symbol: symbol, dataset: "oi", interval: "oi", first: points.first?.time, last: points.last?.time,
                                     bars: points.count, gaps: gapCount(points.map(\.time), interval: "5m"),
                                     files: oiFiles.count, bytes: size(oiFiles), fundingEvents: 0))
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
    /// consistency (low ≤ open, close ≤ high), gaps, zero-volume runs (not for mark prices, which
    /// have no volume), funding and open interest times, and every CSV a download recorded in a
    /// `manifest.json` against the sha256 recorded there.
    package static func verify(_ store: MarketStore, symbols: [String]? = nil) -> [Finding] {
        var findings: [Finding] = []
        for symbol in store.symbols() where symbols?.contains(symbol) ?? true {
            let klineSets = store.intervals(of: symbol).map { (folder: $0, interval: $0, mark: false) }
                + store.markIntervals(of: symbol).map { (folder: "mark/\($0)", interval: $0, mark: true) }
            for (folder, interval, mark) in klineSets {
                func add(_ severity: Finding.Severity, _ message: String) {
                    findings.append(Finding(severity: severity, symbol: symbol, interval: folder, message: message))
                }
                let bars: Bars
                do {
                    bars = try store.parse(store.files(symbol: symbol, interval: folder), symbol: symbol, interval: interval)
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
                if mark { continue }
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
            do {
                let points = try store.openInterest(symbol: symbol)
                let gaps = gapCount(points.map(\.time), interval: "5m")
                if gaps > 0 { findings.append(Finding(severity: .warning, symbol: symbol, interval: "oi", message: "\(gaps) missing 5-minute row\(gaps == 1 ? "" : "s") (gaps)")) }
            } catch {
                findings.append(Finding(severity: .error, symbol: symbol, interval: "oi", message: error.description))
            }
            findings += checksumFindings(store, symbol: symbol)
        }
        return findings
    }

    /// Every CSV recorded with a sha256 in a `manifest.json` under the symbol, hashed again: a
    /// mismatch (edited or damaged since it was downloaded) is an error naming the file; a recorded
    /// file that is gone is a warning.
    static func checksumFindings(_ store: MarketStore, symbol: String) -> [Finding] {
        let symbolFolder = store.folder(symbol: symbol, dataset: "")
        let datasets = ((try? FileManager.default.contentsOfDirectory(atPath: symbolFolder)) ?? []).sorted().flatMap { name -> [String] in
            name == "mark" ? store.markIntervals(of: symbol).map { "mark/\($0)" } : [name]
        }
        var findings: [Finding] = []
        for dataset in datasets {
            let folder = store.folder(symbol: symbol, dataset: dataset)
            guard let manifest = StoreWriter.readManifest(folder: folder) else { continue }
            for (name, entry) in manifest.files.sorted(by: { $0.key < $1.key }) {
                guard let recorded = entry.sha256 else { continue }
                let path = (folder as NSString).appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: path) else {
                    findings.append(Finding(severity: .warning, symbol: symbol, interval: dataset,
                                            message: "\(path): listed in manifest.json but missing (data download fetches it again)"))
                    continue
                }
                let actual = SHA256.hex(data)
                if actual != recorded {
                    findings.append(Finding(severity: .error, symbol: symbol, interval: dataset,
                                            message: "\(path): sha256 \(actual) does not match \(recorded) recorded in manifest.json when it was "
                                                + "downloaded (edited or damaged; rerun data download to fetch it again)"))
                }
            }
        }
        return findings
    }
}

extension MarketStore {
    /// The monthly CSVs of one symbol and interval, in order.
    package func files(symbol: String, interval: String) -> [String] {
        let folder = ((exchangeFolder as NSString).appendingPathComponent(symbol) as NSString).appendingPathComponent(interval)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".csv") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }
}
