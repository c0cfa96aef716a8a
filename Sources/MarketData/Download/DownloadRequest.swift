/// What `llmalpha data download` should fetch.
///
/// ```swift
/// let request = DownloadRequest(symbols: ["BTCUSDT"], intervals: ["1h"], months: 3, funding: true)
/// ```
public struct DownloadRequest: Sendable {
    /// Full Binance symbols (`BTCUSDT`).
    public var symbols: [String]
    /// Kline intervals (`1m`, `1h`, ...).
    public var intervals: [String]
    /// Complete months back from the exchange's current month (which is fetched too).
    public var months: Int
    /// Also fetch funding settlements.
    public var funding: Bool
    /// Also fetch open interest (not implemented yet: the summary says so).
    public var openInterest: Bool
    /// Also fetch mark-price klines (not implemented yet: the summary says so).
    public var markPrice: Bool
    /// Optional bounds in ms since 1970 UTC; whole months overlapping them are fetched.
    public var from: Double?
    public var to: Double?

    public init(symbols: [String], intervals: [String], months: Int, funding: Bool = false, openInterest: Bool = false,
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

/// One step of a download, for a progress display.
public struct DownloadProgress: Sendable {
    public enum Event: Sendable, Equatable {
        /// The plan is known: `totalFiles` files to produce.
        case planned
        /// A file was written (or found complete and skipped).
        case fileDone(name: String, skipped: Bool)
        /// A request is being retried or the client is waiting on the rate limit.
        case waiting(reason: String)
    }
    public let event: Event
    public let symbol: String
    public let doneFiles: Int
    public let totalFiles: Int
    /// Bytes received over the network so far.
    public let bytes: Int
    /// Bars (and funding rows) written so far.
    public let rows: Int
    /// Seconds since the download started.
    public let elapsed: Double

    /// Seconds left, estimated from the files done so far; nil before the first.
    public var eta: Double? {
        guard doneFiles > 0, totalFiles > doneFiles else { return nil }
        return elapsed / Double(doneFiles) * Double(totalFiles - doneFiles)
    }
}

/// What a download did, for the `--json` summary.
public struct DownloadSummary: Sendable, Codable {
    public struct File: Sendable, Codable {
        public let symbol: String
        /// `1h`, `funding`, ...
        public let kind: String
        public let name: String
        /// `monthly-zip`, `daily-zip+rest`, `rest`, or `skipped` (verified by an earlier run).
        public let source: String
        public let rows: Int
        /// First and last time (ms) in the file; nil when it is empty.
        public let first: Double?
        public let last: Double?
    }
    /// The exchange's clock at the start (ms).
    public var serverTime: Double = 0
    public var files: [File] = []
    public var requests: Int = 0
    public var bytes: Int = 0
    public var retries: Int = 0
    /// Things asked for that were not done, each with why.
    public var notDone: [String] = []

    public var written: Int { files.filter { $0.source != "skipped" }.count }
    public var skipped: Int { files.filter { $0.source == "skipped" }.count }
}

/// Why a download failed; the description is the one line the CLI prints.
public enum DownloadError: Error, Sendable, CustomStringConvertible {
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

    public var description: String {
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
    public var isNetwork: Bool {
        switch self {
        case .store, .invalidRequest: return false
        default: return true
        }
    }
}
