import Foundation

/// Downloads Binance USD-M futures klines and funding into a ``MarketStore`` (DESIGN.md section 6).
///
/// For each symbol and interval, the months from `months` back to the exchange's current month:
/// complete months from the archive's monthly zips (sha256-checked against `.CHECKSUM`), the current
/// month (or a month whose zip is not published yet) from daily zips, and the tail since the last
/// archived day from REST `/fapi/v1/klines`, up to the last closed bar. "Now" is the exchange's clock
/// (`/fapi/v1/time`). Funding: monthly funding zips, REST `/fapi/v1/fundingRate` for the rest.
///
/// ```swift
/// let downloader = BinanceDownloader(baseURL: "http://127.0.0.1:8080", store: MarketStore(root: "data"))
/// let summary = try await downloader.download(DownloadRequest(symbols: ["BTCUSDT"], intervals: ["1h"], months: 3)) { print($0) }
/// ```
///
/// Files are written atomically and recorded in each folder's `manifest.json`; a rerun skips
/// complete, verified months. Requests honour the weight budget, `Retry-After` on 429, stop on 418,
/// and retry 5xx, resets and timeouts with exponential backoff and jitter.
public final class BinanceDownloader: Sendable {
    /// Archive host (`https://data.binance.vision`).
    public let archiveBaseURL: String
    /// REST host (`https://fapi.binance.com`).
    public let restBaseURL: String
    public let store: MarketStore
    public let concurrency: Int
    /// Seconds a request may take (connect, and between received bytes, and in all).
    public let timeout: Double
    /// Retries per request after a 5xx, reset or timeout, and refetches after a checksum mismatch.
    public let retries: Int
    /// First backoff delay in seconds; doubles each retry (with jitter), capped at 30 s.
    public let retryBaseDelay: Double

    public static let defaultArchiveURL = "https://data.binance.vision"
    public static let defaultRestURL = "https://fapi.binance.com"

    /// - Parameter baseURL: one base for both the archive and REST paths (a mirror, a test server);
    ///   nil for Binance's two hosts.
    public init(baseURL: String? = nil, store: MarketStore, concurrency: Int = 4, timeout: Double = 30, retries: Int = 5,
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
    public func download(_ request: DownloadRequest, progress: @escaping @Sendable (DownloadProgress) -> Void = { _ in })
        async throws(DownloadError) -> DownloadSummary {
        for interval in request.intervals where Interval.milliseconds(interval) == nil {
            throw .invalidRequest("unknown interval '\(interval)' (use 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w)")
        }
        guard !request.symbols.isEmpty else { throw .invalidRequest("no symbols to download") }
        guard request.months >= 0 else { throw .invalidRequest("months must be 0 or more") }
        let tracker = ProgressTracker(report: progress)
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
        if request.openInterest { summary.notDone.append("open interest (--oi) is not implemented yet") }
        if request.markPrice { summary.notDone.append("mark-price klines (--mark) are not implemented yet") }
        tracker.planned(total: units.count)

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
                    tracker.fileDone(symbol: unit.symbol, name: outcome.file.name, rows: outcome.file.rows,
                                     skipped: outcome.file.source == "skipped")
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
    /// interval, oldest first; funding months likewise.
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
        for symbol in request.symbols {
            for interval in request.intervals {
                for month in months { units.append(.init(symbol: symbol, kind: .klines(interval), month: month, isCurrent: month == current)) }
            }
            if request.funding {
                for month in months { units.append(.init(symbol: symbol, kind: .funding, month: month, isCurrent: month == current)) }
            }
        }
        return units
    }
}

/// Counts files and rows for the progress callback.
final class ProgressTracker: Sendable {
    private struct State { var done = 0, total = 0, rows = 0, bytes = 0 }
    private let state = Mutex(State())
    private let started = Date()
    private let report: @Sendable (DownloadProgress) -> Void

    init(report: @escaping @Sendable (DownloadProgress) -> Void) { self.report = report }

    func planned(total: Int) {
        let s = state.withLock { $0.total = total; return $0 }
        emit(.planned, symbol: "", s)
    }

    func fileDone(symbol: String, name: String, rows: Int, skipped: Bool) {
        let s = state.withLock { $0.done += 1; $0.rows += rows; return $0 }
        emit(.fileDone(name: name, skipped: skipped), symbol: symbol, s)
    }

    func received(bytes: Int) { state.withLock { $0.bytes += bytes } }

    func waiting(_ reason: String) {
        emit(.waiting(reason: reason), symbol: "", state.withLock { $0 })
    }

    private func emit(_ event: DownloadProgress.Event, symbol: String, _ s: State) {
        report(DownloadProgress(event: event, symbol: symbol, doneFiles: s.done, totalFiles: s.total, bytes: s.bytes, rows: s.rows,
                                elapsed: Date().timeIntervalSince(started)))
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
