/// What `llmalpha data download` should fetch.
///
/// ```swift
/// let request = DownloadRequest(symbols: ["BTCUSDT"], intervals: ["1h"], months: 3, funding: true)
/// ```
package struct DownloadRequest: Sendable {
    /// Full Binance symbols (`BTCUSDT`).
    package var symbols: [String]
    /// Kline intervals (`1m`, `1h`, ...).
    package var intervals: [String]
    /// Complete months back from the exchange's current month (which is fetched too).
    package var months: Int
    /// Also fetch funding settlements.
    package var funding: Bool
    /// Also fetch open interest: the 5-minute `metrics` daily archive, and REST
    /// `/futures/data/openInterestHist` for days not archived yet (it serves only the last 30 days).
    package var openInterest: Bool
    /// Also fetch mark-price klines for every interval in `intervals`.
    package var markPrice: Bool
    /// Optional bounds in ms since 1970 UTC; whole months overlapping them are fetched.
    package var from: Double?
    package var to: Double?

    package init(symbols: [String], intervals: [String], months: Int, funding: Bool = false, openInterest: Bool = false,
                markPrice: Bool = false, from: Double? = nil, to: Double? = nil) {
        self.symbols = symbols
        self.intervals = intervals
        self.months = months
        self.funding = funding
        self.openInterest = openInterest
        self.markPrice = markPrice
        self.from = from
        self.to = to
    }
}

/// One step of a download, for a progress display: what happened, and where every symbol stands.
package struct DownloadProgress: Sendable {
    package enum Event: Sendable, Equatable {
        /// The plan is known: every symbol's files and expected bars.
        case planned
        /// A file was written (or found complete and skipped).
        /// - Parameters: `kind` is the store folder under the symbol (`1h`, `funding`, `oi`, `mark/1h`);
        ///   `source` as in ``DownloadSummary/File/source``.
        case fileDone(name: String, kind: String, rows: Int, source: String)
        /// A request is being retried or the client is waiting on the rate limit.
        case waiting(reason: String)
    }

    /// Where one symbol stands.
    package struct Symbol: Sendable, Equatable {
        package let symbol: String
        package var doneFiles = 0
        package var totalFiles = 0
        /// Bytes received over the network for this symbol so far.
        package var bytes = 0
        /// Bars (and funding, open-interest rows) in the files done so far.
        package var rows = 0
        /// Bars the plan expects over the whole span (an estimate: a symbol listed later has fewer).
        package var plannedRows = 0
        /// Planned bars of the files done so far: the measure of work the ETA uses.
        package var doneWork = 0
        /// Seconds from the start of the download to this symbol's last file; nil while unfinished.
        package var finishedAfter: Double?

        package init(symbol: String) { self.symbol = symbol }

        package var isFinished: Bool { totalFiles > 0 && doneFiles >= totalFiles }

        /// Seconds left for this symbol at its own pace so far; nil before its first file or once done.
        package func eta(elapsed: Double) -> Double? {
            guard doneWork > 0, plannedRows > doneWork, !isFinished else { return nil }
            return elapsed / Double(doneWork) * Double(plannedRows - doneWork)
        }
    }

    package let event: Event
    /// The symbol the event is about; empty for `planned` and `waiting`.
    package let symbol: String
    /// Every symbol of the request, in request order.
    package let symbols: [Symbol]
    /// Seconds since the download started.
    package let elapsed: Double

    package init(event: Event, symbol: String, symbols: [Symbol], elapsed: Double) {
        self.event = event
        self.symbol = symbol
        self.symbols = symbols
        self.elapsed = elapsed
    }

    package var doneFiles: Int { symbols.reduce(0) { $0 + $1.doneFiles } }
    package var totalFiles: Int { symbols.reduce(0) { $0 + $1.totalFiles } }
    package var bytes: Int { symbols.reduce(0) { $0 + $1.bytes } }
    package var rows: Int { symbols.reduce(0) { $0 + $1.rows } }
    package var plannedRows: Int { symbols.reduce(0) { $0 + $1.plannedRows } }

    /// Seconds left for the whole download, from the planned bars done so far; nil before the first file.
    package var eta: Double? {
        let work = symbols.reduce(0) { $0 + $1.doneWork }
        guard work > 0, plannedRows > work, doneFiles < totalFiles else { return nil }
        return elapsed / Double(work) * Double(plannedRows - work)
    }
}

/// What a download did, for the `--json` summary.
package struct DownloadSummary: Sendable, Codable {
    package struct File: Sendable, Codable {
        package let symbol: String
        /// The store folder under the symbol: `1h`, `funding`, `oi`, `mark/1h`.
        package let kind: String
        package let name: String
        /// `monthly-zip`, `daily-zip`, `daily-zip+rest`, `rest`, or `skipped` (verified by an earlier run).
        package let source: String
        package let rows: Int
        /// First and last time (ms) in the file; nil when it is empty.
        package let first: Double?
        package let last: Double?
    }
    /// The exchange's clock at the start (ms).
    package var serverTime: Double = 0
    package var files: [File] = []
    package var requests: Int = 0
    package var bytes: Int = 0
    package var retries: Int = 0
    /// Things asked for that were not done, each with why.
    package var notDone: [String] = []

    package var written: Int { files.filter { $0.source != "skipped" }.count }
    package var skipped: Int { files.filter { $0.source == "skipped" }.count }
}

/// Why a download failed; the description is the one line the CLI prints.
package enum DownloadError: Error, Sendable, CustomStringConvertible {
    /// HTTP 418: the exchange banned this IP for ignoring 429s. Every request stops.
    case banned(url: String, retryAfter: Double?)
    /// A request kept failing (5xx, reset, timeout) after all retries.
    case network(url: String, reason: String, attempts: Int)
    /// An HTTP status the client does not retry (4xx other than 404/408/429).
    case http(url: String, status: Int, message: String)
    /// An archive whose sha256 did not match its `.CHECKSUM`, even after refetching.
    case checksum(url: String, expected: String, actual: String)
    /// A body that is not what the wire format promises (bad zip, bad JSON, bad rows).
    case badData(url: String, reason: String)
    /// The store could not be written.
    case store(String)
    /// The request itself is wrong (unknown interval, no symbols).
    case invalidRequest(String)
    /// Several files failed; the first reason and how many.
    case incomplete(first: String, failed: Int, written: Int)

    package var description: String {
        switch self {
        case let .banned(url, retryAfter):
            let wait = retryAfter.map { " for \(Int($0)) s" } ?? ""
            return "Binance answered 418 (IP banned\(wait)) at \(url); stopped all requests (hint: wait, then rerun with a lower --concurrency)"
        case let .network(url, reason, attempts):
            return "\(url): \(reason) after \(attempts) attempts (hint: check the network or --base-url, then rerun; finished files are kept)"
        case let .http(url, status, message):
            return "\(url): HTTP \(status)\(message.isEmpty ? "" : ": \(message)")"
        case let .checksum(url, expected, actual):
            return "\(url): sha256 \(actual) does not match the .CHECKSUM \(expected) (hint: rerun; the file was not stored)"
        case let .badData(url, reason):
            return "\(url): \(reason)"
        case let .store(message):
            return message
        case let .invalidRequest(message):
            return message
        case let .incomplete(first, failed, written):
            return "\(failed) file\(failed == 1 ? "" : "s") failed (\(written) written, kept): \(first)"
        }
    }

    /// True for failures of the network or the exchange (exit status 5), false for local ones.
    package var isNetwork: Bool {
        switch self {
        case .store, .invalidRequest: return false
        default: return true
        }
    }
}
