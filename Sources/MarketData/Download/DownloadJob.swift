import Foundation
import DurableFiles

/// One download run's shared context and the work for one month file.
final class DownloadJob: Sendable {
    enum Kind: Sendable, Equatable {
        case klines(String)
        case funding
        /// Open interest (and the other 5-minute `metrics` columns).
        case openInterest
        /// Mark-price klines of an interval.
        case markKlines(String)

        /// The store folder under the symbol, also the summary's `kind`: `1h`, `funding`, `oi`, `mark/1h`.
        var folder: String {
            switch self {
            case .klines(let interval): return interval
            case .funding: return "funding"
            case .openInterest: return "oi"
            case .markKlines(let interval): return "mark/\(interval)"
            }
        }

        /// Time between rows (ms), for the planned bar count.
        var step: Int64 {
            switch self {
            case .klines(let interval), .markKlines(let interval): return Int64(Interval.milliseconds(interval) ?? 3_600_000)
            case .funding: return 8 * 3_600_000
            case .openInterest: return DownloadJob.openInterestStep
            }
        }
    }

    /// One file of the store: a symbol's klines, funding, open interest or mark-price klines for one month.
    struct Unit: Sendable {
        let symbol: String
        let kind: Kind
        let month: UTCMonth
        /// The exchange's current month: never complete, rebuilt on every run.
        let isCurrent: Bool
        /// Rows expected in the month up to the exchange's "now", for progress and its ETA.
        let plannedRows: Int

        init(symbol: String, kind: Kind, month: UTCMonth, isCurrent: Bool, now: Int64) {
            self.symbol = symbol
            self.kind = kind
            self.month = month
            self.isCurrent = isCurrent
            plannedRows = Int(max(0, min(month.end, now) - month.start) / kind.step)
        }
    }

    /// Where a kind of klines lives: the archive folder and the REST path.
    struct KlineFeed: Sendable {
        /// `klines` or `markPriceKlines` in `data/futures/um/monthly/<archive>/...`.
        let archive: String
        /// `/fapi/v1/klines` or `/fapi/v1/markPriceKlines`.
        let restPath: String
        /// For notes: `1h` or `mark 1h`.
        let label: String

        static func of(_ kind: Kind) -> KlineFeed? {
            switch kind {
            case .klines(let interval): return KlineFeed(archive: "klines", restPath: "/fapi/v1/klines", label: interval)
            case .markKlines(let interval): return KlineFeed(archive: "markPriceKlines", restPath: "/fapi/v1/markPriceKlines", label: "mark \(interval)")
            default: return nil
            }
        }
    }

    /// Open interest rows are 5 minutes apart (the archive's, and the REST period asked for).
    static let openInterestStep: Int64 = 300_000
    /// How far back `/futures/data/openInterestHist` serves: 30 days, less an hour so that a request
    /// is never refused for a start a moment too old.
    static let openInterestRestReach: Int64 = 30 * UTCMonth.dayMilliseconds - 3_600_000

    struct Outcome: Sendable {
        let file: DownloadSummary.File
        var notes: [String] = []
    }

    let archive: String
    let rest: String
    /// The exchange's clock at the start of the run (ms).
    let now: Int64
    let client: ExchangeClient
    let writer: StoreWriter
    let tracker: ProgressTracker
    let retries: Int

    init(archive: String, rest: String, now: Int64, client: ExchangeClient, writer: StoreWriter, tracker: ProgressTracker, retries: Int) {
        self.archive = archive
        self.rest = rest
        self.now = now
        self.client = client
        self.writer = writer
        self.tracker = tracker
        self.retries = retries
    }

    func run(_ unit: Unit) async throws -> Outcome {
        switch unit.kind {
        case .klines(let interval), .markKlines(let interval):
            return try await klines(unit, interval: interval, feed: KlineFeed.of(unit.kind)!)
        case .funding: return try await funding(unit)
        case .openInterest: return try await openInterest(unit)
        }
    }

    // MARK: Klines (and mark-price klines)

    private func klines(_ unit: Unit, interval: String, feed: KlineFeed) async throws -> Outcome {
        let symbol = unit.symbol
        let kind = unit.kind.folder
        let folder = writer.folder(symbol: symbol, kind: kind)
        let name = "\(symbol)-\(interval)-\(unit.month.label).csv"
        if let done = await finished(unit, folder: folder, kind: kind, name: name) { return done }
        let step = Int64(Interval.milliseconds(interval)!)
        if !unit.isCurrent {
            let path = "data/futures/um/monthly/\(feed.archive)/\(symbol)/\(interval)/\(symbol)-\(interval)-\(unit.month.label).zip"
            if let (csv, sha) = try await verifiedArchive(path, symbol: symbol) {
                let (rows, clean) = try ArchiveRows.klines(csv: csv, source: "\(archive)/\(path)")
                let data = clean ? csv : ArchiveRows.klineCSV(rows)
                let entry = StoreWriter.Entry(source: "monthly-zip", zipSha256: sha, rows: rows.count, bytes: data.count, complete: true,
                                              first: rows.first.map { Double($0.openTime) }, last: rows.last.map { Double($0.openTime) })
                try await writer.write(folder: folder, name: name, data: data, entry: entry)
                return Outcome(file: .init(symbol: symbol, kind: kind, name: name, source: entry.source, rows: rows.count,
                                           first: entry.first, last: entry.last))
            }
        }
        // The current month, or a past month whose monthly zip is not published yet (404).
        let end = min(unit.month.end, now)
        let fetched = try await dailyZipsThenREST(
            symbol: symbol, from: unit.month.start, to: end, restReach: nil,
            zipPath: { "data/futures/um/daily/\(feed.archive)/\(symbol)/\(interval)/\(symbol)-\(interval)-\($0).zip" },
            parse: { try ArchiveRows.klines(csv: $0, source: $1).rows },
            rest: { try await self.restKlines(symbol: symbol, interval: interval, feed: feed, step: step, from: $0, through: $1) })
        var rows = ArchiveRows.normalized(fetched.rows).rows
        let source = fetched.source
        var notes: [String] = []
        // The last bar closed by `now`, when the interval divides the day (1m … 1d): what the tail must reach.
        if UTCMonth.dayMilliseconds % step == 0 || step % UTCMonth.dayMilliseconds == 0 {
            let lastClosed = (min(end, now + 1) / step) * step - step
            if lastClosed >= unit.month.start, (rows.last?.openTime ?? Int64.min) < lastClosed {
                let have = rows.last.map { TimeBound.format(Double($0.openTime)) } ?? "nothing"
                notes.append("\(symbol) \(feed.label) \(unit.month.label): bars end at \(have), the exchange's last closed bar opens "
                             + "\(TimeBound.format(Double(lastClosed))) (REST returned no more)")
            }
        }
        rows = rows.filter { $0.openTime >= unit.month.start && $0.openTime < unit.month.end }
        let data = ArchiveRows.klineCSV(rows)
        let entry = StoreWriter.Entry(source: source, zipSha256: nil, rows: rows.count, bytes: data.count, complete: false,
                                      first: rows.first.map { Double($0.openTime) }, last: rows.last.map { Double($0.openTime) })
        if rows.isEmpty {
            notes.append("\(symbol) \(feed.label) \(unit.month.label): no bars (not listed yet?)")
            return Outcome(file: .init(symbol: symbol, kind: kind, name: name, source: source, rows: 0, first: nil, last: nil), notes: notes)
        }
        try await writer.write(folder: folder, name: name, data: data, entry: entry)
        return Outcome(file: .init(symbol: symbol, kind: kind, name: name, source: source, rows: rows.count,
                                   first: entry.first, last: entry.last), notes: notes)
    }

    /// What ``dailyZipsThenREST`` found.
    struct DailyRows<Row: Sendable>: Sendable {
        var rows: [Row]
        /// `daily-zip`, `daily-zip+rest` or `rest`.
        var source: String
        /// Every whole day of the span came from a verified zip, and nothing from REST.
        var allFromZips: Bool
        /// Days without a zip that REST cannot reach any more (older than `restReach`).
        var lostDays: [Int64]
    }

    /// Rows in `from..<to`: daily zips for whole days that ended before today (server time), then
    /// REST from the first day without a zip. Unsorted; the caller orders and deduplicates.
    /// - Parameter restReach: how far back from `now` REST serves (ms), nil for no limit. A day
    ///   without a zip beyond it is skipped (and reported in `lostDays`) instead of starting REST there.
    private func dailyZipsThenREST<Row: Sendable>(
        symbol: String, from: Int64, to: Int64, restReach: Int64?, zipPath: @escaping @Sendable (String) -> String,
        parse: @escaping @Sendable (Data, String) throws -> [Row], rest: (Int64, Int64) async throws -> [Row]
    ) async throws -> DailyRows<Row> {
        let day = UTCMonth.dayMilliseconds
        let today = (now / day) * day
        var starts: [Int64] = []
        var d = from
        while d + day <= min(to, today) { starts.append(d); d += day }
        var found: [Int64: [Row]] = [:]
        try await withThrowingTaskGroup(of: (Int64, [Row]?).self) { group in
            for start in starts {
                group.addTask {
                    let path = zipPath(UTCMonth.dayLabel(start))
                    guard let (csv, _) = try await self.verifiedArchive(path, symbol: symbol) else { return (start, nil) }
                    return (start, try parse(csv, "\(self.archive)/\(path)"))
                }
            }
            for try await (start, rows) in group { if let rows { found[start] = rows } }
        }
        let floor = restReach.map { now - $0 }
        var rows: [Row] = []
        var lost: [Int64] = []
        var restFrom = starts.last.map { $0 + day } ?? from
        for start in starts {
            if let dayRows = found[start] { rows += dayRows; continue }
            if let floor, start + day <= floor { lost.append(start); continue }
            restFrom = start
            break
        }
        let daily = !found.isEmpty
        var usedRest = false
        let restStart = max(restFrom, floor ?? restFrom)
        if restStart < to {
            rows += try await rest(restStart, to - 1)
            usedRest = true
        }
        let source = daily && usedRest ? "daily-zip+rest" : daily ? "daily-zip" : "rest"
        return DailyRows(rows: rows, source: source, allFromZips: found.count == starts.count && !usedRest && restFrom >= to,
                         lostDays: lost)
    }

    /// `/fapi/v1/klines` (or `markPriceKlines`) paged by time (1500 a page) over `from...through`,
    /// closed bars only, sorted and without duplicates. An empty page is asked once more before it ends the paging.
    private func restKlines(symbol: String, interval: String, feed: KlineFeed, step: Int64, from: Int64, through: Int64) async throws -> [KlineRow] {
        let byTime = try await pageByTime(
            symbol: symbol, from: from, through: through, pageSize: 1500, weight: 10,
            url: { start, _ in "\(rest)\(feed.restPath)?symbol=\(symbol)&interval=\(interval)&startTime=\(start)&endTime=\(through)&limit=1500" },
            parse: { try ArchiveRows.klines(json: $0, url: $1) }, time: \.openTime,
            keep: { max($0.closeTime, $0.openTime + step - 1) < now })
        return byTime.values.sorted { $0.openTime < $1.openTime }
    }

    /// Pages a REST endpoint by time over `from...through`, keeping each row in range (and passing
    /// `keep`) once, by its time. A short page ends the paging; an empty one is asked once more first.
    ///
    /// With a `window` (ms), each request asks for `[start, start + window)` only and the next one
    /// starts after it, whatever came back: for endpoints that may fill a page from either end of the
    /// span (`openInterestHist`), a window that holds at most one page of rows gets every row.
    private func pageByTime<Row>(symbol: String, from: Int64, through: Int64, pageSize: Int, weight: Int, window: Int64? = nil,
                                 url makeURL: (Int64, Int64) -> String, parse: (Data, String) throws -> [Row], time: (Row) -> Int64,
                                 keep: (Row) -> Bool = { _ in true }) async throws -> [Int64: Row] {
        var byTime: [Int64: Row] = [:]
        var start = from
        var emptyRetried = false
        while start <= through {
            let windowEnd = window.map { min(through, start + $0 - 1) } ?? through
            let url = makeURL(start, windowEnd)
            let response = try await client.get(url, weight: weight)
            tracker.received(symbol: symbol, bytes: response.body.count)
            guard response.status == 200 else { throw DownloadError.http(url: url, status: response.status, message: "not found") }
            let page = try parse(response.body, url)
            let kept = page.filter { time($0) >= start && time($0) <= windowEnd && keep($0) }
            for row in kept where byTime[time(row)] == nil { byTime[time(row)] = row }
            if window != nil {
                start = windowEnd + 1
                continue
            }
            if page.isEmpty {
                if emptyRetried { break }
                emptyRetried = true
                continue
            }
            guard let last = kept.map(time).max(), page.count >= pageSize else { break }
            start = last + 1
        }
        return byTime
    }

    /// A past month already stored and verified against the manifest: skipped, not refetched.
    private func finished(_ unit: Unit, folder: String, kind: String, name: String) async -> Outcome? {
        guard !unit.isCurrent, let entry = await writer.verified(folder: folder, name: name) else { return nil }
        return Outcome(file: .init(symbol: unit.symbol, kind: kind, name: name, source: "skipped", rows: entry.rows,
                                   first: entry.first, last: entry.last))
    }

    // MARK: Funding

    private func funding(_ unit: Unit) async throws -> Outcome {
        let symbol = unit.symbol
        let folder = writer.folder(symbol: symbol, kind: "funding")
        let name = "\(symbol)-fundingRate-\(unit.month.label).csv"
        if let done = await finished(unit, folder: folder, kind: "funding", name: name) { return done }
        var rows: [FundingRow]
        var source = "rest"
        var sha: String?
        if !unit.isCurrent, let (csv, zipSha) = try await verifiedArchive(
            "data/futures/um/monthly/fundingRate/\(symbol)/\(symbol)-fundingRate-\(unit.month.label).zip", symbol: symbol) {
            rows = try ArchiveRows.funding(csv: csv, source: name)
            source = "monthly-zip"
            sha = zipSha
        } else {
            rows = try await restFunding(symbol: symbol, from: unit.month.start, through: min(unit.month.end, now) - 1)
        }
        rows = rows.filter { $0.time >= unit.month.start && $0.time < unit.month.end }
        let entry = StoreWriter.Entry(source: source, zipSha256: sha, rows: rows.count, bytes: 0, complete: sha != nil,
                                      first: rows.first.map { Double($0.time) }, last: rows.last.map { Double($0.time) })
        let file = DownloadSummary.File(symbol: symbol, kind: "funding", name: name, source: source, rows: rows.count,
                                        first: entry.first, last: entry.last)
        guard !rows.isEmpty else { return Outcome(file: file, notes: ["\(symbol) funding \(unit.month.label): no settlements"]) }
        try await writer.write(folder: folder, name: name, data: ArchiveRows.fundingCSV(rows), entry: entry)
        return Outcome(file: file)
    }

    /// `/fapi/v1/fundingRate` paged (1000 a page); the interval hours come from the spacing of settlements.
    private func restFunding(symbol: String, from: Int64, through: Int64) async throws -> [FundingRow] {
        let byTime = try await pageByTime(
            symbol: symbol, from: from, through: through, pageSize: 1000, weight: 1,
            url: { start, _ in "\(rest)/fapi/v1/fundingRate?symbol=\(symbol)&startTime=\(start)&endTime=\(through)&limit=1000" },
            parse: { try ArchiveRows.funding(json: $0, url: $1) }, time: \.time).mapValues(\.rate)
        let times = byTime.keys.sorted()
        return times.enumerated().map { i, time in
            let spacing = i > 0 ? time - times[i - 1] : (times.count > 1 ? times[1] - times[0] : 8 * 3_600_000)
            let hours = max(1, Int((Double(spacing) / 3_600_000).rounded()))
            return FundingRow(time: time, intervalHours: hours, rate: byTime[time]!)
        }
    }

    // MARK: Open interest

    /// A month of the 5-minute `metrics` rows: daily zips, then `/futures/data/openInterestHist` for
    /// the days not archived yet within its 30 days. A past month is complete (skipped by a rerun)
    /// when every day came from a verified zip.
    private func openInterest(_ unit: Unit) async throws -> Outcome {
        let symbol = unit.symbol
        let folder = writer.folder(symbol: symbol, kind: "oi")
        let name = "\(symbol)-metrics-\(unit.month.label).csv"
        if let done = await finished(unit, folder: folder, kind: "oi", name: name) { return done }
        let end = min(unit.month.end, now)
        let fetched = try await dailyZipsThenREST(
            symbol: symbol, from: unit.month.start, to: end, restReach: Self.openInterestRestReach,
            zipPath: { "data/futures/um/daily/metrics/\(symbol)/\(symbol)-metrics-\($0).zip" },
            parse: { try ArchiveRows.metrics(csv: $0, source: $1) },
            rest: { try await self.restOpenInterest(symbol: symbol, from: $0, through: $1) })
        let rows = ArchiveRows.sortedUnique(fetched.rows, time: \.time).filter { $0.time >= unit.month.start && $0.time < unit.month.end }
        var notes: [String] = []
        if let first = fetched.lostDays.first {
            let count = fetched.lostDays.count
            notes.append("\(symbol) oi \(unit.month.label): \(count) day\(count == 1 ? "" : "s") from \(UTCMonth.dayLabel(first)) have no metrics "
                         + "zip and are older than the 30 days openInterestHist serves")
        }
        let complete = !unit.isCurrent && fetched.allFromZips && fetched.lostDays.isEmpty && !rows.isEmpty
        let entry = StoreWriter.Entry(source: fetched.source, zipSha256: nil, rows: rows.count, bytes: 0, complete: complete,
                                      first: rows.first.map { Double($0.time) }, last: rows.last.map { Double($0.time) })
        let file = DownloadSummary.File(symbol: symbol, kind: "oi", name: name, source: fetched.source, rows: rows.count,
                                        first: entry.first, last: entry.last)
        guard !rows.isEmpty else {
            return Outcome(file: file, notes: notes + ["\(symbol) oi \(unit.month.label): no open interest (not listed yet, or before the archive)"])
        }
        try await writer.write(folder: folder, name: name, data: ArchiveRows.metricsCSV(rows), entry: entry)
        return Outcome(file: file, notes: notes)
    }

    /// `/futures/data/openInterestHist` (period 5m, 500 a page) over `from...through`, in windows of
    /// 500 periods so that every row is returned whichever end of a window the server fills from.
    private func restOpenInterest(symbol: String, from: Int64, through: Int64) async throws -> [MetricsRow] {
        let step = Self.openInterestStep
        let byTime = try await pageByTime(
            symbol: symbol, from: from, through: through, pageSize: 500, weight: 1, window: 500 * step,
            url: { "\(rest)/futures/data/openInterestHist?symbol=\(symbol)&period=5m&startTime=\($0)&endTime=\($1)&limit=500" },
            parse: { try ArchiveRows.openInterest(json: $0, url: $1) }, time: \.time)
        return byTime.values.sorted { $0.time < $1.time }
    }

    // MARK: Archive

    /// The CSV inside `path`'s zip, checked against `path.CHECKSUM`; nil when either is 404.
    /// A mismatch or unreadable zip is refetched up to `retries` times, then thrown.
    private func verifiedArchive(_ path: String, symbol: String) async throws -> (csv: Data, sha256: String)? {
        let url = "\(archive)/\(path)"
        var attempt = 0
        while true {
            let sums = try await client.get(url + ".CHECKSUM", weight: 0)
            if sums.status == 404 { return nil }
            let zip = try await client.get(url, weight: 0)
            if zip.status == 404 { return nil }
            tracker.received(symbol: symbol, bytes: zip.body.count + sums.body.count)
            let actual = SHA256.hex(zip.body)
            let failure: DownloadError
            let expected: String
            do { expected = try ArchiveRows.checksum(sums.body, url: url + ".CHECKSUM") } catch { expected = "" }
            if expected.isEmpty {
                failure = .badData(url: url + ".CHECKSUM", reason: "not a sha256 CHECKSUM line: '\(String(decoding: sums.body.prefix(100), as: UTF8.self))'")
            } else if actual == expected {
                do { return (try ArchiveRows.unzipSingleCSV(zip.body, url: url), actual) }
                catch { failure = error }
            } else {
                failure = .checksum(url: url, expected: expected, actual: actual)
            }
            attempt += 1
            guard attempt <= retries else { throw failure }
            tracker.waiting("\(failure); refetching (\(attempt)/\(retries))")
            try await Task.sleep(nanoseconds: UInt64(client.policy.delay(attempt: attempt) * 1e9))
        }
    }
}
