public import Backtest
import Foundation
public import Knowledge
public import MarketData
public import Primitives
public import Scripting

/// One script evaluated on one slice of data: what it reported (`ScriptResult`), its factor's rank
/// IC, its signal report and the backtest of its signals with its `strategy{}` settings.
///
/// ```swift
/// let bars = try BarsRequest(symbol: "BTCUSDT", interval: "1h").load(from: store)
/// let run = try ScriptRun.execute(source: text, path: "examples/sma_cross.lua", data: PreparedBars(bars),
///                                 settings: EvaluationSettings()) { print($0, terminator: "") }
/// print(run.factorIC, run.metrics?.sharpe ?? .nan)
/// ```
///
/// `judged` narrows the reports to a window of the bars: the script still sees every bar of the
/// slice (the ones before the window warm its indicators up), while the factor IC, the signal
/// report and the backtest cover only the window.
public struct ScriptRun: Sendable {
    public let scriptPath: String
    public let data: PreparedBars
    /// The bars the reports cover (all of `data` unless a window was asked for).
    public let judged: Range<Int>
    public let result: ScriptResult
    /// Rank IC of the factor at each configured horizon; empty without `factor(d)`.
    public let factorIC: [FactorIC]
    /// The signal layer's report, when the script defines `signal(d, f)`.
    public let signalReport: SignalReport?
    /// The strategy layer: a backtest of the signals with the script's `strategy{}` settings.
    public let backtest: BacktestResult?
    public let metrics: BacktestMetrics?

    public var bars: Bars { data.bars }

    /// Everything the run reported in the ledger's flat form (``MetricSchema``), with the costs
    /// the backtest assumed: they are part of what was evaluated.
    public var ledgerMetrics: [String: Double] {
        var flat = MetricSchema.ledger(factor: factorIC, signal: signalReport, backtest: metrics)
        if let config = backtest?.config {
            flat["fee"] = config.fee
            flat["slippage"] = config.slippage
        }
        return flat
    }

    /// The furthest layer the run reached.
    public var stage: TrialStage {
        if metrics != nil { return .backtest }
        if signalReport != nil { return .signal }
        if !factorIC.isEmpty { return .factor }
        return .sandbox
    }

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

    /// Runs a script's text against prepared bars with the given limits and reports its layers.
    /// - Parameters:
    ///   - parameters: `param.*` values as text (`--param`, or an optimizer's choice).
    ///   - judged: the window the reports cover (all bars by default).
    ///   - scriptBacktests: whether the script may call `backtest{}` itself. Validation says no:
    ///     a script must not tune itself on the very bars it is judged on.
    ///   - factorReport: whether to compute the factor's rank IC (validation's trials need only
    ///     the backtest; its factor gate computes its own statistics once).
    ///   - adjustBacktest: applied to the `strategy{}` settings before the backtest (the CLI's
    ///     `--fees`, `--slippage`, `--fill`; validation's fills and cost floors).
    public static func execute(source: String, path: String, data: PreparedBars, settings: EvaluationSettings,
                               parameters: [String: String] = [:], runner: ScriptRunner? = nil, judged: Range<Int>? = nil,
                               scriptBacktests: Bool = true, factorReport: Bool = true,
                               adjustBacktest: @Sendable (inout BacktestConfig) -> Void = { _ in },
                               print: @escaping @Sendable (String) -> Void) throws(ScriptError) -> ScriptRun {
        let runner = runner ?? ScriptRunner(limits: settings.sandbox)
        let result = try runner.run(source: source, chunkName: path, data: data.table, parameters: parameters,
                                    extensions: (scriptBacktests ? [BacktestExtension.make(market: data.market)] : [])
                                        + MarketExtension.extensions(for: data.bars), print: print)
        return try analyze(result, path: path, data: data, settings: settings, judged: judged, factorReport: factorReport,
                           adjustBacktest: adjustBacktest)
    }

    /// The same over bars not yet prepared.
    public static func execute(source: String, path: String, bars: Bars, settings: EvaluationSettings,
                               parameters: [String: String] = [:], runner: ScriptRunner? = nil,
                               adjustBacktest: @Sendable (inout BacktestConfig) -> Void = { _ in },
                               print: @escaping @Sendable (String) -> Void) throws(ScriptError) -> ScriptRun {
        try execute(source: source, path: path, data: PreparedBars(bars), settings: settings, parameters: parameters,
                    runner: runner, adjustBacktest: adjustBacktest, print: print)
    }

    /// The strategy settings a script's `strategy{}` asks for, adjusted and checked.
    /// - Throws: ``ScriptError`` of kind `.contract` naming the bad value.
    public static func backtestConfig(_ result: ScriptResult, adjust: (inout BacktestConfig) -> Void = { _ in }) throws(ScriptError) -> BacktestConfig {
        do throws(BacktestError) {
            var config = try BacktestConfig(strategy: result.strategy)
            adjust(&config)
            try config.validate()
            return config
        } catch {
            throw ScriptError(kind: .contract, message: "strategy: \(error.message)")
        }
    }

    /// The reports of a finished script's layers over `judged`: factor IC, signal report,
    /// backtest. Used by ``execute(source:path:data:settings:parameters:runner:judged:scriptBacktests:factorReport:adjustBacktest:print:)``
    /// and by the REPL's `.load`.
    public static func analyze(_ result: ScriptResult, path: String, data: PreparedBars, settings: EvaluationSettings,
                               judged: Range<Int>? = nil, factorReport: Bool = true,
                               adjustBacktest: @Sendable (inout BacktestConfig) -> Void = { _ in }) throws(ScriptError) -> ScriptRun {
        let window = judged ?? 0..<data.count
        var ic: [FactorIC] = []
        if factorReport, let factor = result.factor {
            let inWindow = window.count == data.count ? factor : Array(factor[window])
            let close = window.count == data.count ? data.bars.close : Array(data.bars.close[window])
            ic = FactorIC.compute(factor: inWindow, close: close, horizons: settings.factorHorizons)
        }
        guard let signal = result.signal else {
            return ScriptRun(scriptPath: path, data: data, judged: window, result: result, factorIC: ic, signalReport: nil,
                             backtest: nil, metrics: nil)
        }
        let config = try backtestConfig(result, adjust: adjustBacktest)
        let masks = SignalMasks(signal)
        let report = SignalReport.compute(signals: masks, market: data.market, config: config, bars: window)
        let backtest: BacktestResult
        do {
            backtest = try Backtester.run(data.market, signals: masks, config: config, bars: window)
        } catch {
            throw ScriptError(kind: .contract, message: "backtest: \(error.message)")
        }
        return ScriptRun(scriptPath: path, data: data, judged: window, result: result, factorIC: ic, signalReport: report,
                         backtest: backtest, metrics: BacktestMetrics.compute(backtest))
    }
}

/// A script file that cannot be read; exit status 2.
public struct ScriptFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
