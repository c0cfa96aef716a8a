import ArgumentParser
import Dispatch
import Foundation
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting
import Validation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script in the sandbox and print what it reports.",
        discussion: reflow("""
            A plain script just runs: print() goes to stdout, output{ name = series, ... } exports columns
            for --output. A hypothesis script (hypothesis{}, param.*, function factor(d)) also gets its
            factor report: the rank IC of factor(d) against forward returns at 1, 4 and 24 bars, with
            t-statistics counting only non-overlapping returns.

            Examples:
              llmalpha run examples/rsi_reversion.lua
              llmalpha run strategies/funding_fade.lua --symbol ETH --param lookback=96
              llmalpha run examples/indicators.lua --from 2024-01-01 --output x.csv
              llmalpha run my.lua --data my-bars.csv --timeout 5 --json
              llmalpha run my.lua --record       remember it: kb show, kb search, kb stats

            Exit status: 0 ok, 1 script error, 2 usage or config, 3 resource limit (time, instructions,
            memory, output), 4 data error, 130 interrupted (Ctrl-C).
            """))

    @Argument(help: ArgumentHelp("The Lua script.", valueName: "script.lua"), completion: .file(extensions: ["lua"]))
    var script: String

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var sandboxOptions: SandboxOptions

    @OptionGroup var parameterOptions: ParameterOptions

    @Option(help: ArgumentHelp("Write the output{} columns as CSV: open_time first, NaN as an empty field.", valueName: "file.csv"))
    var output: String?

    @OptionGroup var recording: RecordOptions

    @Flag(name: .customLong("validate"), help: "Judge the script instead: the same as llmalpha validate SCRIPT --mode quick (recorded unless --no-record).")
    var validateScript = false

    @Flag(name: .customLong("no-record"), help: "With --validate: record nothing.")
    var noRecord = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        if validateScript {
            if !parameterOptions.parameters.isEmpty { throw ValidationError("--validate judges the declared ranges; drop --param") }
            if output != nil { throw ValidationError("--validate writes no --output columns") }
            if recording.record { throw ValidationError("--validate records by default; drop --record (or add --no-record)") }
            return
        }
        if noRecord { throw ValidationError("--no-record only applies with --validate") }
        if recording.knowledgePath != nil && !recording.record { throw ValidationError("--kb only applies with --record or --validate") }
        try dataOptions.requireOneSymbol("run")
    }

    func run() throws {
        if validateScript {
            let options = try ValidationOptions.parse((noRecord ? ["--no-record"] : [])
                                                      + (recording.knowledgePath.map { ["--kb", $0] } ?? []))
            try ValidationRun(script: script, dataOptions: dataOptions, validation: options, sandbox: sandboxOptions,
                              output: outputOptions, mode: .quick).perform()
            return
        }
        let paths = ProjectPaths()
        var configuration = try dataOptions.loadConfiguration(paths: paths)
        sandboxOptions.apply(to: &configuration)
        let overrides = parameterOptions.overrides
        let source = try ScriptRun.readScript(at: script)
        let store = MarketStore(root: paths.dataDirectory(configuration.data.directory))
        let bars = try dataOptions.loadBars(dataOptions.request(configuration), store: store)

        let knowledge = try recording.open(configuration: configuration, paths: paths)
        let printed = PrintBuffer(capture: outputOptions.json)
        let runner = ScriptRunner(limits: configuration.sandbox)
        let interrupt = InterruptHandler { runner.interrupt() }
        defer { interrupt.cancel() }

        let started = Date()
        let run: ScriptRun
        do {
            run = try ScriptRun.execute(source: source, path: script, bars: bars, settings: configuration.evaluation,
                                        parameters: overrides, runner: runner) { printed.write($0) }
        } catch {
            let receipt = Self.recordFailure(error, source: source, path: script, bars: bars, parameters: overrides,
                                             startedAt: started, into: knowledge)
            // The one-line error first, then the script's call chain (all of it under --verbose).
            Console.error(error.description)
            if let traceback = error.traceback {
                if outputOptions.verbose {
                    Console.note(traceback)
                } else if let short = RunReport.scriptFrames(traceback, script: script) {
                    Console.note(short)
                }
            }
            if let receipt { Console.note(Self.recordedLine(receipt, knowledge!)) }
            if outputOptions.json {
                Console.out(Self.withReceipt(RunReport.json(script: script, bars: bars, run: nil, error: error, printed: printed.text,
                                                            outputFile: nil), receipt).rendered + "\n")
            }
            throw CommandFailure(status: ExitStatus(rawValue: error.exitCode) ?? .scriptError, description: "")
        }
        var written: String? = nil
        if let output {
            if run.result.outputs.isEmpty {
                Console.note("warning: --output \(output): the script called no output{}, writing open_time only")
            }
            try OutputTable.write(OutputTable.csv(time: bars.time, columns: run.result.outputs), to: output)
            written = output
        }
        var receipt: TrialRecording.Receipt? = nil
        if let knowledge {
            receipt = try TrialRecording.record(source: source, path: script, bars: bars, run: run, error: nil, parameters: overrides,
                                                startedAt: started, seconds: run.result.usage.seconds, into: knowledge)
            if let ignored = receipt?.ignoredParent {
                Console.note("note: parent '\(ignored)' is not a hypothesis in \(knowledge.path); recorded without lineage")
            }
        }
        if outputOptions.json {
            Console.out(Self.withReceipt(RunReport.json(script: script, bars: bars, run: run, error: nil, printed: printed.text,
                                                        outputFile: written), receipt).rendered + "\n")
            if let receipt { Console.note(Self.recordedLine(receipt, knowledge!)) }
        } else {
            Console.out(RunReport.text(run: run, outputFile: written))
            if outputOptions.verbose {
                let u = run.result.usage
                Console.note(String(format: "run: %.3f s, %lld instructions, peak memory %.1f MB", u.seconds, u.instructions,
                                    Double(u.peakMemoryBytes) / 1_048_576))
            }
            if let receipt { Console.note(Self.recordedLine(receipt, knowledge!)) }
        }
    }
}

extension RunCommand {
    /// Records a failed run, as `run` and `backtest run` do under --record: a failed hypothesis is
    /// knowledge too, but an interrupted or misused run is not a trial. Never throws: the script's
    /// own error is the one to exit with, so a recording failure is only a warning.
    static func recordFailure(_ error: ScriptError, source: String, path: String, bars: Bars, parameters: [String: String],
                              startedAt: Date, into knowledge: KnowledgeBase?) -> TrialRecording.Receipt? {
        guard let knowledge, error.kind != .usage, error.kind != .resourceLimit(.interrupt) else { return nil }
        do {
            return try TrialRecording.record(source: source, path: path, bars: bars, run: nil, error: error, parameters: parameters,
                                             startedAt: startedAt, seconds: Date().timeIntervalSince(startedAt), into: knowledge)
        } catch {
            Console.note("warning: the failed run was not recorded: \(error.description)")
            return nil
        }
    }

    static func recordedLine(_ receipt: TrialRecording.Receipt, _ kb: KnowledgeBase) -> String {
        "recorded trial \(receipt.trial) of \(receipt.hypothesis.id) (\(receipt.hypothesis.scriptPath)) in \(kb.path)"
    }

    /// The run's JSON document with a `recorded` field when --record wrote to the knowledge base.
    static func withReceipt(_ document: JSONValue, _ receipt: TrialRecording.Receipt?) -> JSONValue {
        guard let receipt, case .object(var fields) = document else { return document }
        fields.append(("recorded", .object([("hypothesis", .string(receipt.hypothesis.id)),
                                            ("trial", .number(Double(receipt.trial))),
                                            ("script", .string(receipt.hypothesis.scriptPath))])))
        return .object(fields)
    }
}

/// Script output: straight to stdout, or kept for the JSON document under --json.
final class PrintBuffer: @unchecked Sendable {
    // @unchecked Sendable: written only from the VM thread while the main thread waits for it.
    private let capture: Bool
    private(set) var text = ""

    init(capture: Bool) { self.capture = capture }

    func write(_ chunk: String) {
        if capture { text += chunk } else { Console.out(chunk) }
    }
}

/// Turns Ctrl-C into a sandbox interrupt (the script stops at its next instruction check and the
/// command exits 130); a second Ctrl-C ends the process at once.
final class InterruptHandler {
    private let source: any DispatchSourceSignal

    /// - Parameter repeatExits: a second Ctrl-C ends the process (`run`); the REPL keeps going.
    init(repeatExits: Bool = true, _ onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let pressed = PressCounter()
        source.setEventHandler {
            if repeatExits, pressed.increment() > 1 { Foundation.exit(ExitStatus.interrupted.rawValue) }
            onInterrupt()
        }
        source.resume()
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

private final class PressCounter: @unchecked Sendable {
    // @unchecked Sendable: touched only from the signal source's handler, which runs serially.
    private var count = 0
    func increment() -> Int { count += 1; return count }
}

/// The text and JSON renderings of a run.
enum RunReport {
    static func text(run: ScriptRun, outputFile: String?) -> String {
        let result = run.result
        let isHypothesis = result.hypothesis != nil || result.factor != nil || !result.parameters.isEmpty
        var lines: [String] = []
        if isHypothesis || outputFile != nil { lines.append(dataLine(run.bars)) }
        if let h = result.hypothesis {
            lines.append("hypothesis  \(h.name)" + (h.timeframe.map { "  [\($0)]" } ?? ""))
            if let r = h.rationale { lines.append("            \(r)") }
            if !h.tags.isEmpty { lines.append("tags        \(h.tags.joined(separator: ", "))") }
        }
        if !result.parameters.isEmpty {
            let items = result.parameters.map { p -> String in
                let range: String
                switch p.kind {
                case .bool: range = ""
                case .choice: range = " {\(p.choices.map(\.text).joined(separator: "|"))}"
                case .int, .float:
                    range = " (\(OutputTable.shortest(p.minimum))..\(OutputTable.shortest(p.maximum))\(p.scale == .log ? ", log" : ""))"
                }
                return "\(p.name)=\(p.valueText)\(p.overridden ? "*" : "")\(range)"
            }
            lines.append("params      \(items.joined(separator: ", "))" + (result.parameters.contains { $0.overridden } ? "   (* set by --param)" : ""))
        }
        if !run.factorIC.isEmpty {
            lines.append("")
            lines.append("factor      rank IC against forward returns (Spearman; t on non-overlapping returns)")
            lines.append("  horizon        IC        t       n")
            for ic in run.factorIC {
                lines.append(String(format: "  %4d bar%@  %+8.4f  %+7.2f  %6d", ic.horizon, ic.horizon == 1 ? " " : "s",
                                    ic.ic, ic.tStatistic, ic.observations).replacingOccurrences(of: "nan", with: "  — "))
            }
            let nanShare = result.factor.map { f in Double(f.filter(\.isNaN).count) / Double(max(f.count, 1)) } ?? 0
            if nanShare > 0.5 { lines.append(String(format: "  note: the factor is NaN on %.0f%% of bars", nanShare * 100)) }
        } else if isHypothesis, result.factor == nil {
            lines.append("factor      none (define function factor(d) to get its rank IC)")
        }
        if let report = run.signalReport { lines += [""] + signalLines(report) }
        if let metrics = run.metrics, let backtest = run.backtest { lines += [""] + backtestLines(metrics, backtest.config) }
        if let outputFile {
            lines.append("output      \(result.outputs.count) column\(result.outputs.count == 1 ? "" : "s") (\(result.outputs.map(\.name).joined(separator: ", "))) -> \(outputFile)")
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    static func percent(_ x: Double, digits: Int = 1, sign: Bool = true) -> String {
        guard x.isFinite else { return x.isNaN ? "—" : (x > 0 ? "inf" : "-inf") }
        return String(format: sign ? "%+.\(digits)f%%" : "%.\(digits)f%%", x * 100)
    }

    static func number(_ x: Double, digits: Int = 2) -> String {
        guard x.isFinite else { return x.isNaN ? "—" : (x > 0 ? "inf" : "-inf") }
        return String(format: "%.\(digits)f", x)
    }

    static func signalLines(_ r: SignalReport) -> [String] {
        var lines = ["signal      \(r.signals) signals (\(number(r.perThousandBars, digits: 1)) per 1000 bars; \(r.longSignals) long, \(r.shortSignals) short)"]
        guard r.signals > 0 else { return lines + ["            no entries: the masks are never true"] }
        lines.append("            held to the exit signal or max_hold (\(number(r.averageBarsHeld, digits: 1)) bars on average), after costs and funding:")
        lines.append("            win rate \(percent(r.winRate, sign: false)), profit factor \(number(r.profitFactor)), edge \(percent(r.averageEdge, digits: 3)) per signal")
        let marks = [1, 4, 12, 24, 48].filter { $0 <= r.decay.count }
        let decay = marks.map { "\($0): \(percent(r.decay[$0 - 1], digits: 3))" }.joined(separator: "  ")
        lines.append("            decay (edge before costs, bars after): \(decay)" + (r.halfLife.map { "; half-life \($0) bars" } ?? ""))
        return lines
    }

    static func backtestLines(_ m: BacktestMetrics, _ c: BacktestConfig) -> [String] {
        var setup = "\(c.fill.rawValue) fills, fee \(number(c.fee * 10_000, digits: 1)) bps/side, slippage \(number(c.slippage * 10_000, digits: 1)) bps"
        setup += c.funding ? ", funding paid" : ", funding off"
        if let s = c.stopLoss { setup += ", stop \(percent(s, sign: false))" }
        if let t = c.takeProfit { setup += ", target \(percent(t, sign: false))" }
        if let t = c.trailingStop { setup += ", trailing \(percent(t, sign: false))" }
        if let h = c.maxHold { setup += ", max hold \(h) bars" }
        if c.fill == .close { setup += " (optimistic: fills at the signal bar's close)" }
        if m.trades == 0 {
            return ["backtest    " + setup, "            no trades: the entry masks never fired a fill, so there is no return, Sharpe or win rate to report"]
        }
        return [
            "backtest    " + setup,
            "            return \(percent(m.totalReturn)) (CAGR \(percent(m.cagr))), Sharpe \(number(m.sharpe)) (daily, √365), Sortino \(number(m.sortino)), bar Sharpe \(number(m.barSharpe))",
            "            max drawdown \(percent(m.maxDrawdown, sign: false)) (\(number(m.maxDrawdownDays, digits: 0)) days), Calmar \(number(m.calmar))",
            "            \(m.trades) trades, win rate \(percent(m.winRate, sign: false)), profit factor \(number(m.profitFactor)), edge \(percent(m.averageEdge, digits: 3)) per trade, exposure \(percent(m.exposure, digits: 0, sign: false)), turnover \(number(m.turnover, digits: 0))× a year",
            "            P&L: price \(String(format: "%+.2f", m.pricePnL)), fees \(String(format: "%+.2f", m.feePnL)), funding \(String(format: "%+.2f", m.fundingPnL)); breakeven fee \(number(m.breakevenFee * 10_000, digits: 1)) bps/side",
        ]
    }

    /// The signal section of `--json`: the schema's signal metrics and the decay curve.
    static func signalJSON(_ report: SignalReport) -> JSONValue {
        .object(MetricSchema.values(MetricSchema.signal, of: report).map { ($0.key, .number($0.value)) }
                + [("decay", .array(report.decay.map { .number($0) }))])
    }

    /// The backtest section of `run --json` and of each `backtest run --json` run: the settings
    /// it assumed and the schema's metrics.
    static func backtestJSON(_ b: BacktestResult, _ m: BacktestMetrics) -> JSONValue {
        let c = b.config
        return .object([
            ("settings", .object([("fill", .string(c.fill.rawValue)), ("fee", .number(c.fee)), ("slippage", .number(c.slippage)),
                                  ("size", .number(c.size)), ("stop_loss", .optionalNumber(c.stopLoss)),
                                  ("take_profit", .optionalNumber(c.takeProfit)), ("trailing_stop", .optionalNumber(c.trailingStop)),
                                  ("max_hold", .optionalNumber(c.maxHold.map(Double.init))), ("funding", .bool(c.funding))])),
            ("metrics", .object(MetricSchema.values(MetricSchema.backtest, of: m).map { ($0.key, .number($0.value)) })),
        ])
    }

    /// The traceback's frames inside the script itself, when there is more than the failing line
    /// (a call chain worth showing); the full traceback is for --verbose.
    static func scriptFrames(_ traceback: String, script: String) -> String? {
        let frames = traceback.split(separator: "\n").filter { $0.hasPrefix("\t\(script):") }
        guard frames.count >= 2 else { return nil }
        let shown = frames.prefix(6).map { "  " + $0.dropFirst() }
        let more = frames.count > 6 ? ["  ... \(frames.count - 6) more (--verbose shows all)"] : []
        return (["stack traceback:"] + shown + more).joined(separator: "\n")
    }

    static func dataLine(_ bars: Bars) -> String {
        guard let first = bars.time.first, let last = bars.time.last else { return "data        none" }
        let funding = bars.extra("funding") != nil ? ", funding joined" : ""
        return "data        \(bars.symbol) \(bars.interval)  \(TimeBound.format(first)) → \(TimeBound.format(last))  \(bars.count) bars\(funding)"
    }

    static func json(script: String, bars: Bars, run: ScriptRun?, error: ScriptError?, printed: String, outputFile: String?) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("script", .string(script)),
            ("status", .string(error == nil ? "ok" : "error")),
            ("data", .object([
                ("symbol", .string(bars.symbol)), ("interval", .string(bars.interval)), ("bars", .number(Double(bars.count))),
                ("first_open_time", .optionalNumber(bars.time.first)), ("last_open_time", .optionalNumber(bars.time.last)),
                ("columns", .array((["time", "open", "high", "low", "close", "volume"] + bars.extra.map(\.name)).map { .string($0) })),
            ])),
        ]
        if let error {
            let kind: String
            switch error.kind {
            case .syntax: kind = "syntax"
            case .runtime: kind = "runtime"
            case .contract: kind = "contract"
            case .usage: kind = "usage"
            case .data: kind = "data"
            case .resourceLimit(let limit): kind = "limit:\(limit.rawValue)"
            }
            fields.append(("error", .object([
                ("kind", .string(kind)), ("message", .string(error.message)), ("location", .optionalString(error.location)),
                ("hint", .optionalString(error.hint)), ("exit_code", .number(Double(error.exitCode))),
            ])))
        }
        if let run {
            let r = run.result
            if let h = r.hypothesis {
                fields.append(("hypothesis", .object([
                    ("name", .string(h.name)), ("rationale", .optionalString(h.rationale)), ("timeframe", .optionalString(h.timeframe)),
                    ("parent", .optionalString(h.parent)), ("symbols", .array(h.symbols.map { .string($0) })),
                    ("tags", .array(h.tags.map { .string($0) })),
                ])))
            } else {
                fields.append(("hypothesis", .null))
            }
            fields.append(("parameters", .array(r.parameters.map { p in
                var fields: [(String, JSONValue)] = [("name", .string(p.name)), ("kind", .string(p.kind.rawValue))]
                if p.kind == .choice {
                    fields += [("value", .string(p.valueText)), ("default", .string(p.text(for: p.defaultValue))),
                               ("choices", .array(p.choices.map { .string($0.text) }))]
                } else {
                    fields += [("value", .number(p.value)), ("default", .number(p.defaultValue)), ("min", .number(p.minimum)),
                               ("max", .number(p.maximum)), ("scale", .string(p.scale.rawValue))]
                }
                return .object(fields + [("overridden", .bool(p.overridden))])
            })))
            fields.append(("strategy", .object(r.strategy.map { key, value in
                switch value {
                case .number(let x): return (key, .number(x))
                case .text(let s): return (key, .string(s))
                case .flag(let b): return (key, .bool(b))
                }
            })))
            fields.append(("factor", r.factor == nil ? .null : .object([
                ("ic", .array(run.factorIC.map { ic in
                    .object([("horizon", .number(Double(ic.horizon)))]
                            + MetricSchema.values(MetricSchema.factor, of: ic).map { ($0.key, .number($0.value)) })
                })),
            ])))
            fields.append(("signal", run.signalReport.map(signalJSON) ?? .null))
            if let m = run.metrics, let b = run.backtest {
                fields.append(("backtest", backtestJSON(b, m)))
            } else {
                fields.append(("backtest", .null))
            }
            fields.append(("outputs", .array(r.outputs.map { .string($0.name) })))
            fields.append(("output_file", .optionalString(outputFile)))
            fields.append(("usage", .object([
                ("seconds", .number(r.usage.seconds)), ("instructions", .number(Double(r.usage.instructions))),
                ("peak_memory_bytes", .number(Double(r.usage.peakMemoryBytes))),
            ])))
        }
        fields.append(("printed", .string(printed)))
        return .object(fields)
    }
}
