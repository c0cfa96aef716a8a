import ArgumentParser
import Evaluation
import Foundation
import Knowledge
import LLMAlpha
import MarketData
import Validation

struct StrategyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strategy",
        abstract: "Promote validated hypotheses to strategies, and list the strategies saved.",
        subcommands: [StrategyPromoteCommand.self, StrategyListCommand.self],
        defaultSubcommand: StrategyListCommand.self)
}

struct StrategyPromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Open a validated hypothesis's locked holdout, once, and save it as strategies/S0NN-<name>.lua.",
        discussion: reflow("""
            Takes the hypothesis's latest passed validation (or --trial N), sets the script's
            param.* defaults to the values chosen there, claims the locked holdout in the
            knowledge base (a holdout opens once per hypothesis, even if this command is
            interrupted), backtests the strategy on the bars validation never saw, and writes
            the strategy file with its validation record and holdout result in the header. A
            failed holdout is saved too, marked FAILED, and the hypothesis is rejected.

            Examples:
              llmalpha strategy promote H003
              llmalpha strategy promote H003 --trial 1240 --json
              llmalpha strategy promote H001 --data examples/planted-edge.csv

            Exit status: 0 promoted and the holdout passed, 7 the holdout failed, 2 nothing to
            promote or the holdout already opened, 4 data, 6 knowledge base.
            """))

    @Argument(help: ArgumentHelp("The hypothesis (H003).", valueName: "id"))
    var hypothesis: String

    @Option(help: ArgumentHelp("The validation trial to promote (default: the latest passed one).", valueName: "n"))
    var trial: Int64?

    @OptionGroup var knowledge: KnowledgeOptions

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Store root. (default: data.dir, ./data; env LLMALPHA_DATA_DIR)", valueName: "dir"))
    var dataDirectory: String?

    @Option(help: ArgumentHelp("The bars file the hypothesis was validated on with --data: its holdout is the end of that file.",
                               valueName: "file.csv"), completion: .file(extensions: ["csv"]))
    var data: String?

    @Flag(name: .customLong("no-download"), help: "Never download missing data.")
    var noDownload = false

    func run() throws {
        let paths = ProjectPaths()
        var configuration = try knowledge.configuration(paths: paths)
        if let dataDirectory { configuration.data.directory = dataDirectory }
        let kb = try knowledge.location().open(.write)
        let store = MarketStore(root: paths.dataDirectory(configuration.data.directory))
        let promoter = StrategyPromoter(knowledge: kb, evaluation: configuration.evaluation, settings: configuration.validation,
                                        version: LLMAlphaVersion.current)
        let report = try promoter.promote(hypothesis, trial: trial, dataFile: data) { symbol, interval in
            try MissingData.load(BarsRequest(symbol: symbol, interval: interval, file: data), store: store,
                                 allowDownload: !noDownload && data == nil)
        }
        if knowledge.json {
            Console.out(StrategyText.json(report).rendered + "\n")
        } else {
            Console.out(StrategyText.text(report))
        }
        if !report.passed { throw CommandFailure(status: .rejected, description: "") }
    }
}

struct StrategyListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The strategies in the knowledge base: validation Sharpe, holdout result, file.",
        discussion: reflow("""
            Examples:
              llmalpha strategy list
              llmalpha strategy list --json
            """))

    @OptionGroup var knowledge: KnowledgeOptions

    func run() throws {
        let kb = try knowledge.location().open(.read)
        let list = try kb.strategies()
        if knowledge.json {
            Console.out(JSONValue.array(list.map { s in
                .object([("id", .string(s.id)), ("hypothesis", .string(s.hypothesis)), ("name", .string(s.name)),
                         ("file", .string(s.filePath)), ("created_at", .string(s.createdAt)),
                         ("lifetime_trials", .number(Double(s.lifetimeTrials))),
                         ("validation", .object(s.validation.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
                         ("holdout", s.holdout.map { h in .object(h.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) }) } ?? .null)])
            }).rendered + "\n")
            return
        }
        guard !list.isEmpty else {
            Console.out("no strategies yet: llmalpha validate a hypothesis, then llmalpha strategy promote H0NN\n")
            return
        }
        var lines = ["ID    HYPOTHESIS  SHARPE  HOLDOUT           CREATED     FILE"]
        for s in list {
            let sharpe = s.validation["sharpe"].map { String(format: "%.2f", $0) } ?? "—"
            let holdout: String
            if let h = s.holdout {
                let verdict = h["passed"] == 1 ? "passed" : "FAILED"
                holdout = "\(verdict) \(h["sharpe"].map { String(format: "%.2f", $0) } ?? "")"
            } else {
                holdout = "not opened"
            }
            lines.append([ValidationText.pad(s.id, 6), ValidationText.pad(s.hypothesis, 12), ValidationText.pad(sharpe, 8),
                          ValidationText.pad(holdout, 18), ValidationText.pad(String(s.createdAt.prefix(10)), 12), s.filePath].joined())
        }
        Console.out(lines.joined(separator: "\n") + "\n")
    }
}

/// The renderings of a promotion.
enum StrategyText {
    static func text(_ r: PromotionReport) -> String {
        var lines = ["promoted    \(r.hypothesis) (trial \(r.trial)) -> \(r.strategy.id) \(r.strategy.filePath)"]
        if !r.parameters.isEmpty {
            lines.append("params      " + r.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                         + " (now the script's defaults)")
        }
        for h in r.holdout {
            let span = "\(h.symbol) \(ValidationText.day(h.from)) → \(ValidationText.day(h.to)), \(ReportFormat.grouped(h.bars)) bars"
            let numbers = "Sharpe \(ReportFormat.fixed(h.metrics.sharpe, 2)), \(h.metrics.trades) trades, "
                + "return \(RunReport.percent(h.metrics.totalReturn)), max drawdown \(RunReport.percent(h.metrics.maxDrawdown, sign: false))"
            lines.append("holdout     \(span) never seen before: \(numbers) " + (h.passed ? "— passed" : "— FAILED"))
        }
        if !r.familyOpenings.isEmpty {
            let earlier = r.familyOpenings.map { "\($0.hypothesis) \($0.openedAt.prefix(10))" }.joined(separator: ", ")
            lines.append("note        this family's holdout was opened before (\(earlier)): a relative has seen these bars")
        }
        lines.append(r.passed ? "verdict     the strategy held up on data it had never seen"
                     : "verdict     the holdout FAILED: the file is kept for the record, marked so; do not trade it")
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ r: PromotionReport) -> JSONValue {
        .object([
            ("strategy", .string(r.strategy.id)), ("file", .string(r.strategy.filePath)), ("hypothesis", .string(r.hypothesis)),
            ("trial", .number(Double(r.trial))), ("passed", .bool(r.passed)),
            ("parameters", .object(r.parameters.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("holdout", .array(r.holdout.map { h in
                .object([("symbol", .string(h.symbol)), ("first_open_time", .number(h.from)), ("last_open_time", .number(h.to)),
                         ("bars", .number(Double(h.bars))), ("passed", .bool(h.passed)),
                         ("metrics", .object(MetricSchema.values(MetricSchema.backtest, of: h.metrics).map { ($0.key, .number($0.value)) }))])
            })),
        ])
    }
}
