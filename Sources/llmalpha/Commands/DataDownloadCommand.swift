import ArgumentParser
import Foundation
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting

/// `llmalpha data download`: Binance USD-M klines, funding, open interest and mark-price klines into
/// the store (DESIGN.md section 6).
///
/// A `ParsableCommand` (not `AsyncParsableCommand`): the root command runs subcommands through a
/// synchronous `run()`, so the async download runs in a `Task` this thread waits on.
struct DataDownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download Binance USD-M futures klines, funding, open interest and mark prices into the store.",
        discussion: reflow("""
            Complete months come from the public archive (monthly zips, sha256-checked), the current month from \
            daily zips, the tail from REST up to the exchange's last closed bar. "Now" is the exchange's clock. \
            Open interest (--oi) is the 5-minute metrics archive (daily zips) with REST openInterestHist for days \
            not archived yet (it reaches back 30 days); mark prices (--mark) are klines of the same intervals. \
            Finished months are recorded in manifest.json with their sha256 and skipped by a rerun; an interrupted \
            run leaves only complete files. Progress per symbol goes to stderr (redrawn on a terminal, one line per \
            finished file otherwise).

            Examples:
              llmalpha data download -s BTC,ETH -m 3 -i 1m,1h --funding --oi --mark
              llmalpha data download -s BTC --base-url http://127.0.0.1:8080  (a mirror)
            """))

    @Option(name: .shortAndLong, help: ArgumentHelp("Symbols, comma-separated; BTC means BTCUSDT.", valueName: "list"))
    var symbols: String = "BTCUSDT"

    @Option(name: .shortAndLong, help: "Complete months back from the exchange's current month (which is fetched too).")
    var months: Int = 3

    @Option(name: .shortAndLong, help: ArgumentHelp("Kline intervals, comma-separated.", valueName: "list"))
    var intervals: String = "1h"

    @Flag(help: "Also download funding settlements.")
    var funding = false

    @Flag(name: .customLong("oi"), help: "Also download 5-minute open interest into oi/ (metrics archive; REST for the last 30 days).")
    var openInterest = false

    @Flag(name: .customLong("mark"), help: "Also download mark-price klines of the same intervals into mark/<interval>/.")
    var markPrice = false

    @Option(help: ArgumentHelp("First month to fetch (the month containing this date): YYYY-MM-DD or ms; overrides -m.", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("Last month to fetch (the month containing this date), same forms.", valueName: "date"))
    var to: String?

    @Option(name: .customLong("base-url"),
            help: ArgumentHelp("One base URL for archive and REST paths, e.g. a mirror or test server. (env LLMALPHA_BINANCE_URL; "
                               + "default: data.binance.vision and fapi.binance.com)", valueName: "url"))
    var baseURL: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Store root. (default: data.dir, ./data; env LLMALPHA_DATA_DIR)", valueName: "dir"))
    var dataDirectory: String?

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 4

    @Option(help: ArgumentHelp("Seconds before a request times out.", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: "Retries per request after a 5xx, reset or timeout.")
    var retries: Int = 5

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        for interval in intervalList where Interval.milliseconds(interval) == nil {
            throw ValidationError("--intervals: '\(interval)' is not an interval like 1m, 5m, 1h, 4h or 1d")
        }
        guard !symbolList.isEmpty else { throw ValidationError("--symbols needs at least one symbol") }
        guard months >= 0 else { throw ValidationError("--months must be 0 or more") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let baseURL, !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) {
            throw ValidationError("--base-url must start with http:// or https://, got '\(baseURL)'")
        }
    }

    var symbolList: [String] {
        symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map(BarsRequest.normalizeSymbol)
    }

    var intervalList: [String] {
        intervals.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let paths = ProjectPaths()
        var configuration = try Configuration.load(projectFile: paths.defaultConfigFile, file: nil, environment: environment)
        if let dataDirectory { configuration.data.directory = dataDirectory }
        let store = MarketStore(root: paths.dataDirectory(configuration.data.directory))
        let base = baseURL ?? MissingData.exchangeURL
        let request = DownloadRequest(
            symbols: symbolList, intervals: intervalList, months: months, funding: funding, openInterest: openInterest,
            markPrice: markPrice,
            from: try from.map { text throws(DataError) in try TimeBound.parse(text, endOfDay: false) },
            to: try to.map { text throws(DataError) in try TimeBound.parse(text, endOfDay: true) })
        let downloader = BinanceDownloader(baseURL: base, store: store, concurrency: concurrency, timeout: timeout, retries: retries)
        let display = ProgressDisplay(enabled: !quiet, live: isatty(STDERR_FILENO) != 0)

        let outcome = Blocking.run { () async -> Result<DownloadSummary, DownloadError> in
            do throws(DownloadError) {
                return .success(try await downloader.download(request) { display.show($0) })
            } catch {
                return .failure(error)
            }
        }
        display.finish()
        switch outcome {
        case .success(let summary):
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let data = (try? encoder.encode(summary)) ?? Data("{}".utf8)
                Console.out(String(decoding: data, as: UTF8.self) + "\n")
            }
            if !quiet {
                Console.note("downloaded \(summary.written) file\(summary.written == 1 ? "" : "s"), skipped \(summary.skipped) verified, "
                             + "\(summary.requests) requests, \(summary.bytes / 1024) KiB, \(summary.retries) retries → \(store.root)")
            }
            for note in summary.notDone { Console.note("note: \(note)") }
        case .failure(let error):
            throw CommandFailure(status: error.isNetwork ? .networkError : .dataError, description: error.description)
        }
    }
}

/// Runs async work from a synchronous command and waits for it.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            box.value = await body()
            semaphore.signal()
        }
        semaphore.wait()
        return box.value!
    }

    /// Written by the task before `signal()`, read after `wait()`.
    private final class ResultBox<T>: @unchecked Sendable {
        var value: T?
    }
}

/// Download progress on stderr. On a TTY, a block of one line per symbol (files, bars done of
/// planned, bytes, ETA) redrawn in place with ANSI cursor moves, at most 10 times a second; waits
/// and retries print above it. Otherwise plain lines: the plan, each finished file, each finished
/// symbol, each wait.
final class ProgressDisplay: @unchecked Sendable {
    private let enabled: Bool
    private let live: Bool
    private let lock = NSLock()
    private var drawnLines = 0
    private var lastDraw = Date.distantPast
    private var latest: DownloadProgress?

    init(enabled: Bool, live: Bool) {
        self.enabled = enabled
        self.live = live
    }

    func show(_ progress: DownloadProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        guard live else {
            let lines = progress.plainLines()
            if !lines.isEmpty { write(lines.map { $0 + "\n" }.joined()) }
            return
        }
        latest = progress
        if case .waiting(let reason) = progress.event {
            write(erase() + reason + "\n" + block(progress))
            return
        }
        let finished = progress.doneFiles == progress.totalFiles
        if case .fileDone = progress.event, !finished, Date().timeIntervalSince(lastDraw) < 0.1 { return }
        write(erase() + block(progress))
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        // Leave the last state on screen: redraw it once more if a throttled update was skipped.
        if live, let latest { write(erase() + block(latest)) }
        drawnLines = 0
    }

    /// Moves up over the block drawn last and clears from there to the end of the screen.
    private func erase() -> String {
        guard drawnLines > 0 else { return "" }
        return "\u{1B}[\(drawnLines)A\r\u{1B}[J"
    }

    private func block(_ progress: DownloadProgress) -> String {
        let lines = progress.liveLines()
        drawnLines = lines.count
        lastDraw = Date()
        return lines.map { $0 + "\n" }.joined()
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
