import Foundation

/// The on-disk store of DESIGN.md section 6: the Binance archive's own monthly CSV layout.
///
/// ```
/// <root>/binance-um/<SYMBOL>/<interval>/<SYMBOL>-<interval>-YYYY-MM.csv
/// <root>/binance-um/<SYMBOL>/funding/<SYMBOL>-fundingRate-YYYY-MM.csv
/// <root>/binance-um/<SYMBOL>/oi/<SYMBOL>-metrics-YYYY-MM.csv             (5-minute open interest)
/// <root>/binance-um/<SYMBOL>/mark/<interval>/<SYMBOL>-<interval>-YYYY-MM.csv  (mark-price klines)
/// ```
/// Files written by `data download` are listed with their sha256 in each folder's `manifest.json`.
public struct MarketStore: Sendable {
    /// The store root (`./data` by default; `--data-dir`, `LLMALPHA_DATA_DIR`).
    public let root: String

    public init(root: String) {
        self.root = root
    }

    var exchangeFolder: String { (root as NSString).appendingPathComponent("binance-um") }

    /// Symbols with any data, sorted.
    public func symbols() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: exchangeFolder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Kline intervals stored for a symbol, sorted by length.
    public func intervals(of symbol: String) -> [String] {
        let folder = (exchangeFolder as NSString).appendingPathComponent(symbol)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { Interval.milliseconds($0) != nil }.sorted { Interval.milliseconds($0)! < Interval.milliseconds($1)! }
    }

    /// Mark-price kline intervals stored for a symbol (`mark/<interval>/`), sorted by length.
    public func markIntervals(of symbol: String) -> [String] {
        let folder = ((exchangeFolder as NSString).appendingPathComponent(symbol) as NSString).appendingPathComponent("mark")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { Interval.milliseconds($0) != nil }.sorted { Interval.milliseconds($0)! < Interval.milliseconds($1)! }
    }

    /// A symbol's folder for a dataset: `1h`, `funding`, `oi`, `mark/1h`.
    public func folder(symbol: String, dataset: String) -> String {
        ((exchangeFolder as NSString).appendingPathComponent(symbol) as NSString).appendingPathComponent(dataset)
    }

    /// Loads the mark-price klines of a symbol and interval (volume columns are 0: a mark price has no trades).
    /// - Throws: ``DataError`` when there are none, or naming the bad file and line.
    public func markKlines(symbol: String, interval: String) throws(DataError) -> Bars {
        let files = csvFiles(in: folder(symbol: symbol, dataset: "mark/\(interval)"))
        guard !files.isEmpty else {
            throw DataError(file: root, "no mark-price \(interval) klines for \(symbol)",
                            hint: "llmalpha data download -s \(symbol) -i \(interval) --mark fetches them")
        }
        return try parse(files, symbol: symbol, interval: interval)
    }

    /// Open interest of a symbol (5-minute rows from `oi/`), sorted; empty when the store has none.
    /// - Throws: ``DataError`` naming a bad file and line, or times that go backwards across files.
    public func openInterest(symbol: String) throws(DataError) -> [OpenInterestReader.Point] {
        let folder = folder(symbol: symbol, dataset: "oi")
        var points: [OpenInterestReader.Point] = []
        for file in csvFiles(in: folder) {
            let part = try OpenInterestReader.read(path: file)
            if let last = points.last, let first = part.first, first.time <= last.time {
                throw DataError(file: file, "starts at \(TimeBound.format(first.time)), not after the previous file's last row")
            }
            points += part
        }
        return points
    }

    /// Loads every monthly file of a symbol and interval, in order, checking that the files join
    /// into one strictly increasing series.
    /// - Throws: ``DataError`` naming the missing data (with what is available) or the bad file and line.
    public func klines(symbol: String, interval: String) throws(DataError) -> Bars {
        let folder = ((exchangeFolder as NSString).appendingPathComponent(symbol) as NSString).appendingPathComponent(interval)
        let files = self.files(symbol: symbol, interval: interval)
        guard !files.isEmpty else {
            // A coarser interval is built from the finest stored one that divides it.
            if let target = Interval.milliseconds(interval),
               let finer = intervals(of: symbol).filter({ Interval.milliseconds($0)! < target })
                .filter({ target.truncatingRemainder(dividingBy: Interval.milliseconds($0)!) == 0 })
                .max(by: { Interval.milliseconds($0)! < Interval.milliseconds($1)! }) {
                return Resampler.resample(try klines(symbol: symbol, interval: finer), to: interval)
            }
            throw missing(symbol: symbol, interval: interval)
        }
        let sources = BarCache.describe(files)
        let cache = BarCache.path(folder: folder, symbol: symbol, interval: interval)
        if sources.count == files.count, let cached = BarCache.load(path: cache, sources: sources, symbol: symbol, interval: interval) {
            return cached
        }
        let bars = try parse(files, symbol: symbol, interval: interval)
        if sources.count == files.count { BarCache.write(bars, sources: sources, files: files, path: cache) }
        return bars
    }

    /// Reads and joins monthly CSVs, checking that each starts after the previous one ends.
    func parse(_ files: [String], symbol: String, interval: String) throws(DataError) -> Bars {
        var bars = Bars(symbol: symbol, interval: interval)
        for file in files {
            let part = try CSVBarReader.read(path: file, symbol: symbol, interval: interval, headerRequired: false)
            if let last = bars.time.last, let first = part.time.first, first <= last {
                throw DataError(file: file, line: nil, "starts at \(Int(first)), not after the previous file's last bar \(Int(last))",
                                hint: "files overlap or are misnamed")
            }
            bars.time += part.time; bars.open += part.open; bars.high += part.high
            bars.low += part.low; bars.close += part.close; bars.volume += part.volume
            // Extra columns only when every file has them (archive files do; the bundled sample has none).
            if bars.count == part.count { bars.extra = part.extra } else {
                bars.extra = bars.extra.compactMap { column in
                    part.extra(column.name).map { (column.name, column.values + $0) }
                }
            }
        }
        return bars
    }

    /// Funding events (settlement time in ms, rate), sorted; empty when the store has none.
    public func funding(symbol: String) throws(DataError) -> [(time: Double, rate: Double)] {
        let folder = ((exchangeFolder as NSString).appendingPathComponent(symbol) as NSString).appendingPathComponent("funding")
        var events: [(time: Double, rate: Double)] = []
        for file in csvFiles(in: folder) {
            events += try FundingReader.read(path: file)
        }
        for i in events.indices.dropFirst() where events[i].time <= events[i - 1].time {
            throw DataError(file: folder, "funding times are not strictly increasing at \(Int(events[i].time))")
        }
        return events
    }

    private func csvFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".csv") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    private func missing(symbol: String, interval: String) -> DataError {
        let have = symbols()
        if !have.contains(symbol) {
            let list = have.isEmpty ? "the store is empty" : "have: \(have.joined(separator: ", "))"
            return DataError(file: root, "no data for \(symbol) (\(list))",
                             hint: "llmalpha data download -s \(symbol) -i \(interval) -m 3 --funding fetches it, or bring bars with --data file.csv",
                             missing: (symbol, interval))
        }
        let intervals = self.intervals(of: symbol)
        return DataError(file: root, "no \(interval) data for \(symbol) (have: \(intervals.joined(separator: ", ")))",
                         hint: "llmalpha data download -s \(symbol) -i \(interval) -m 3 fetches it, or pick one of those with --interval",
                         missing: (symbol, interval))
    }
}

/// Kline interval names of Binance (`1m` … `1d`, `1w`) and their length.
public enum Interval {
    public static func milliseconds(_ name: String) -> Double? {
        let units: [Character: Double] = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000]
        guard let unit = name.last, let size = units[unit], let n = Int(name.dropLast()), n > 0 else { return nil }
        return Double(n) * size
    }
}

/// Reads funding files: the archive's `calc_time,funding_interval_hours,last_funding_rate` and the
/// REST-like `funding_time,funding_rate[,mark_price]`.
public enum FundingReader {
    public static func read(path: String) throws(DataError) -> [(time: Double, rate: Double)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot read the file") }
        let text = String(decoding: data, as: UTF8.self)
        var events: [(time: Double, rate: Double)] = []
        var timeColumn = 0, rateColumn = 2
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if index == 0, let first = fields.first, Double(first) == nil {
                guard let t = fields.firstIndex(where: { $0 == "calc_time" || $0 == "funding_time" }),
                      let r = fields.firstIndex(where: { $0 == "last_funding_rate" || $0 == "funding_rate" }) else {
                    throw DataError(file: path, line: 1, "expected a funding header (calc_time,...,last_funding_rate)")
                }
                timeColumn = t; rateColumn = r
                continue
            }
            guard fields.count > max(timeColumn, rateColumn), let time = Double(fields[timeColumn]), let rate = Double(fields[rateColumn]),
                  time.isFinite, rate.isFinite else {
                throw DataError(file: path, line: index + 1, "expected a funding time and rate, got '\(trimmed.prefix(60))'")
            }
            events.append((time, rate))
        }
        return events
    }
}

/// Reads the store's open interest files: the `metrics` archive's columns
/// (`create_time,symbol,sum_open_interest,sum_open_interest_value,...`), `create_time` as
/// `YYYY-MM-DD HH:MM:SS` UTC (or ms).
public enum OpenInterestReader {
    /// One 5-minute snapshot: time (ms), open interest in contracts (base asset) and its value in USDT.
    public struct Point: Sendable, Equatable {
        public let time: Double
        public let openInterest: Double
        public let value: Double
    }

    /// - Throws: ``DataError`` naming the file and line of a bad row, or of times not strictly increasing.
    public static func read(path: String) throws(DataError) -> [Point] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot read the file") }
        var points: [Point] = []
        var timeColumn = 0, amountColumn = 2, valueColumn = 3
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if index == 0, fields.first == "create_time" {
                guard let a = fields.firstIndex(of: "sum_open_interest"), let v = fields.firstIndex(of: "sum_open_interest_value") else {
                    throw DataError(file: path, line: 1, "expected a metrics header with sum_open_interest and sum_open_interest_value")
                }
                timeColumn = 0; amountColumn = a; valueColumn = v
                continue
            }
            guard fields.count > max(amountColumn, valueColumn), let time = UTCMonth.parseDateTime(fields[timeColumn]),
                  let amount = Double(fields[amountColumn]), let value = Double(fields[valueColumn]), amount.isFinite, value.isFinite else {
                throw DataError(file: path, line: index + 1, "expected create_time,symbol,sum_open_interest,sum_open_interest_value, got '\(trimmed.prefix(60))'")
            }
            if let last = points.last, Double(time) <= last.time {
                throw DataError(file: path, line: index + 1, "time \(fields[timeColumn]) is not after the previous row's")
            }
            points.append(Point(time: Double(time), openInterest: amount, value: value))
        }
        return points
    }
}

/// Joins funding events onto bars as of each bar's open time.
public enum FundingJoin {
    /// The rate settled at each bar's open: an event lands on the first bar opening at or after it
    /// (within one bar); 0 on bars without a settlement.
    public static func atOpen(barTimes: [Double], events: [(time: Double, rate: Double)]) -> [Double] {
        var out = [Double](repeating: 0, count: barTimes.count)
        guard barTimes.count > 1 else { return out }
        let spacing = barTimes[1] - barTimes[0]
        var b = 0
        for event in events {
            while b < barTimes.count, barTimes[b] < event.time { b += 1 }
            if b == barTimes.count { break }
            if barTimes[b] - event.time < spacing { out[b] += event.rate }
        }
        return out
    }

    /// The last rate published at or before each bar's open time; NaN before the first event. Never
    /// a later value: a bar opening exactly at a settlement sees that settlement's rate.
    /// - Complexity: O(bars + events).
    public static func asOf(barTimes: [Double], events: [(time: Double, rate: Double)]) -> [Double] {
        var out = [Double](repeating: .nan, count: barTimes.count)
        var k = -1
        for i in barTimes.indices {
            while k + 1 < events.count, events[k + 1].time <= barTimes[i] { k += 1 }
            if k >= 0 { out[i] = events[k].rate }
        }
        return out
    }
}
