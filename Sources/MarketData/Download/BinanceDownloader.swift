import Foundation

/// Downloads Binance USD-M futures klines, funding, open interest and mark-price klines into a
/// ``MarketStore`` (DESIGN.md section 6).
///
/// For each symbol and interval, the months from `months` back to the exchange's current month:
/// complete months from the archive's monthly zips (sha256-checked against `.CHECKSUM`), the current
/// month (or a month whose zip is not published yet) from daily zips, and the tail since the last
/// archived day from REST `/fapi/v1/klines`, up to the last closed bar. "Now" is the exchange's clock
/// (`/fapi/v1/time`). Funding: monthly funding zips, REST `/fapi/v1/fundingRate` for the rest.
/// Mark-price klines: the same as klines from the `markPriceKlines` archive and `/fapi/v1/markPriceKlines`.
/// Open interest: the daily `metrics` zips (5-minute rows), and `/futures/data/openInterestHist`
/// (period 5m) for days not archived yet, as far back as its 30 days reach.
///
/// ```swift
/// let downloader = BinanceDownloader(baseURL: "http://127.0.0.1:8080", store: MarketStore(root: "data"))
/// let summary = try await downloader.download(DownloadRequest(symbols: ["BTCUSDT"], intervals: ["1h"], months: 3)) { print($0) }
/// ```
///
/// Files are written atomically and recorded in each folder's `manifest.json`; a rerun skips
/// complete, verified months. Requests honour the weight budget, `Retry-After` on 429, stop on 418,
/// and retry 5xx, resets and timeouts with exponential backoff and jitter.
package final class BinanceDownloader: Sendable {
    /// Archive host (`https://data.binance.vision`).
    package let archiveBaseURL: String
    /// REST host (`https://fapi.binance.com`).
    package let restBaseURL: String
    package let store: MarketStore
    package let concurrency: Int
    /// Seconds a request may take (connect, and between received bytes, and in all).
    package let timeout: Double
    /// Retries per request after a 5xx, reset or timeout, and refetches after a checksum mismatch.
    package let retries: Int
    /// First backoff delay in seconds; doubles each retry (with jitter), capped at 30 s.
    package let retryBaseDelay: Double

    package static let defaultArchiveURL = "https://data.binance.vision"
    package static let defaultRestURL = "https://fapi.binance.com"

    /// - Parameter baseURL: one base for both the archive and REST paths (a mirror, a test server);
    ///   nil for Binance's two hosts.
    package init(baseURL: String? = nil, store: MarketStore, concurrency: Int = 4, timeout: Double = 30, retries: Int = 5,
                retryBaseDelay: Double = 0.5) {
        let base = baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        archiveBaseURL = base ?? Self.defaultArchiveURL
        restBaseURL = base ?? Self.defaultRestURL
        self.store = store
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.retries = max(0, retries)
        self.retryBaseDelay = retryBaseDelay
    }

    /// Downloads what `request` asks for.
    /// - Parameter progress: called from any task after each file and wait.
    /// - Returns: what was written and skipped, request counts, and what was not done.
    /// - Throws: ``DownloadError``: 418 stops everything at once; other failures let the remaining
    ///   files finish (they stay stored) and then throw the first reason.
    package func download(_ request: DownloadRequest, progress: @escaping @Sendable (DownloadProgress) -> Void = { _ in })
        async throws(DownloadError) -> DownloadSummary {
        for interval in request.intervals where Interval.milliseconds(interval) == nil {
            throw .invalidRequest("unknown interval '\(interval)' (use 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w)")
        }
        guard !request.symbols.isEmpty else { throw .invalidRequest("no symbols to download") }
        guard request.months >= 0 else { throw .invalidRequest("months must be 0 or more") }
        let tracker = ProgressTracker(symbols: request.symbols, report: progress)
        let client = ExchangeClient(concurrency: concurrency, timeout: timeout, retries: retries, retryBaseDelay: retryBaseDelay) { reason in
            tracker.waiting(reason)
        }
        let result: Result<DownloadSummary, DownloadError>
        do {
            result = .success(try await run(request, client: client, tracker: tracker))
        } catch let error as DownloadError {
            result = .failure(error)
        } catch is CancellationError {
            result = .failure(.network(url: restBaseURL, reason: "cancelled", attempts: 0))
        } catch {
            result = .failure(.store(String(describing: error)))
        }
        await client.shutdown()
        return try result.get()
    }

    private func run(_ request: DownloadRequest, client: ExchangeClient, tracker: ProgressTracker) async throws -> DownloadSummary {
        let now = try await serverTime(client)
        var summary = DownloadSummary()
        summary.serverTime = Double(now)
        let job = DownloadJob(archive: archiveBaseURL, rest: restBaseURL, now: now, client: client,
                              writer: StoreWriter(root: store.root), tracker: tracker, retries: retries)
        let units = plan(request, now: now)
        tracker.planned(units)

        var failures: [DownloadError] = []
        try await withThrowingTaskGroup(of: (DownloadJob.Unit, Result<DownloadJob.Outcome, DownloadError>).self) { group in
            var pending = units.makeIterator()
            func startNext() {
                guard let unit = pending.next() else { return }
                group.addTask {
                    do { return (unit, .success(try await job.run(unit))) }
                    catch let error as DownloadError { return (unit, .failure(error)) }
                    catch is CancellationError { throw CancellationError() }
                    catch { return (unit, .failure(.store(String(describing: error)))) }
                }
            }
            for _ in 0..<concurrency { startNext() }
            while let (unit, result) = try await group.next() {
                switch result {
                case .success(let outcome):
                    summary.files.append(outcome.file)
                    summary.notDone += outcome.notes
                    tracker.fileDone(unit, file: outcome.file)
                case .failure(let error):
                    if case .banned = error {
                        group.cancelAll()
                        throw error
                    }
                    failures.append(error)
                }
                startNext()
            }
        }
        summary.files.sort { ($0.symbol, $0.kind, $0.name) < ($1.symbol, $1.kind, $1.name) }
        let counters = client.counters
        summary.requests = await counters.requests
        summary.bytes = await counters.bytes
        summary.retries = await counters.retries
        if let first = failures.first {
            throw failures.count == 1 && summary.written == 0 && summary.skipped == 0
                ? first : DownloadError.incomplete(first: first.description, failed: failures.count, written: summary.written)
        }
        return summary
    }

    private func serverTime(_ client: ExchangeClient) async throws -> Int64 {
        let url = "\(restBaseURL)/fapi/v1/time"
        let response = try await client.get(url, weight: 1)
        guard response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let time = (object["serverTime"] as? NSNumber)?.int64Value else {
            throw DownloadError.badData(url: url, reason: "expected {\"serverTime\": <ms>} (HTTP \(response.status))")
        }
        return time
    }

    /// Months from `request.months` back (or `from`) to the month of `to` (or now), per symbol and
    /// interval, oldest first; funding, open-interest and mark-price months likewise.
    func plan(_ request: DownloadRequest, now: Int64) -> [DownloadJob.Unit] {
        let current = UTCMonth(containing: now)
        var first = current
        for _ in 0..<request.months { first = first.previous }
        if let from = request.from { first = UTCMonth(containing: Int64(from)) }
        var last = current
        if let to = request.to, Int64(to) < now { last = UTCMonth(containing: Int64(to)) }
        var months: [UTCMonth] = []
        var month = first
        while month <= last { months.append(month); month = month.next }
        var units: [DownloadJob.Unit] = []
        func add(_ symbol: String, _ kind: DownloadJob.Kind) {
            for month in months {
                units.append(.init(symbol: symbol, kind: kind, month: month, isCurrent: month == current, now: now))
            }
        }
        for symbol in request.symbols {
            for interval in request.intervals { add(symbol, .klines(interval)) }
            if request.funding { add(symbol, .funding) }
            if request.openInterest { add(symbol, .openInterest) }
            if request.markPrice { for interval in request.intervals { add(symbol, .markKlines(interval)) } }
        }
        return units
    }
}

/// Counts files, bars and bytes per symbol for the progress callback.
final class ProgressTracker: Sendable {
    private let state: Mutex<[DownloadProgress.Symbol]>
    private let started = Date()
    private let report: @Sendable (DownloadProgress) -> Void

    init(symbols: [String], report: @escaping @Sendable (DownloadProgress) -> Void) {
        state = Mutex(symbols.map { DownloadProgress.Symbol(symbol: $0) })
        self.report = report
    }

    var elapsed: Double { Date().timeIntervalSince(started) }

    func planned(_ units: [DownloadJob.Unit]) {
        let s = state.withLock { symbols in
            for unit in units {
                guard let i = symbols.firstIndex(where: { $0.symbol == unit.symbol }) else { continue }
                symbols[i].totalFiles += 1
                symbols[i].plannedRows += unit.plannedRows
            }
            return symbols
        }
        report(DownloadProgress(event: .planned, symbol: "", symbols: s, elapsed: elapsed))
    }

    func fileDone(_ unit: DownloadJob.Unit, file: DownloadSummary.File) {
        let elapsed = self.elapsed
        let s = state.withLock { symbols in
            if let i = symbols.firstIndex(where: { $0.symbol == unit.symbol }) {
                symbols[i].doneFiles += 1
                symbols[i].rows += file.rows
                symbols[i].doneWork += unit.plannedRows
                if symbols[i].isFinished { symbols[i].finishedAfter = elapsed }
            }
            return symbols
        }
        report(DownloadProgress(event: .fileDone(name: file.name, kind: file.kind, rows: file.rows, source: file.source),
                                symbol: unit.symbol, symbols: s, elapsed: elapsed))
    }

    func received(symbol: String, bytes: Int) {
        state.withLock { symbols in
            if let i = symbols.firstIndex(where: { $0.symbol == symbol }) { symbols[i].bytes += bytes }
        }
    }

    func waiting(_ reason: String) {
        report(DownloadProgress(event: .waiting(reason: reason), symbol: "", symbols: state.withLock { $0 }, elapsed: elapsed))
    }
}

/// A lock around a value (Synchronization's `Mutex` needs macOS 15; this works on the package's macOS 14).
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
