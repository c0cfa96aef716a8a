import ArgumentParser
import Foundation
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting

/// Which bars a command runs on; shared by every command that reads market data.
struct DataOptions: ParsableArguments {
    @Option(name: [.customShort("s"), .customLong("symbol"), .customLong("symbols")],
            help: ArgumentHelp("Symbol from the store; BTC means BTCUSDT. backtest run, validate and agent take several, comma-separated. (default: data.symbol, BTCUSDT)",
                               valueName: "BTC[,ETH]"))
    var symbol: String?

    @Option(name: .shortAndLong, help: "Bar interval in the store, e.g. 1h. (default: data.interval, 1h)")
    var interval: String?

    @Option(help: ArgumentHelp("Your own bars: a CSV with the header open_time,open,high,low,close,volume[,...] (open_time in ms UTC).",
                               valueName: "file.csv"),
            completion: .file(extensions: ["csv"]))
    var data: String?

    @Option(help: ArgumentHelp("First bar to use: YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC) or ms since 1970.", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("Last bar to use, same forms; a bare date includes that whole day.", valueName: "date"))
    var to: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Store root. (default: data.dir, ./data; env LLMALPHA_DATA_DIR)", valueName: "dir"))
    var dataDirectory: String?

    @Option(help: ArgumentHelp("A YAML file over configs/default.yaml; see that file for the keys.", valueName: "file.yaml"))
    var config: String?

    @Flag(name: .customLong("no-download"), help: "Never download missing data (by default 3 months are fetched from Binance).")
    var noDownload = false

    /// The layered configuration: project defaults, --config, environment.
    func loadConfiguration(paths: ProjectPaths) throws -> Configuration {
        var configuration = try Configuration.load(projectFile: paths.defaultConfigFile, file: config,
                                                   environment: ProcessInfo.processInfo.environment)
        if let dataDirectory { configuration.data.directory = dataDirectory }
        if let symbol { configuration.data.symbol = BarsRequest.normalizeSymbol(symbol) }
        if let interval { configuration.data.interval = interval }
        return configuration
    }

    /// The symbols asked for, normalized: `-s BTC,ETH`, else data.symbol.
    func symbols(_ configuration: Configuration) -> [String] {
        guard data == nil else { return [symbol.map(BarsRequest.normalizeSymbol) ?? "CSV"] }
        return (symbol ?? configuration.data.symbol).split(separator: ",").map { BarsRequest.normalizeSymbol(String($0)) }
    }

    /// --from and --to as ms, parsed.
    func bounds() throws -> (from: Double?, to: Double?) {
        (try from.map { text throws(DataError) in try TimeBound.parse(text, endOfDay: false) },
         try to.map { text throws(DataError) in try TimeBound.parse(text, endOfDay: true) })
    }

    /// Every stored bar of one symbol, --from/--to not applied: validation cuts its locked
    /// holdout from the whole series before the span is narrowed.
    func fullRequest(_ configuration: Configuration, symbol: String) -> BarsRequest {
        BarsRequest(symbol: symbol, interval: configuration.data.interval, file: data)
    }

    /// Refuses a list of symbols for the commands that run on one.
    func requireOneSymbol(_ command: String) throws {
        if let symbol, symbol.contains(",") {
            throw ValidationError("\(command) runs on one symbol; validate takes several (-s BTC,ETH), got '\(symbol)'")
        }
    }

    func request(_ configuration: Configuration) throws -> BarsRequest {
        let fromMs = try from.map { text throws(DataError) in try TimeBound.parse(text, endOfDay: false) }
        let toMs = try to.map { text throws(DataError) in try TimeBound.parse(text, endOfDay: true) }
        let symbol = BarsRequest.normalizeSymbol(configuration.data.symbol)
        return BarsRequest(symbol: data == nil ? symbol : (self.symbol.map(BarsRequest.normalizeSymbol) ?? "CSV"),
                           interval: configuration.data.interval, file: data, from: fromMs, to: toMs)
    }

    /// Loads the bars, downloading them first when the store lacks them (unless --no-download).
    func loadBars(_ request: BarsRequest, store: MarketStore) throws -> Bars {
        var bars = try MissingData.load(request, store: store, allowDownload: !noDownload)
        // market("ETH") in the script: the same store and interval, downloaded as these bars were.
        let (interval, allowDownload) = (bars.interval, !noDownload)
        bars.markets = MarketCatalog(interval: interval, timedLoad: { symbol, secondsLeft in
            try MissingData.load(BarsRequest(symbol: symbol, interval: interval), store: store, allowDownload: allowDownload,
                                 within: secondsLeft)
        })
        return bars
    }

    func validate() throws {
        if let interval, Interval.milliseconds(interval) == nil {
            throw ValidationError("--interval must look like 1m, 5m, 1h, 4h or 1d, got '\(interval)'")
        }
        if let from, let to, let start = try? TimeBound.parse(from, endOfDay: false), let end = try? TimeBound.parse(to, endOfDay: true),
           start > end {
            throw ValidationError("--from \(from) is after --to \(to)")
        }
    }
}

/// `--param name=value`, repeatable: one parser for every command that runs a script.
struct ParameterOptions: ParsableArguments {
    @Option(name: .customLong("param"), help: ArgumentHelp("Set a param.* value, e.g. --param lookback=96 (repeatable).", valueName: "name=value"))
    var parameters: [String] = []

    /// A malformed pair, or the same name twice (which of the two was meant?), is a usage error.
    func validate() throws {
        var seen: Set<String> = []
        for p in parameters {
            let parts = p.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--param must look like name=value, got '\(p)'")
            }
            guard seen.insert(String(parts[0])).inserted else { throw ValidationError("--param \(parts[0]) given twice") }
        }
    }

    /// The overrides by name.
    var overrides: [String: String] {
        Dictionary(parameters.map { p in
            let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts[1])
        }, uniquingKeysWith: { first, _ in first })
    }
}

/// Sandbox limits as flags; unset flags keep the configuration's values.
struct SandboxOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Wall-clock limit for the script, in seconds. (default: sandbox.timeout_seconds, 60)", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customLong("max-instructions"),
            help: ArgumentHelp("Lua instruction budget. (default: sandbox.max_instructions, 1e9)", valueName: "n"))
    var maxInstructions: Int64?

    @Option(name: .customLong("max-memory"), help: ArgumentHelp("Memory cap in MB, Series included. (default: sandbox.max_memory_mb, 2048)", valueName: "MB"))
    var maxMemory: Int?

    func apply(to configuration: inout Configuration) {
        if let timeout { configuration.sandbox.timeout = timeout }
        if let maxInstructions { configuration.sandbox.maxInstructions = maxInstructions }
        if let maxMemory { configuration.sandbox.maxMemoryBytes = maxMemory << 20 }
    }

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout.isFinite) { throw ValidationError("--timeout must be a positive number of seconds, got \(timeout)") }
        if let maxInstructions, maxInstructions <= 0 { throw ValidationError("--max-instructions must be positive, got \(maxInstructions)") }
        if let maxMemory, maxMemory <= 0 || maxMemory > 1 << 20 { throw ValidationError("--max-memory must be in 1...1048576 MB, got \(maxMemory)") }
    }
}

/// --json and friends, for every command.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout instead of the text report.")
    var json = false

    @Flag(name: .shortAndLong, help: "Also print Lua tracebacks and resource use.")
    var verbose = false
}

/// What commands do when the store lacks the bars they need: fetch three months with funding from
/// Binance (announced on stderr), then load again; without a network, say what is missing and the
/// command that gets it.
enum MissingData {
    /// - Parameter within: seconds the download may take (a script's market() call: what is left
    ///   of its wall-clock limit); nil: as long as it needs.
    static func load(_ request: BarsRequest, store: MarketStore, allowDownload: Bool, within: Double? = nil) throws -> Bars {
        let error: DataError
        do {
            return try request.load(from: store)
        } catch let failure {
            error = failure
        }
        guard let (symbol, interval) = error.missing, allowDownload, request.file == nil else { throw error }
        // A limit beyond a day is no limit (and would overflow a sleep).
        let within = within.flatMap { $0 < 86_400 ? $0 : nil }
        // Folders this download creates are removed again if it does not finish: a later run
        // would take a half-downloaded symbol (bars without funding) for a whole one.
        let fresh = [interval, "funding"].map { store.folder(symbol: symbol, dataset: $0) }
        let symbolFolder = (fresh[0] as NSString).deletingLastPathComponent
        let created = FileManager.default.fileExists(atPath: symbolFolder) ? fresh.filter { !FileManager.default.fileExists(atPath: $0) }
            : [symbolFolder]
        func discardPartial() { for folder in created { try? FileManager.default.removeItem(atPath: folder) } }
        Console.note("\(symbol) \(interval) is not in \(store.root): downloading 3 months with funding (--no-download forbids this)...")
            let downloader = BinanceDownloader(baseURL: exchangeURL, store: store, concurrency: 4, timeout: 30, retries: 1)
            let download = DownloadRequest(symbols: [symbol], intervals: [interval], months: 3, funding: true)
            let outcome = Blocking.run { () async -> DownloadError?? in
                await withTaskGroup(of: DownloadError??.self) { group in
                    group.addTask {
                        do throws(DownloadError) {
                            _ = try await downloader.download(download) { _ in }
                            return .some(nil)
                        } catch {
                            return .some(error)
                        }
                    }
                    if let within {
                        group.addTask {
                            try? await Task.sleep(for: .seconds(within))
                            return .none        // out of time: the download is cancelled below
                        }
                    }
                    let first = await group.next() ?? .none
                    group.cancelAll()
                    return first
                }
            }
            guard let finished = outcome else {
                discardPartial()
                let left = within ?? 0
                throw CatalogTimeout("\(error.message), and downloading it did not finish within the "
                                     + String(format: left < 10 ? "%.1f" : "%.0f", left) + " s the script had left of its time limit "
                                     + "(hint: llmalpha data download -s \(symbol) -i \(interval) -m 3 --funding first, or raise --timeout)")
            }
            if let failure = finished {
                discardPartial()
                throw CommandFailure(status: .dataError, description: "\(error.message), and downloading it failed: \(reason(failure))"
                                     + " (hint: run llmalpha data download -s \(symbol) -i \(interval) -m 3 --funding where Binance is reachable, "
                                     + "set LLMALPHA_BINANCE_URL to a mirror, or point --data-dir at a store that has it)")
            }
        return try request.load(from: store)
    }
}

extension MissingData {
    /// `LLMALPHA_BINANCE_URL` when set (a mirror; the tests' fake exchange), else Binance.
    static var exchangeURL: String? {
        ProcessInfo.processInfo.environment["LLMALPHA_BINANCE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A download error without its own hint, for a sentence that gives one of its own.
    static func reason(_ failure: DownloadError) -> String {
        failure.description.components(separatedBy: " (hint:").first ?? failure.description
    }

    /// Downloads funding or open interest for a symbol's bars from `from` to `to` (ms), with
    /// progress, for `agent research -c funding|open_interest` on a store that lacks it.
    static func download(_ column: String, symbol: String, from: Double, to: Double, store: MarketStore) throws {
        let openInterest = column == "open_interest"
        let what = openInterest ? "open interest (5-minute metrics, one archive file a day)" : "funding"
        Console.note("\(symbol) has no \(column) in \(store.root): downloading its \(what) over the bars' span "
                     + "(--no-download forbids this)...")
        let downloader = BinanceDownloader(baseURL: exchangeURL, store: store, concurrency: 4, timeout: 30, retries: 2)
        let request = DownloadRequest(symbols: [symbol], intervals: [], months: 0, funding: !openInterest, openInterest: openInterest,
                                      from: from, to: to)
        let display = ProgressDisplay(enabled: true, live: isatty(STDERR_FILENO) != 0)
        let outcome = Blocking.run { () async -> DownloadError? in
            do throws(DownloadError) {
                _ = try await downloader.download(request) { display.show($0) }
                return nil
            } catch {
                return error
            }
        }
        display.finish()
        if let failure = outcome {
            throw CommandFailure(status: failure.isNetwork ? .networkError : .dataError,
                                 description: "\(symbol) has no \(column), and downloading it failed: \(reason(failure)) (hint: run llmalpha data download "
                                    + "-s \(symbol) --\(openInterest ? "oi" : "funding") where Binance is reachable, or choose another -c)")
        }
    }
}

/// `--record` and `--kb` for the commands that can remember their runs in the knowledge base.
struct RecordOptions: ParsableArguments {
    @Flag(help: ArgumentHelp("Record in the knowledge base: the script as a hypothesis (saved as hypotheses/H0NN-<name>.lua, once per distinct script), each run as a trial with its numbers, or its error (backtest run: one trial per symbol)."))
    var record = false

    @Option(name: .customLong("kb"), help: ArgumentHelp("Knowledge base for --record: a SQLite file or a postgres:// URL. \(KnowledgeHelp.defaults)", valueName: "path|url"))
    var knowledgePath: String?

    /// The knowledge base to record into (created on first use), nil without --record. Opened
    /// before any work, so one that cannot be used stops the command first.
    func open(configuration: Configuration, paths: ProjectPaths) throws -> KnowledgeBase? {
        guard record else { return nil }
        return try KnowledgeLocation(configuration: configuration, paths: paths, override: knowledgePath).open(.write, create: true)
    }
}

/// Where `--kb` falls back to, said once for every command that takes it.
enum KnowledgeHelp {
    static let defaults = "(default: knowledge.url when set, else knowledge.path, data/knowledge.sqlite; env LLMALPHA_KNOWLEDGE_URL, "
        + "LLMALPHA_KNOWLEDGE_PATH)"

    /// ` --kb X` for a suggested command, or nothing without --kb; a URL loses its password
    /// (PGPASSWORD or the user's own URL supplies it), so none is ever printed.
    static func hint(_ path: String?) -> String {
        guard let path else { return "" }
        let shown = (try? PostgresLocation(url: path))?.withoutPassword ?? path
        return " --kb \(shown.contains(" ") ? "'\(shown)'" : shown)"
    }
}
