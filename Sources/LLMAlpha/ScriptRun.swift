import Backtest
import Foundation

/// One `llmalpha run`: a script over loaded bars, and everything it reported.
///
/// ```swift
/// let bars = try BarsRequest(symbol: "BTCUSDT", interval: "1h").load(from: store)
/// let run = try ScriptRun.execute(path: "examples/sma_cross.lua", bars: bars, configuration: .defaults) { print($0, terminator: "") }
/// print(run.factorIC)
/// ```
public struct ScriptRun: Sendable {
    public let scriptPath: String
    public let bars: Bars
    public let result: ScriptResult
    /// Rank IC of the factor at each configured horizon; empty without `factor(d)`.
    public let factorIC: [FactorIC]
    /// The signal layer's report, when the script defines `signal(d, f)`.
    public let signalReport: SignalReport?
    /// The strategy layer: a backtest of the signals with the script's `strategy{}` settings.
    public let backtest: BacktestResult?
    public let metrics: BacktestMetrics?

    /// Largest script accepted, far above any real hypothesis; bigger files are refused before parsing.
    public static let maximumScriptBytes = 4 << 20

    /// Reads a script file.
    /// - Throws: ``ScriptFileError`` when it is missing, unreadable, too large or not UTF-8 text.
    public static func readScript(at path: String) throws(ScriptFileError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ScriptFileError(path: path, message: "no such script")
        }
        guard !isDirectory.boolValue else { throw ScriptFileError(path: path, message: "is a directory, not a script") }
        guard let data = FileManager.default.contents(atPath: path) else { throw ScriptFileError(path: path, message: "cannot read the file") }
        guard data.count <= maximumScriptBytes else {
            throw ScriptFileError(path: path, message: "script is \(data.count >> 20) MB, over the \(maximumScriptBytes >> 20) MB limit")
        }
        if data.first == 0x1B { throw ScriptFileError(path: path, message: "binary (precompiled) chunks are not accepted; pass Lua source") }
        guard let text = String(data: data, encoding: .utf8) else { throw ScriptFileError(path: path, message: "not UTF-8 text") }
        return text
    }

    /// Runs a script's text against the bars with the configured limits.
    /// - Parameter adjustBacktest: applied to the `strategy{}` settings before the backtest (the
    ///   CLI's `--fees`, `--slippage`, `--fill`).
    public static func execute(source: String, path: String, bars: Bars, configuration: Configuration,
                               parameters: [String: String] = [:], runner: ScriptRunner? = nil,
                               adjustBacktest: @Sendable (inout BacktestConfig) -> Void = { _ in },
                               print: @escaping @Sendable (String) -> Void) throws(ScriptError) -> ScriptRun {
        let runner = runner ?? ScriptRunner(limits: configuration.sandbox)
        let result = try runner.run(source: source, chunkName: path, data: DataTable(bars: bars), parameters: parameters,
                                    extensions: [BacktestExtension.make(bars: bars)], print: print)
        return try analyze(result, path: path, bars: bars, configuration: configuration, adjustBacktest: adjustBacktest)
    }

    /// The reports of a finished script's layers: factor IC, signal report, backtest. Used by
    /// ``execute(source:path:bars:configuration:parameters:runner:adjustBacktest:print:)`` and by
    /// the REPL's `.load`.
    public static func analyze(_ result: ScriptResult, path: String, bars: Bars, configuration: Configuration,
                               adjustBacktest: @Sendable (inout BacktestConfig) -> Void = { _ in }) throws(ScriptError) -> ScriptRun {
        var ic: [FactorIC] = []
        if let factor = result.factor {
            ic = FactorIC.compute(factor: factor, close: bars.close, horizons: configuration.factorHorizons)
        }
        guard let signal = result.signal else {
            return ScriptRun(scriptPath: path, bars: bars, result: result, factorIC: ic, signalReport: nil, backtest: nil, metrics: nil)
        }
        var config: BacktestConfig
        do {
            config = try BacktestConfig(strategy: result.strategy)
            adjustBacktest(&config)
            try config.validate()
        } catch {
            throw ScriptError(kind: .contract, message: "strategy: \(error.message)")
        }
        let masks = signal.resolved
        let report = SignalReport.compute(longEntries: masks.entries, shortEntries: masks.shortEntries, open: bars.open,
                                          close: bars.close, horizon: config.maxHold ?? 24,
                                          roundTripCost: 2 * (config.fee + config.slippage))
        let backtest: BacktestResult
        do {
            backtest = try Backtester.run(MarketColumns(bars: bars), signals: SignalMasks(
                entries: masks.entries, exits: masks.exits, shortEntries: masks.shortEntries, shortExits: masks.shortExits),
                config: config)
        } catch {
            throw ScriptError(kind: .contract, message: "backtest: \(error.message)")
        }
        return ScriptRun(scriptPath: path, bars: bars, result: result, factorIC: ic, signalReport: report, backtest: backtest,
                         metrics: BacktestMetrics.compute(backtest))
    }
}

/// A script file that cannot be read; exit status 2.
public struct ScriptFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
