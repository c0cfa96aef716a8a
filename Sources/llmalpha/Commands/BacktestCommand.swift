import ArgumentParser
import Foundation
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Backtest strategy scripts on perpetual futures data.",
        subcommands: [BacktestRunCommand.self],
        defaultSubcommand: BacktestRunCommand.self)
}

struct BacktestRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Backtest a strategy script on one or more symbols.",
        discussion: reflow("""
            The script's signal(d, f) gives the entry and exit masks and strategy{} the settings; flags here
            override them. Fills are at the next bar's open unless --fill close (optimistic, for comparison
            with tools that fill at the signal bar's close). Funding is paid at every settlement.

            Examples:
              llmalpha backtest run -s BTC -S rsi_mr             strategies/rsi_mr.lua
              llmalpha backtest run -s BTC,ETH,SOL -S sma_trend  then a summary
              llmalpha backtest run -s ETH -S funding_fade --from 2024-01-01
              llmalpha backtest run -s BTC -S rsi_mr --fees 0.0002 --slippage 0
              llmalpha backtest run -s BTC -S sma_trend --report sma.html --json

            Exit status: 0 ok, 1 script or strategy error, 2 usage, 3 resource limit, 4 data error.
            """))

    @Option(name: [.customShort("S"), .customLong("strategy")], help: ArgumentHelp("A name in strategies/ (rsi_mr, S003) or a path to a .lua file.", valueName: "name"))
    var strategy: String

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Taker fee per side as a fraction (0.0004 = 4 bps), over strategy{}.", valueName: "fraction"))
    var fees: Double?

    @Option(help: ArgumentHelp("Slippage per fill as a fraction (0.0002 = 2 bps), over strategy{}.", valueName: "fraction"))
    var slippage: Double?

    @Option(help: ArgumentHelp("next_open (default) or close.", valueName: "mode"))
    var fill: String?

    @OptionGroup var parameterOptions: ParameterOptions

    @Option(help: ArgumentHelp("Write a self-contained HTML report (one file per symbol when several).", valueName: "out.html"))
    var report: String?

    @OptionGroup var recording: RecordOptions

    @OptionGroup var sandboxOptions: SandboxOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        if recording.knowledgePath != nil && !recording.record { throw ValidationError("--kb only applies with --record") }
        if let fill, BacktestConfig.Fill(rawValue: fill) == nil {
            throw ValidationError("--fill must be next_open or close, got '\(fill)'")
        }
        if let symbols = dataOptions.symbol, symbols.split(separator: ",").isEmpty { throw ValidationError("--symbols needs at least one symbol") }
        if dataOptions.data != nil, let symbols = dataOptions.symbol, symbols.contains(",") {
            throw ValidationError("--data is one series of bars: name it with one -s, got '\(symbols)'")
        }
    }

    /// strategies/<name>.lua, strategies/<name>-*.lua (S003), or a path.
    static func resolveStrategy(_ name: String, paths: ProjectPaths) throws -> String {
        if name.hasSuffix(".lua") || name.contains("/") { return name }
        let folders = [FileManager.default.currentDirectoryPath + "/strategies"] + (paths.root.map { [$0 + "/strategies"] } ?? [])
        for folder in folders {
            let exact = folder + "/\(name).lua"
            if FileManager.default.fileExists(atPath: exact) { return exact }
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if let match = files.sorted().first(where: { $0.hasPrefix(name + "-") && $0.hasSuffix(".lua") }) { return folder + "/" + match }
        }
        let known = folders.flatMap { ((try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? []).filter { $0.hasSuffix(".lua") } }
        let names = Array(Set(known.map { String($0.dropLast(4)) })).sorted()
        throw CommandFailure(status: .usage, description: "no strategy '\(name)' in strategies/ (have: \(names.joined(separator: ", ")))")
    }

    func run() throws {
        let paths = ProjectPaths()
        var configuration = try dataOptions.loadConfiguration(paths: paths)
        sandboxOptions.apply(to: &configuration)
        let script = try Self.resolveStrategy(strategy, paths: paths)
        let source = try ScriptRun.readScript(at: script)
        let overrides = parameterOptions.overrides
        let store = MarketStore(root: paths.dataDirectory(configuration.data.directory))
        let (fromMs, toMs) = try dataOptions.bounds()
        let list = dataOptions.symbols(configuration)
        let (fee, slip, fillMode) = (fees, slippage, fill.flatMap(BacktestConfig.Fill.init(rawValue:)))
        let knowledge = try recording.open(configuration: configuration, paths: paths)
        var runs: [ScriptRun] = []
        var receipts: [String: TrialRecording.Receipt] = [:]
        for symbol in list {
            let bars = try dataOptions.loadBars(BarsRequest(symbol: symbol, interval: configuration.data.interval, file: dataOptions.data,
                                                            from: fromMs, to: toMs), store: store)
            if list.count > 1, !outputOptions.json { Console.note("backtesting \(script) on \(symbol) \(configuration.data.interval) (\(bars.count) bars)...") }
            let printed = PrintBuffer(capture: true)
            let run: ScriptRun
            let started = Date()
            do {
                run = try ScriptRun.execute(source: source, path: script, bars: bars, settings: configuration.evaluation, parameters: overrides,
                                            adjustBacktest: { c in
                                                if let fee { c.fee = fee }
                                                if let slip { c.slippage = slip }
                                                if let fillMode { c.fill = fillMode }
                                            }, print: { printed.write($0) })
            } catch {
                if let knowledge, let receipt = RunCommand.recordFailure(error, source: source, path: script, bars: bars,
                                                                           parameters: overrides, startedAt: started, into: knowledge) {
                    Console.note(RunCommand.recordedLine(receipt, knowledge))
                }
                throw CommandFailure(status: ExitStatus(rawValue: error.exitCode) ?? .scriptError, description: "\(symbol): \(error)")
            }
            guard run.backtest != nil else {
                throw CommandFailure(status: .scriptError,
                                     description: "\(script): defines no signal(d, f), so there is nothing to backtest (hint: return { long = mask, exit = mask } from signal)")
            }
            runs.append(run)
            if let knowledge {
                let receipt = try TrialRecording.record(source: source, path: script, bars: bars, run: run, error: nil,
                                                        parameters: overrides, startedAt: started,
                                                        seconds: run.result.usage.seconds, into: knowledge)
                receipts[symbol] = receipt
                Console.note(RunCommand.recordedLine(receipt, knowledge) + " (\(symbol))")
            }
        }
        if let report {
            for run in runs {
                let path = runs.count == 1 ? report : Self.perSymbolPath(report, run.bars.symbol)
                let title = "\(run.result.hypothesis?.name ?? (script as NSString).lastPathComponent) — \(run.bars.symbol) \(run.bars.interval)"
                try OutputTable.write(HTMLReport.render(title: title, bars: run.bars, result: run.backtest!, metrics: run.metrics!,
                                                        generated: "llmalpha \(LLMAlphaVersion.current), \(TimeBound.format(Date().timeIntervalSince1970 * 1000)) UTC"),
                                      to: path)
                if !outputOptions.json { Console.note("report: \(path)") }
            }
        }
        if outputOptions.json {
            Console.out(JSONValue.object([
                ("strategy", .string(script)),
                ("runs", .array(runs.map { RunCommand.withReceipt(Self.json($0), receipts[$0.bars.symbol]) })),
            ]).rendered + "\n")
            return
        }
        if runs.count == 1, let run = runs.first {
            Console.out(RunReport.dataLine(run.bars) + "\n")
            if let r = run.signalReport { Console.out(RunReport.signalLines(r).joined(separator: "\n") + "\n\n") }
            Console.out(RunReport.backtestLines(run.metrics!, run.backtest!.config).joined(separator: "\n") + "\n")
        } else {
            Console.out(Self.summary(runs))
        }
    }

    static func perSymbolPath(_ path: String, _ symbol: String) -> String {
        let ext = (path as NSString).pathExtension
        let base = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return "\(base)-\(symbol)" + (ext.isEmpty ? "" : ".\(ext)")
    }

    static func summary(_ runs: [ScriptRun]) -> String {
        func row(_ cells: [String]) -> String {
            let widths = [10, 7, 9, 8, 7, 8, 7, 7, 6]
            return zip(cells, widths).enumerated().map { i, pair in
                let (cell, width) = pair
                let pad = String(repeating: " ", count: max(0, width - cell.count))
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: " ")
        }
        var lines = [row(["symbol", "bars", "return", "CAGR", "Sharpe", "max DD", "trades", "win", "PF"])]
        for run in runs {
            let m = run.metrics!
            lines.append(row([run.bars.symbol, "\(run.bars.count)", RunReport.percent(m.totalReturn), RunReport.percent(m.cagr),
                              RunReport.number(m.sharpe), RunReport.percent(m.maxDrawdown, sign: false), "\(m.trades)",
                              RunReport.percent(m.winRate, digits: 0, sign: false), RunReport.number(m.profitFactor)]))
        }
        let sharpes = runs.map { $0.metrics!.sharpe }.filter(\.isFinite)
        if !sharpes.isEmpty {
            lines.append(String(format: "mean Sharpe %.2f over %d symbols; %d of %d with a positive return", sharpes.reduce(0, +) / Double(sharpes.count),
                                sharpes.count, runs.filter { $0.metrics!.totalReturn > 0 }.count, runs.count))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ run: ScriptRun) -> JSONValue {
        guard case .object(let sections) = RunReport.backtestJSON(run.backtest!, run.metrics!) else { return .null }
        return .object([
            ("symbol", .string(run.bars.symbol)), ("interval", .string(run.bars.interval)), ("bars", .number(Double(run.bars.count))),
            ("first_open_time", .optionalNumber(run.bars.time.first)), ("last_open_time", .optionalNumber(run.bars.time.last)),
        ] + sections + [
            ("signal", run.signalReport.map(RunReport.signalJSON) ?? .null),
            ("trades", .array(run.backtest!.trades.map { t in
                .object(MetricSchema.tradeFields(t).map { field in
                    switch field.value {
                    case .number(let x): return (field.key, .number(x))
                    case .text(let s): return (field.key, .string(s))
                    }
                })
            })),
        ])
    }
}
