import Foundation
import Primitives

/// One download run's shared context and the work for one month file.
final class DownloadJob: Sendable {
    enum Kind: Sendable, Equatable {
        case klines(String)
        case funding
    }

    /// One file of the store: a symbol's klines or funding for one month.
    struct Unit: Sendable {
        let symbol: String
        let kind: Kind
        let month: UTCMonth
        /// The exchange's current month: never complete, rebuilt on every run.
        let isCurrent: Bool
    }

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
        case .klines(let interval): return try await klines(unit, interval: interval)
        case .funding: return try await funding(unit)
        }
    }

    // MARK: Klines

    private func klines(_ unit: Unit, interval: String) async throws -> Outcome {
        let symbol = unit.symbol
        let folder = writer.folder(symbol: symbol, kind: interval)
        let name = "\(symbol)-\(interval)-\(unit.month.label).csv"
        if !unit.isCurrent, let entry = await writer.verified(folder: folder, name: name) {
            return Outcome(file: .init(symbol: symbol, kind: interval, name: name, source: "skipped", rows: entry.rows,
                                       first: entry.first, last: entry.last))
        }
        let step = Int64(Interval.milliseconds(interval)!)
        if !unit.isCurrent {
            let path = "data/futures/um/monthly/klines/\(symbol)/\(interval)/\(symbol)-\(interval)-\(unit.month.label).zip"
            if let (csv, sha) = try await verifiedArchive(path) {
                let (rows, clean) = try ArchiveRows.klines(csv: csv, source: "\(archive)/\(path)")
                let data = clean ? csv : ArchiveRows.klineCSV(rows)
                let entry = StoreWriter.Entry(source: "monthly-zip", zipSha256: sha, rows: rows.count, bytes: data.count, complete: true,
                                              first: rows.first.map { Double($0.openTime) }, last: rows.last.map { Double($0.openTime) })
                try await writer.write(folder: folder, name: name, data: data, entry: entry)
                return Outcome(file: .init(symbol: symbol, kind: interval, name: name, source: entry.source, rows: rows.count,
                                           first: entry.first, last: entry.last))
            }
        }
        // The current month, or a past month whose monthly zip is not published yet (404).
        let end = min(unit.month.end, now)
        var (rows, source) = try await days(symbol: symbol, interval: interval, step: step, from: unit.month.start, to: end)
        var notes: [String] = []
        // The last bar closed by `now`, when the interval divides the day (1m … 1d): what the tail must reach.
        if UTCMonth.dayMilliseconds % step == 0 || step % UTCMonth.dayMilliseconds == 0 {
            let lastClosed = (min(end, now + 1) / step) * step - step
            if lastClosed >= unit.month.start, (rows.last?.openTime ?? Int64.min) < lastClosed {
                let have = rows.last.map { TimeBound.format(Double($0.openTime)) } ?? "nothing"
                notes.append("\(symbol) \(interval) \(unit.month.label): bars end at \(have), the exchange's last closed bar opens "
                             + "\(TimeBound.format(Double(lastClosed))) (REST returned no more)")
            }
        }
        rows = rows.filter { $0.openTime >= unit.month.start && $0.openTime < unit.month.end }
        let data = ArchiveRows.klineCSV(rows)
        let entry = StoreWriter.Entry(source: source, zipSha256: nil, rows: rows.count, bytes: data.count, complete: false,
                                      first: rows.first.map { Double($0.openTime) }, last: rows.last.map { Double($0.openTime) })
        if rows.isEmpty {
            notes.append("\(symbol) \(interval) \(unit.month.label): no bars (not listed yet?)")
            return Outcome(file: .init(symbol: symbol, kind: interval, name: name, source: source, rows: 0, first: nil, last: nil), notes: notes)
        }
        try await writer.write(folder: folder, name: name, data: data, entry: entry)
        return Outcome(file: .init(symbol: symbol, kind: interval, name: name, source: source, rows: rows.count,
                                   first: entry.first, last: entry.last), notes: notes)
    }

    /// Bars in `from..<to`: daily zips for whole days that ended before today (server time), then
    /// REST from the first day without a zip.
    private func days(symbol: String, interval: String, step: Int64, from: Int64, to: Int64) async throws -> ([KlineRow], String) {
        let day = UTCMonth.dayMilliseconds
        let today = (now / day) * day
        var starts: [Int64] = []
        var d = from
        while d + day <= min(to, today) { starts.append(d); d += day }
        var found: [Int64: [KlineRow]] = [:]
        try await withThrowingTaskGroup(of: (Int64, [KlineRow]?).self) { group in
            for start in starts {
                group.addTask {
                    let label = UTCMonth.dayLabel(start)
                    let path = "data/futures/um/daily/klines/\(symbol)/\(interval)/\(symbol)-\(interval)-\(label).zip"
                    guard let (csv, _) = try await self.verifiedArchive(path) else { return (start, nil) }
                    return (start, try ArchiveRows.klines(csv: csv, source: "\(self.archive)/\(path)").rows)
                }
            }
            for try await (start, rows) in group { if let rows { found[start] = rows } }
        }
        var rows: [KlineRow] = []
        var restFrom = from
        for start in starts {
            guard let dayRows = found[start] else { break }
            rows += dayRows
            restFrom = start + day
        }
        let daily = restFrom > from
        var usedRest = false
        if restFrom < to {
            let tail = try await restKlines(symbol: symbol, interval: interval, step: step, from: restFrom, through: to - 1)
            usedRest = true
            rows += tail
        }
        let source = daily && usedRest ? "daily-zip+rest" : daily ? "daily-zip" : "rest"
        return (ArchiveRows.normalized(rows).rows, source)
    }

    /// `/fapi/v1/klines` paged by time (1500 a page) over `from...through`, closed bars only,
    /// sorted and without duplicates. An empty page is asked once more before it ends the paging.
    private func restKlines(symbol: String, interval: String, step: Int64, from: Int64, through: Int64) async throws -> [KlineRow] {
        let byTime = try await pageByTime(
            from: from, through: through, pageSize: 1500, weight: 10,
            url: { "\(rest)/fapi/v1/klines?symbol=\(symbol)&interval=\(interval)&startTime=\($0)&endTime=\(through)&limit=1500" },
            parse: { try ArchiveRows.klines(json: $0, url: $1) }, time: \.openTime,
            keep: { max($0.closeTime, $0.openTime + step - 1) < now })
        return byTime.values.sorted { $0.openTime < $1.openTime }
    }

    /// Pages a REST endpoint by time over `from...through`, keeping each row in range (and passing
    /// `keep`) once, by its time. A short page ends the paging; an empty one is asked once more first.
    private func pageByTime<Row>(from: Int64, through: Int64, pageSize: Int, weight: Int, url makeURL: (Int64) -> String,
                                 parse: (Data, String) throws -> [Row], time: (Row) -> Int64,
                                 keep: (Row) -> Bool = { _ in true }) async throws -> [Int64: Row] {
        var byTime: [Int64: Row] = [:]
        var start = from
        var emptyRetried = false
        while start <= through {
            let url = makeURL(start)
            let response = try await client.get(url, weight: weight)
            tracker.received(bytes: response.body.count)
            guard response.status == 200 else { throw DownloadError.http(url: url, status: response.status, message: "not found") }
            let page = try parse(response.body, url)
            if page.isEmpty {
                if emptyRetried { break }
                emptyRetried = true
                continue
            }
            let kept = page.filter { time($0) >= start && time($0) <= through && keep($0) }
            for row in kept where byTime[time(row)] == nil { byTime[time(row)] = row }
            guard let last = kept.map(time).max(), page.count >= pageSize else { break }
            start = last + 1
        }
        return byTime
    }

    // MARK: Funding

    private func funding(_ unit: Unit) async throws -> Outcome {
        let symbol = unit.symbol
        let folder = writer.folder(symbol: symbol, kind: "funding")
        let name = "\(symbol)-fundingRate-\(unit.month.label).csv"
        if !unit.isCurrent, let entry = await writer.verified(folder: folder, name: name) {
            return Outcome(file: .init(symbol: symbol, kind: "funding", name: name, source: "skipped", rows: entry.rows,
                                       first: entry.first, last: entry.last))
        }
        var rows: [FundingRow]
        var source = "rest"
        var sha: String?
        if !unit.isCurrent, let (csv, zipSha) = try await verifiedArchive(
            "data/futures/um/monthly/fundingRate/\(symbol)/\(symbol)-fundingRate-\(unit.month.label).zip") {
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
            from: from, through: through, pageSize: 1000, weight: 1,
            url: { "\(rest)/fapi/v1/fundingRate?symbol=\(symbol)&startTime=\($0)&endTime=\(through)&limit=1000" },
            parse: { try ArchiveRows.funding(json: $0, url: $1) }, time: \.time).mapValues(\.rate)
        let times = byTime.keys.sorted()
        return times.enumerated().map { i, time in
            let spacing = i > 0 ? time - times[i - 1] : (times.count > 1 ? times[1] - times[0] : 8 * 3_600_000)
            let hours = max(1, Int((Double(spacing) / 3_600_000).rounded()))
            return FundingRow(time: time, intervalHours: hours, rate: byTime[time]!)
        }
    }

    // MARK: Archive

    /// The CSV inside `path`'s zip, checked against `path.CHECKSUM`; nil when either is 404.
    /// A mismatch or unreadable zip is refetched up to `retries` times, then thrown.
    private func verifiedArchive(_ path: String) async throws -> (csv: Data, sha256: String)? {
        let url = "\(archive)/\(path)"
        var attempt = 0
        while true {
            let sums = try await client.get(url + ".CHECKSUM", weight: 0)
            if sums.status == 404 { return nil }
            let zip = try await client.get(url, weight: 0)
            if zip.status == 404 { return nil }
            tracker.received(bytes: zip.body.count + sums.body.count)
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
            try await Task.sleep(nanoseconds: UInt64(client.backoff(attempt: attempt) * 1e9))
        }
    }
}
