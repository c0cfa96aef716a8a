import ArgumentParser
import Evaluation
import Foundation
import Knowledge
import LLMAlpha
import MarketData
import Scripting
import Validation

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Judge a hypothesis: gates, walk-forward, rolling windows, deflated Sharpe, PBO, lookahead.",
        discussion: reflow("""
            The script runs stage by stage and stops at the first gate it fails: lookahead (the
            factor and masks must not change when later bars are cut off), factor (rank IC, IR,
            quantile monotonicity, rank turnover, Newey-West p), signal (signal trades held to
            their exit: win rate, profit factor, edge after costs, frequency), backtest (trades,
            Sharpe), walk-forward 60/20/20 (parameters optimized by TPE on train, chosen on
            validation, reported on test), rolling windows (re-optimized per window), and honesty
            (deflated Sharpe with the knowledge base's lifetime trial count, probability of
            backtest overfitting, one more bar of delay, correlation with saved strategies).
            Thresholds: validation.* in configs/default.yaml.

            The most recent 20% of the data (validation.honesty.holdout) is locked before any
            script sees it; it opens once, when a validated hypothesis is promoted
            (--promote, or llmalpha strategy promote H003). Every optimizer trial and the
            verdict are recorded in the knowledge base, so the deflated Sharpe counts them.

            Examples:
              llmalpha validate strategies/funding_fade.lua --mode quick
              llmalpha validate examples/planted_edge.lua --data examples/planted-edge.csv
              llmalpha validate strategies/sma_trend.lua -s BTC,ETH --trials 50 --seed 7
              llmalpha validate my.lua --report verdict.html --json > verdict.json
              llmalpha validate my.lua --promote      on a full pass, open the holdout and save

            Exit status: 0 validated, 7 rejected by a gate, 1 script error, 2 usage,
            3 resource limit, 4 data (too short a span), 6 knowledge base, 130 interrupted.
            """))

    @Argument(help: ArgumentHelp("The hypothesis script: factor(d), signal(d, f) and param.* declarations.",
                                 valueName: "script.lua"), completion: .file(extensions: ["lua"]))
    var script: String

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var validation: ValidationOptions
    @OptionGroup var sandboxOptions: SandboxOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        try ValidationRun(script: script, dataOptions: dataOptions, validation: validation, sandbox: sandboxOptions,
                          output: outputOptions, mode: nil).perform()
    }
}

/// The flags of `validate` (and, mode aside, of `run --validate`).
struct ValidationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("quick (factor, signal, backtest), full, wf_only or rolling_only. (default: validation.mode, full)",
                               valueName: "mode"))
    var mode: String?

    @Option(help: ArgumentHelp("Optimizer trials on the walk-forward training window. (default: validation.trials, 50)", valueName: "n"))
    var trials: Int?

    @Option(help: ArgumentHelp("Optimizer seed: the same seed gives the same trials whatever --jobs. (default: validation.seed, 42)",
                               valueName: "n"))
    var seed: Int?

    @Option(help: ArgumentHelp("Scripts run at once. (default: the number of cores)", valueName: "n"))
    var jobs: Int?

    @Option(name: .customLong("kb"), help: ArgumentHelp("Knowledge base: a SQLite file or a postgres:// URL. \(KnowledgeHelp.defaults)",
                                                        valueName: "path"))
    var knowledgePath: String?

    @Flag(name: .customLong("no-record"), help: "Record nothing; the run is not counted in the knowledge base's trials (its deflated Sharpe still counts them).")
    var noRecord = false

    @Option(help: ArgumentHelp("Write an HTML report: the backtest tear sheet, the walk-forward split, rolling windows and the verdict.",
                               valueName: "out.html"))
    var report: String?

    @Flag(help: "When the verdict is validated, promote at once: open the locked holdout and write strategies/S0NN-<name>.lua.")
    var promote = false

    @Flag(name: .customLong("all-stages"), help: "Run every stage of the mode even after one fails (the verdict still names the first failure).")
    var allStages = false

    func validate() throws {
        if let mode, ValidationSettings.Mode(rawValue: mode) == nil {
            throw ValidationError("--mode must be quick, full, wf_only or rolling_only, got '\(mode)'")
        }
        if let trials, trials < 1 || trials > 100_000 { throw ValidationError("--trials must be in 1...100000, got \(trials)") }
        if let seed, seed < 0 { throw ValidationError("--seed must be 0 or more, got \(seed)") }
        if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be in 1...256, got \(jobs)") }
        if promote && noRecord { throw ValidationError("--promote needs the verdict recorded; drop --no-record") }
    }
}

/// One validation from the command line: data with the holdout cut off, the validator with a
/// progress line and Ctrl-C, the report, the recording and the optional promotion.
struct ValidationRun {
    let script: String
    let dataOptions: DataOptions
    let validation: ValidationOptions
    let sandbox: SandboxOptions
    let output: OutputOptions
    /// Forces a mode (`run --validate` is quick).
    let mode: ValidationSettings.Mode?

    func perform() throws {
        let paths = ProjectPaths()
        var configuration = try dataOptions.loadConfiguration(paths: paths)
        sandbox.apply(to: &configuration)
        if let mode { configuration.validation.mode = mode }
        if let text = validation.mode, let m = ValidationSettings.Mode(rawValue: text), mode == nil { configuration.validation.mode = m }
        if let trials = validation.trials { configuration.validation.trials = trials }
        if let seed = validation.seed { configuration.validation.seed = seed }
        if validation.promote, configuration.validation.mode != .full {
            throw CommandFailure(status: .usage, description: "--promote needs --mode full: only a full validation opens the locked holdout")
        }
        let jobs = validation.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let source = try ScriptRun.readScript(at: script)

        // Data: every stored bar of each symbol, then the locked holdout cut off, then --from/--to.
        let store = MarketStore(root: paths.dataDirectory(configuration.data.directory))
        let (from, to) = try dataOptions.bounds()
        let fulls = try dataOptions.symbols(configuration).map { symbol in
            try dataOptions.loadBars(dataOptions.fullRequest(configuration, symbol: symbol), store: store)
        }
        let visible = try LockedHoldout.visible(fulls, fraction: configuration.validation.honesty.holdout, from: from, to: to)

        // The knowledge base: written unless --no-record, else only read (its trial count).
        let location = KnowledgeLocation(configuration: configuration, paths: paths, override: validation.knowledgePath)
        let knowledge: KnowledgeBase?
        if validation.noRecord {
            knowledge = location.mayExist ? try location.open(.read) : nil
        } else {
            knowledge = try location.open(.write, create: true)
        }

        let validator = Validator(settings: configuration.validation, evaluation: configuration.evaluation, jobs: jobs,
                                  knowledge: knowledge, record: !validation.noRecord, allStages: validation.allStages)
        let interrupt = InterruptHandler { validator.interrupt() }
        defer { interrupt.cancel() }
        let status = StatusLine(enabled: !output.json || isatty(STDERR_FILENO) != 0)
        let started = Date()
        let report: ValidationReport
        do {
            report = try validator.validate(source: source, path: script, data: visible) { p in
                let symbol = p.symbol.isEmpty ? "" : " \(p.symbol)"
                let elapsed = String(format: "%.0fs", Date().timeIntervalSince(started))
                if p.total > 0 {
                    status.update("validating\(symbol): \(p.stage.title)", detail: "\(p.done)/\(p.total)  \(elapsed)")
                } else {
                    status.update("validating\(symbol): \(p.stage.title)")
                }
            }
        } catch {
            status.finish()
            if case .interrupted = error { throw CommandFailure(status: .interrupted, description: "interrupted; nothing was recorded as passed") }
            throw error
        }
        status.finish()

        var promotion: PromotionReport? = nil
        var promotionError: ValidatorError? = nil
        if validation.promote, report.passed, let (hypothesis, trial) = report.recorded, let kb = knowledge {
            let promoter = StrategyPromoter(knowledge: kb, evaluation: configuration.evaluation, settings: configuration.validation,
                                            version: LLMAlphaVersion.current)
            do {
                promotion = try promoter.promote(hypothesis, trial: trial, dataFile: dataOptions.data) { symbol, interval in
                    try dataOptions.loadBars(BarsRequest(symbol: symbol, interval: interval, file: dataOptions.data), store: store)
                }
            } catch {
                promotionError = error
            }
        }
        if let path = validation.report {
            try OutputTable.write(HTMLReport.render(validation: report, bars: visible.map(\.bars), generated: Self.stamp()), to: path)
            if !output.json { Console.note("report: \(path)") }
        }
        if output.json {
            var document = ValidationText.json(report)
            if case .object(var fields) = document {
                if let promotion { fields.append(("promotion", StrategyText.json(promotion))) }
                if let promotionError { fields.append(("promotion_error", .string(promotionError.description))) }
                document = .object(fields)
            }
            Console.out(document.rendered + "\n")
        } else {
            Console.out(ValidationText.text(report, knowledge: knowledge, verbose: output.verbose, dataFile: dataOptions.data))
            if let promotion { Console.out("\n" + StrategyText.text(promotion)) }
        }
        if let promotionError { throw promotionError }
        if validation.promote, !report.passed { Console.note("not promoted: the hypothesis was rejected") }
        if !report.passed { throw CommandFailure(status: .rejected, description: "") }
    }

    static func stamp() -> String {
        "llmalpha \(LLMAlphaVersion.current), \(TimeBound.format(Date().timeIntervalSince1970 * 1000)) UTC"
    }
}
