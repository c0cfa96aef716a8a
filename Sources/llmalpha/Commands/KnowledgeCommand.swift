import ArgumentParser
import Foundation
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting

struct KnowledgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb",
        abstract: "The knowledge base: every hypothesis and trial the research ever ran.",
        discussion: reflow("""
            One SQLite file (default data/knowledge.sqlite; --kb or knowledge.path to change) records hypotheses (H001, H002, ... with their exact scripts in hypotheses/), every evaluated configuration as a trial (parameters, data span and hash, stage reached, metrics, why it failed), promoted strategies (strategies/S0NN-*.lua), holdout openings and LLM calls. Reading works while a research loop writes. A team shares one PostgreSQL database instead: --kb postgres://user@host:5432/db (or knowledge.url, LLMALPHA_KNOWLEDGE_URL; the password in the URL or PGPASSWORD, never printed), with the same commands.

            Examples:
              llmalpha kb init
              llmalpha run examples/rsi_reversion.lua --record
              llmalpha kb search funding --status rejected
              llmalpha kb show H003
              llmalpha kb stats --json
              llmalpha kb export --format csv --output trials.csv
              llmalpha kb check --repair

            Exit status: 0 ok, 2 usage or an unknown id, 6 knowledge base error (missing, not SQLite, another program's, newer schema, read-only, disk full, damaged, a PostgreSQL server that refuses or cannot be reached, or kb check found problems).
            """),
        subcommands: [KnowledgeInit.self, KnowledgeSearch.self, KnowledgeShow.self, KnowledgeStats.self,
                      KnowledgeExport.self, KnowledgeImport.self, KnowledgeCheck.self])
}

/// Which knowledge base a command uses.
struct KnowledgeOptions: ParsableArguments {
    @Option(name: .customLong("kb"), help: ArgumentHelp("The knowledge base: a SQLite file, or postgres://user:password@host:5432/db for a shared one. \(KnowledgeHelp.defaults)", valueName: "path|url"),
            completion: .file(extensions: ["sqlite"]))
    var path: String?

    @Option(help: ArgumentHelp("A YAML file over configs/default.yaml.", valueName: "file.yaml"))
    var config: String?

    @Flag(help: "Print one JSON document on stdout instead of text.")
    var json = false

    func location() throws -> KnowledgeLocation {
        let paths = ProjectPaths()
        return KnowledgeLocation(configuration: try configuration(paths: paths), paths: paths, override: path)
    }

    /// The layered configuration: project defaults, --config, environment.
    func configuration(paths: ProjectPaths) throws -> Configuration {
        try Configuration.load(projectFile: paths.defaultConfigFile, file: config, environment: ProcessInfo.processInfo.environment)
    }

    func open(_ access: KnowledgeBase.Access) throws -> KnowledgeBase {
        try location().open(access)
    }

    /// Codable values as stable, readable JSON with snake_case keys.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) + "\n"
    }
}

struct KnowledgeInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create an empty knowledge base.",
        discussion: "Refuses to replace an existing one; --force moves it aside to <file>.<UTC time>.bak first.")

    @OptionGroup var options: KnowledgeOptions
    @Flag(help: "Back up an existing knowledge base and start a new one.")
    var force = false

    func run() throws {
        let location = try options.location()
        let (kb, backup) = try KnowledgeBase.initialize(at: location.database, files: location.files, force: force)
        let schema = try kb.schemaVersion()
        if options.json {
            struct Created: Encodable { let path: String; let schema: [String]; let backup: String? }
            Console.out(KnowledgeOptions.json(Created(path: kb.path, schema: schema, backup: backup)))
            return
        }
        if let backup { Console.out("Backed up the old knowledge base to \(backup)\n") }
        Console.out("Created \(kb.path) (schema \(schema.last ?? "?")); record runs with `llmalpha run SCRIPT --record`\n")
    }
}

struct KnowledgeSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Find hypotheses by words in their names, rationales, tags or failures.",
        discussion: reflow("""
            Words match by English stem and as prefixes, all of them must occur; an id (H003) also matches. Without TEXT, lists the newest hypotheses through the filters.

              llmalpha kb search "mean reversion" --limit 5
              llmalpha kb search --status validated
              llmalpha kb search win rate --tag funding
            """))

    @Argument(help: "Words to look for.") var text: [String] = []
    @Option(help: ArgumentHelp("Only this status: proposed, running, validated, rejected, abandoned.", valueName: "status"))
    var status: String?
    @Option(help: ArgumentHelp("Only hypotheses with this tag.", valueName: "tag")) var tag: String?
    @Option(help: "At most this many, newest first.") var limit = 20
    @OptionGroup var options: KnowledgeOptions

    func validate() throws {
        if let status, HypothesisStatus(rawValue: status) == nil {
            throw ValidationError("--status must be one of \(HypothesisStatus.allCases.map(\.rawValue).joined(separator: ", ")), got '\(status)'")
        }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        let kb = try options.open(.read)
        let hits = try kb.search(text.isEmpty ? nil : text.joined(separator: " "), status: status.flatMap(HypothesisStatus.init),
                                 tag: tag, limit: limit)
        if options.json {
            Console.out(KnowledgeOptions.json(hits))
            return
        }
        guard !hits.isEmpty else {
            Console.note("nothing found in \(kb.path)")
            return
        }
        let rows = hits.map { hit in
            [hit.hypothesis.id, hit.hypothesis.status.rawValue, String(hit.trials), hit.bestSharpe.map { String(format: "%.2f", $0) } ?? "-",
             hit.hypothesis.name, hit.hypothesis.tags.joined(separator: ",")]
        }
        Console.out(TextTable.render(header: ["ID", "STATUS", "TRIALS", "BEST SHARPE", "NAME", "TAGS"], rows: rows, rightAligned: [2, 3]))
    }
}

struct KnowledgeShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One hypothesis (H003) or strategy (S001): lineage, trials, file.",
        discussion: reflow("""
              llmalpha kb show H003             its last 20 trials, lineage and file
              llmalpha kb show H003 --trials 0  every trial
              llmalpha kb show H003 --script    the recorded script too
              llmalpha kb show S001             a strategy and its holdout openings
            """))

    @Argument(help: "H003 or S001 (h3 and s1 work too).") var id: String
    @Option(help: "How many trials to list, newest first; 0 lists all.") var trials = 20
    @Flag(help: "Print the recorded script after the summary.") var script = false
    @OptionGroup var options: KnowledgeOptions

    func run() throws {
        let kb = try options.open(.read)
        if id.uppercased().hasPrefix("S") {
            let strategy = try kb.strategy(id)
            let openings = try kb.holdoutOpenings(strategy: strategy.id)
            if options.json {
                struct Shown: Encodable { let strategy: Strategy; let holdoutOpenings: [HoldoutOpening] }
                Console.out(KnowledgeOptions.json(Shown(strategy: strategy, holdoutOpenings: openings)))
                return
            }
            var out = "\(strategy.id)  \(strategy.name)  (from \(strategy.hypothesis), promoted \(strategy.createdAt.prefix(10)))\n"
            out += "file        \(strategy.filePath)\n"
            out += "validation  \(Self.numbers(strategy.validation))\n"
            out += "trials      \(strategy.lifetimeTrials) in the knowledge base when promoted\n"
            out += "holdout     " + (openings.isEmpty ? "locked (never opened)\n" : "opened \(openings.count) time\(openings.count == 1 ? "" : "s")\n")
            for o in openings {
                out += "  \(o.openedAt.prefix(16))  \(o.passed ? "passed" : "failed")  \(Self.numbers(o.metrics))\(o.note.map { "  \($0)" } ?? "")\n"
            }
            Console.out(out)
            return
        }
        let detail = try kb.detail(id, trialLimit: trials == 0 ? Int.max : trials)
        if options.json {
            Console.out(KnowledgeOptions.json(detail))
            return
        }
        let h = detail.hypothesis
        var out = "\(h.id)  \(h.name)  [\(h.status.rawValue)]\n"
        if !h.rationale.isEmpty { out += "rationale   \(h.rationale)\n" }
        if !h.tags.isEmpty { out += "tags        \(h.tags.joined(separator: ", "))\n" }
        out += "lineage     " + ([h.id] + detail.ancestors).joined(separator: " <- ")
        out += detail.children.isEmpty ? "\n" : "; refined by \(detail.children.joined(separator: ", "))\n"
        out += "family      \(h.family) (\(try kb.trialCount(family: h.family)) trials)\n"
        out += "origin      \(h.origin), recorded \(h.createdAt.prefix(16)), updated \(h.updatedAt.prefix(16))\n"
        let spend = try kb.llmSpend(hypothesis: h.id)
        if spend.calls > 0 { out += "model       \(spend.text)\n" }
        out += "file        \(h.scriptPath) (\(detail.fileState), sha256 \(h.scriptSHA256.prefix(12)))\n"
        for s in detail.strategies { out += "strategy    \(s.id) \(s.filePath)\n" }
        out += "trials      \(detail.trialCount)" + (detail.trials.count < detail.trialCount ? ", newest \(detail.trials.count) below" : "") + "\n"
        if !detail.trials.isEmpty {
            let rows = detail.trials.map { t in
                [String(t.id), t.startedAt.prefix(16).replacingOccurrences(of: "T", with: " "), t.stage.rawValue,
                 t.passed.map { $0 ? "pass" : "fail" } ?? "-", Self.numbers(t.parameters),
                 t.metrics["sharpe"].map { String(format: "%.2f", $0) } ?? "-", t.reasonMessage ?? t.reasonCode ?? ""]
            }
            out += TextTable.render(header: ["TRIAL", "STARTED", "STAGE", "RESULT", "PARAMS", "SHARPE", "REASON"], rows: rows,
                                    rightAligned: [0, 5])
        }
        if script, let text = detail.script { out += "\n" + text + (text.hasSuffix("\n") ? "" : "\n") }
        Console.out(out)
    }

    static func numbers(_ values: [String: Double]) -> String {
        values.keys.sorted().map { key in
            let v = values[key]!
            return "\(key)=\(v == v.rounded() && abs(v) < 1e9 ? String(Int64(v)) : String(format: "%.4g", v))"
        }.joined(separator: " ")
    }
}

struct KnowledgeStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Counts by status and stage, failure reasons ranked, the best trials, LLM spend.")

    @Option(help: "How many failure reasons to rank.") var reasons = 10
    @OptionGroup var options: KnowledgeOptions

    func run() throws {
        let kb = try options.open(.read)
        let s = try kb.stats(reasons: reasons)
        if options.json {
            Console.out(KnowledgeOptions.json(s))
            return
        }
        var out = "\(kb.path)\n"
        let statuses = HypothesisStatus.allCases.map { "\(s.hypothesesByStatus[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        out += "hypotheses  \(s.hypotheses) in \(s.families) famil\(s.families == 1 ? "y" : "ies"): \(statuses)\n"
        out += "trials      \(s.trials): \(s.passedTrials) passed, \(s.failedTrials) failed, \(s.unjudgedTrials) not judged"
        out += s.firstTrial.map { ", \($0.prefix(10)) .. \(s.lastTrial?.prefix(10) ?? "")\n" } ?? "\n"
        out += "strategies  \(s.strategies), holdout opened \(s.holdoutOpenings) time\(s.holdoutOpenings == 1 ? "" : "s")\n"
        if s.llmCalls > 0 {
            out += String(format: "llm         %d calls, %d tokens, $%.2f\n", s.llmCalls, s.llmTokens, s.llmCostUSD)
        }
        let reached = s.stages.filter { $0.reached > 0 }
        if !reached.isEmpty {
            out += "\nfurthest stage reached:\n"
            out += TextTable.render(header: ["STAGE", "TRIALS", "FAILED THERE"],
                                    rows: reached.map { [$0.stage, String($0.reached), String($0.failed)] }, rightAligned: [1, 2])
        }
        if !s.failureReasons.isEmpty {
            out += "\nwhy trials failed:\n"
            out += TextTable.render(header: ["REASON", "TRIALS", "LATEST EXAMPLE"],
                                    rows: s.failureReasons.map { [$0.code, String($0.count), "\($0.exampleHypothesis): \($0.example)"] },
                                    rightAligned: [1])
        }
        if !s.bestBySharpe.isEmpty {
            out += "\nbest trials by Sharpe:\n"
            out += TextTable.render(header: ["TRIAL", "HYPOTHESIS", "SHARPE", "RESULT", "PARAMS", "NAME"],
                                    rows: s.bestBySharpe.map {
                                        [String($0.trial), $0.hypothesis, String(format: "%.2f", $0.sharpe),
                                         $0.passed.map { $0 ? "pass" : "fail" } ?? "-", KnowledgeShow.numbers($0.parameters), $0.name]
                                    }, rightAligned: [0, 2])
        }
        Console.out(out)
    }
}

struct KnowledgeExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the knowledge base as JSON (everything) or CSV (one table).",
        discussion: reflow("""
            JSON holds the hypotheses (each with its script), trials, strategies and holdout openings (research runs and their steps stay with the knowledge base that ran them), and `kb import` merges it into another knowledge base. CSV writes one table; trials get a column per parameter and per metric.

              llmalpha kb export --format json --output kb.json
              llmalpha kb export --format csv --table trials > trials.csv
            """))

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv }

    @Option(help: "json or csv. (default: json)") var format: Format?
    @Option(help: ArgumentHelp("For csv: trials, hypotheses, strategies, holdouts or llm_calls.", valueName: "table"))
    var table: String = "trials"
    @Option(name: .shortAndLong, help: ArgumentHelp("Write here instead of stdout.", valueName: "file")) var output: String?
    @OptionGroup var options: KnowledgeOptions

    func validate() throws {
        if options.json, format == .csv, output == nil {
            throw ValidationError("--json with --format csv needs --output FILE (the CSV goes there, a JSON summary to stdout)")
        }
        guard KnowledgeBase.ExportTable(rawValue: table) != nil else {
            throw ValidationError("--table must be one of \(KnowledgeBase.ExportTable.allCases.map(\.rawValue).joined(separator: ", ")), got '\(table)'")
        }
    }

    func run() throws {
        let kb = try options.open(.read)
        let format = self.format ?? .json
        var text = ""
        switch format {
        case .json: text = KnowledgeOptions.json(try kb.exportDocument())
        case .csv: try kb.exportCSV(KnowledgeBase.ExportTable(rawValue: table)!) { text += $0 }
        }
        guard let output else {
            Console.out(text)
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw CommandFailure(status: .usage, description: "\(output): cannot write the file")
        }
        if options.json {
            struct Written: Encodable { let output: String; let format: String; let table: String?; let bytes: Int }
            Console.out(KnowledgeOptions.json(Written(output: output, format: format.rawValue, table: format == .csv ? table : nil,
                                                      bytes: text.utf8.count)))
        } else {
            Console.note("wrote \(output)")
        }
    }
}

struct KnowledgeImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Merge another knowledge base (or its JSON export) into this one.",
        discussion: reflow("""
            Hypotheses are matched by script (the same script is the same hypothesis); new ones get the next free ids here, with their lineage. Trials are matched by uid, so importing twice adds nothing; they are committed in batches, and an interrupted import is finished by running it again. Every imported trial counts towards the deflated Sharpe of later strategies. Strategies, holdout openings and LLM calls are not imported.

            The source is a `kb export` JSON file, or another knowledge base itself: a SQLite file or a postgres:// URL, only read (one from an older llmalpha is first upgraded to the current schema, as any command does). Between the two stores this moves a history either way.

              llmalpha kb export --output theirs.json    (on their machine)
              llmalpha kb import theirs.json
              llmalpha kb import data/knowledge.sqlite --kb postgres://team@db/research     join a team
              llmalpha kb import postgres://team@db/research --kb snapshot.sqlite           take a snapshot home
            """))

    @Argument(help: ArgumentHelp("A file written by `kb export --format json`, a SQLite knowledge base, or a postgres:// URL.",
                                 valueName: "source")) var file: String
    @Option(help: "Trials per transaction.") var batch = 1000
    @OptionGroup var options: KnowledgeOptions

    func run() throws {
        let location = try options.location()
        let document: KnowledgeBase.Document
        var sourceName: String? = nil
        if PostgresLocation.isURL(file) || KnowledgeBase.isSQLiteFile(file) {
            // Another knowledge base: scripts from its database copies, else from this project's folders.
            let path = PostgresLocation.isURL(file) ? file : URL(fileURLWithPath: file).standardizedFileURL.path
            let source = try KnowledgeBase.open(at: path, files: location.files, access: .read)
            sourceName = source.path
            document = try source.exportDocument()
        } else {
            document = try Self.decode(file)
        }
        let kb = try location.open(.write, create: true)
        if let sourceName, URL(fileURLWithPath: kb.path).standardizedFileURL.path == sourceName || kb.path == sourceName {
            throw CommandFailure(status: .usage, description: "\(kb.path): importing a knowledge base into itself")
        }
        let tty = isatty(STDERR_FILENO) != 0 && !options.json
        let summary = try kb.merge(document, batchSize: max(1, batch)) { done, total in
            if tty { FileHandle.standardError.write(Data("\rimporting trials: \(done)/\(total)".utf8)) }
        }
        if tty { FileHandle.standardError.write(Data("\n".utf8)) }
        if options.json {
            Console.out(KnowledgeOptions.json(summary))
            return
        }
        for line in summary.skipped { Console.note("skipped \(line)") }
        Console.out("""
            \(summary.hypothesesAdded) hypotheses added, \(summary.hypothesesMatched) already here; \
            \(summary.trialsAdded) trials added, \(summary.trialsAlreadyPresent) already here

            """)
    }

    static func decode(_ file: String) throws -> KnowledgeBase.Document {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandFailure(status: .usage, description: "\(file): cannot read the file")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(KnowledgeBase.Document.self, from: data)
        } catch {
            throw CommandFailure(status: .usage, description: "\(file): not a knowledge base export (\(Self.decodingProblem(error)))")
        }
    }

    static func decodingProblem(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case .dataCorrupted?:
            return "not valid JSON"
        default:
            return "\(error)"
        }
    }
}

struct KnowledgeCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check the database's integrity and that rows and script files agree.",
        discussion: reflow("""
            Runs SQLite's integrity and foreign-key checks (and, with --repair, the search indexes' own check), then compares every hypothesis and strategy row with its file and with the copy the database keeps: missing, edited, or a file with no row (what a crash between writing a script and committing its row leaves). --repair rebuilds the search indexes, adopts such files, restores a missing file from the database's copy and stores copies an older knowledge base lacks; nothing is ever deleted. On PostgreSQL the server checks pages, foreign keys and search indexes itself; the rows and files are compared the same way. Exits 6 on any error left.
            """))

    @Flag(help: "Rebuild broken search indexes and adopt scripts that lost their row.") var repair = false
    @OptionGroup var options: KnowledgeOptions

    func run() throws {
        let kb = try options.open(repair ? .write : .read)
        let report = try kb.check(repair: repair)
        if options.json {
            struct Checked: Encodable { let ok: Bool; let report: KnowledgeBase.CheckReport }
            Console.out(KnowledgeOptions.json(Checked(ok: report.ok, report: report)))
        } else {
            for f in report.findings {
                Console.out("\(f.repaired ? "repaired" : f.severity.rawValue): \(f.subject): \(f.message)\n")
            }
            let errors = report.findings.filter { $0.severity == .error && !$0.repaired }.count
            let warnings = report.findings.filter { $0.severity == .warning }.count
            Console.out("\(report.hypotheses) hypotheses, \(report.trials) trials, schema \(report.schema.last ?? "?"): "
                        + "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")\n")
        }
        if !report.ok { throw CommandFailure(status: .knowledgeError, description: "") }
    }
}
