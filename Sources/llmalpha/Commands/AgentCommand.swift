import Agent
import ArgumentParser
import Evaluation
import Foundation
import Knowledge
import LanguageModels
import LLMAlpha
import MarketData
import Validation

struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "The research agent: propose, validate, record, refine, promote.",
        discussion: reflow("""
            Examples:
              llmalpha agent research                      10 hypotheses on bundled BTCUSDT 1h, offline
              llmalpha agent research -c funding -n 20 -s BTC,ETH
              llmalpha agent research -r "volume confirms breakouts" --mode quick -n 50
              llmalpha agent research -p openai -m gpt-5.2 -n 20 --budget-usd 2
              llmalpha agent research -p ollama -m qwen2.5-coder:7b
              llmalpha agent prompt -c funding             what the model would be sent
              llmalpha agent research --resume             continue the last interrupted run
              llmalpha agent improve H007 -n 3             refine one hypothesis
              llmalpha agent status                        where the current or last run stands
              llmalpha agent analyze                       what the knowledge base has learned
              llmalpha agent research --workers 2 -n 20    two worker processes on one run
              llmalpha agent research --kb postgres://team@db/research --distributed -n 200
              llmalpha agent worker --kb postgres://team@db/research   on any number of machines
            """),
        subcommands: [AgentResearchCommand.self, AgentImproveCommand.self, AgentStatusCommand.self, AgentAnalyzeCommand.self,
                      AgentPromptCommand.self, AgentWorkerCommand.self])
}

/// The flags `research` and `improve` share.
struct AgentRunOptions: ParsableArguments {
    @Option(name: [.customShort("p"), .long], help: ArgumentHelp("Who proposes: offline, openai, anthropic, ollama, or auto (a configured key, else offline). (default: agent.llm.provider, auto)", valueName: "provider"))
    var provider: String?

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("The language model. (default: agent.llm.model)", valueName: "model"))
    var model: String?

    @Option(name: .customLong("base-url"), help: ArgumentHelp("Another host: an OpenAI-compatible server for -p openai (DeepSeek, vLLM, llama.cpp, LM Studio, OpenRouter), or an Anthropic or Ollama host. (default: OPENAI_BASE_URL / ANTHROPIC_BASE_URL / OLLAMA_HOST, else agent.llm.base_url)", valueName: "url"))
    var baseURL: String?

    @Option(name: .customLong("api-key"), help: ArgumentHelp("The provider's key (else OPENAI_API_KEY / ANTHROPIC_API_KEY from the environment or ./.env); never printed or recorded.", valueName: "key"))
    var apiKey: String?

    @Option(name: .customLong("budget-tokens"), help: ArgumentHelp("Stop once this run's model calls used this many tokens. (default: agent.budget_tokens, 0 = none)", valueName: "n"))
    var budgetTokens: Int?

    @Option(name: .customLong("budget-usd"), help: ArgumentHelp("Stop once this run's model calls cost this many dollars (configs/llm-prices.yaml). (default: agent.budget_usd, 0 = none)", valueName: "x"))
    var budgetUSD: Double?

    @Flag(name: .customLong("no-cache"), help: "Ask the model again even when the knowledge base holds the reply to the identical request.")
    var noCache = false

    @Option(name: .customLong("early-stop-sharpe"), help: ArgumentHelp("Stop once a validated strategy's walk-forward test Sharpe reaches this; 0 never. (default: agent.early_stop_sharpe, 1.5)", valueName: "x"))
    var earlyStopSharpe: Double?

    @Option(help: ArgumentHelp("How hypotheses are judged: quick, full, wf_only, rolling_only; only a full pass is promoted. (default: agent.validation.mode, full)", valueName: "mode"))
    var mode: String?

    @Option(help: ArgumentHelp("Optimizer trials per walk-forward training window. (default: validation.trials, 50)", valueName: "n"))
    var trials: Int?

    @Option(help: ArgumentHelp("Seed of the proposer: the same seed on the same knowledge base gives the same run; the optimizer keeps validation.seed. (default: validation.seed plus the runs already in the knowledge base: 42, 43, ...)", valueName: "n"))
    var seed: Int?

    @Option(name: .customLong("budget-minutes"), help: ArgumentHelp("Stop after this many minutes of work. (default: agent.budget_minutes, 0 = none)", valueName: "min"))
    var budgetMinutes: Double?

    @Option(help: ArgumentHelp("Scripts run at once. (default: the number of cores)", valueName: "n"))
    var jobs: Int?

    @Option(name: .customLong("kb"), help: ArgumentHelp("Knowledge base: a SQLite file or a postgres:// URL. \(KnowledgeHelp.defaults)", valueName: "path|url"))
    var knowledgePath: String?

    @Flag(name: .customLong("no-promote"), help: "Do not open the holdout of a full pass (promote later with llmalpha strategy promote).")
    var noPromote = false

    @Flag(name: .shortAndLong, help: "No live status and no line per hypothesis; only the summary.")
    var quiet = false

    @Flag(help: "Print one JSON document at the end instead of the summary.")
    var json = false

    func validate() throws {
        if let provider, AgentSettings.Provider(rawValue: provider) == nil {
            throw ValidationError("-p must be one of \(AgentSettings.Provider.allCases.map(\.rawValue).joined(separator: ", ")), got '\(provider)'")
        }
        if let mode, ValidationSettings.Mode(rawValue: mode) == nil {
            throw ValidationError("--mode must be quick, full, wf_only or rolling_only, got '\(mode)'")
        }
        if let trials, trials < 1 || trials > 100_000 { throw ValidationError("--trials must be in 1...100000, got \(trials)") }
        if let seed, seed < 0 { throw ValidationError("--seed must be 0 or more, got \(seed)") }
        if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be in 1...256, got \(jobs)") }
        if let x = earlyStopSharpe, !(x >= 0 && x.isFinite) { throw ValidationError("--early-stop-sharpe must be 0 or more, got \(x)") }
        if let x = budgetMinutes, !(x >= 0 && x.isFinite) { throw ValidationError("--budget-minutes must be 0 or more, got \(x)") }
        if let x = budgetTokens, x < 0 { throw ValidationError("--budget-tokens must be 0 or more, got \(x)") }
        if let x = budgetUSD, !(x >= 0 && x.isFinite) { throw ValidationError("--budget-usd must be 0 or more, got \(x)") }
        if let url = baseURL, !url.isEmpty, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--base-url must start with http:// or https://, got '\(url)'")
        }
    }

    /// What the suggested commands need to reach the same knowledge base.
    var hintArguments: String {
        KnowledgeHelp.hint(knowledgePath)
    }

    /// A researcher with these flags over the configuration.
    func researcher(_ configuration: Configuration, paths: ProjectPaths) throws -> Researcher {
        var configuration = configuration
        if let budgetMinutes { configuration.agent.budgetMinutes = budgetMinutes }
        let researcher = try Researcher(configuration: configuration, paths: paths)
        researcher.apiKey = apiKey
        researcher.baseURL = baseURL
        researcher.budgetTokens = budgetTokens
        researcher.budgetUSD = budgetUSD
        if noCache { researcher.cache = false }
        researcher.provider = provider.flatMap(AgentSettings.Provider.init(rawValue:))
        researcher.model = model
        researcher.mode = mode.flatMap(ValidationSettings.Mode.init(rawValue:))
        researcher.trials = trials
        researcher.seed = seed.map(UInt64.init)
        researcher.knowledgePath = knowledgePath
        researcher.promote = !noPromote
        researcher.earlyStopSharpe = earlyStopSharpe
        if let jobs { researcher.jobs = jobs }
        return researcher
    }
}

struct AgentResearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "research",
        abstract: "Run the research loop on the bundled (or your) data.",
        discussion: reflow("""
            Each iteration proposes a hypothesis (a Lua script: factor, signal, strategy),
            checks it, runs it in the sandbox, validates it (validation.* thresholds; the
            walk-forward test Sharpe must reach agent.validation.min_sharpe), and records the
            script, every trial and the verdict in the knowledge base. Every other iteration
            refines the best near-miss instead (its parameter ranges first, then its
            structure; with -c, one of that category), and no family takes more than a
            quarter of the iterations; a family whose refinements fail to beat its best
            in-sample score by 0.02 agent.max_consecutive_failures times in a row is
            abandoned. Survivors of a full validation open their locked holdout and are
            written to strategies/; every script goes to hypotheses/.

            The proposer sees train and validation numbers and failure reasons only: the
            walk-forward test and the holdout decide the verdict and the early stop, nothing
            else. A proposal whose factor is the same expression as a recorded one (up to
            parameter values) is not evaluated again.

            With -p openai|anthropic|ollama (or a key in the environment or ./.env: auto)
            a language model proposes: it is sent the prompt `llmalpha agent prompt` prints
            (the contract, the primitive reference, documented market effects, the data
            profile, what the knowledge base learned), its Lua is checked in the sandbox and
            errors go back to it for up to agent.llm.repair_rounds repairs. Every call is
            recorded with its tokens and cost (configs/llm-prices.yaml); identical requests
            are answered from the knowledge base (--no-cache to ask again); --budget-tokens
            and --budget-usd end the run between calls. Failed calls are retried as the
            official SDKs do; a bad key, no quota or an unknown model stop the run (exit 5)
            with what to do.

            Without a key the offline generator proposes: it composes factors from the
            primitive registry (momentum, mean reversion, breakouts, volatility, funding,
            open interest, volume), with signal rules, filters and stops, biased by a
            profile of the training bars. Deterministic for a --seed.

            Ctrl-C stops after the write in progress, marks the run interrupted and exits
            130; --resume continues it with the same seed stream (and provider).

            --workers N runs the iterations in N worker processes at once (both cores of
            a 2-core machine: --workers 2); --distributed only plans them, for `agent
            worker` processes on any machines sharing a PostgreSQL knowledge base (--kb
            postgres://...). Exit status:
            0 finished (a spent budget included), 1 the provider failed three times in a
            row, 2 usage, 4 data, 5 provider refused (key, quota, model), 6 knowledge base,
            130 interrupted.
            """))

    @Option(name: [.customShort("r"), .long], help: ArgumentHelp("A research direction, e.g. \"funding crowding after rallies\".", valueName: "text"))
    var research: String?

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("Stay in one category: \(ResearchCategory.allCases.map(\.rawValue).joined(separator: ", ")) (funding and open interest are downloaded when the store lacks them).", valueName: "category"))
    var category: String?

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Iterations (hypotheses). (default: agent.max_iterations, 10)", valueName: "n"))
    var iterations: Int?

    @Option(name: .long, defaultAsFlag: "", help: ArgumentHelp("Continue an interrupted run (the last one without a value) with its own settings.", valueName: "run"))
    var resume: String? = nil

    @Option(help: ArgumentHelp("Run the iterations in this many worker processes at once, on this machine.", valueName: "n"))
    var workers: Int?

    @Flag(help: "Only plan the run's iterations, for `llmalpha agent worker` processes on any machine sharing the knowledge base.")
    var distributed = false

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var agent: AgentRunOptions

    func validate() throws {
        if let workers, workers < 1 || workers > 64 { throw ValidationError("--workers must be in 1...64, got \(workers)") }
        if workers != nil, distributed { throw ValidationError("--workers runs workers here, --distributed leaves them to other machines; choose one") }
        if resume != nil, workers != nil || distributed {
            throw ValidationError("a run for workers continues with llmalpha agent worker --run RUN, not --resume")
        }
        if let resume {
            // A run resumes with its own settings; a flag that would change them is refused, not ignored.
            let changed = [("-r", research != nil), ("-c", category != nil), ("--mode", agent.mode != nil), ("--seed", agent.seed != nil),
                           ("--trials", agent.trials != nil), ("-s", dataOptions.symbol != nil), ("-i", dataOptions.interval != nil),
                           ("--data", dataOptions.data != nil), ("--from", dataOptions.from != nil), ("--to", dataOptions.to != nil)]
                .filter(\.1).map(\.0)
            if !changed.isEmpty {
                throw ValidationError("--resume\(resume.isEmpty ? "" : " \(resume)") continues the run with its own settings; drop "
                                      + changed.joined(separator: ", ") + " (-n, --early-stop-sharpe, --budget-*, -p/-m/--api-key/--base-url and --jobs may change)")
            }
        }
        if let category, ResearchCategory(rawValue: category) == nil {
            throw ValidationError("-c must be one of \(ResearchCategory.allCases.map(\.rawValue).joined(separator: ", ")), got '\(category)'")
        }
        if let iterations, iterations < 1 || iterations > 100_000 { throw ValidationError("-n must be in 1...100000, got \(iterations)") }
    }

    func run() throws {
        let paths = ProjectPaths()
        let configuration = try dataOptions.loadConfiguration(paths: paths)
        let researcher = try agent.researcher(configuration, paths: paths)
        researcher.iterations = iterations
        if resume == nil {
            try AgentSession.loadData(dataOptions, configuration: configuration, paths: paths, into: researcher,
                                      category: category.flatMap(ResearchCategory.init(rawValue:)))
        }
        if workers != nil || distributed {
            try plan(researcher, configuration: configuration, paths: paths)
            return
        }
        let stream = researcher.research(requirements: research, category: category.flatMap(ResearchCategory.init(rawValue:)),
                                         resume: resume)
        try AgentSession(options: agent).perform(stream, researcher: researcher)
    }

    /// --distributed and --workers: the run's iterations as work items, then (--workers) the
    /// worker processes and the run's result.
    private func plan(_ researcher: Researcher, configuration: Configuration, paths: ProjectPaths) throws {
        let run = try researcher.planWork(requirements: research, category: category.flatMap(ResearchCategory.init(rawValue:)))
        let location = KnowledgeLocation(configuration: configuration, paths: paths, override: agent.knowledgePath)
        let workerCommand = "llmalpha agent worker --run \(run.id)\(agent.hintArguments)"
        guard let workers else {
            if agent.json {
                Console.out(JSONValue.object([("run", .string(run.id)), ("iterations", .number(Double(run.maxIterations))),
                                              ("seed", .number(Double(run.seed))), ("worker_command", .string(workerCommand))]).rendered + "\n")
            } else {
                Console.out("\(run.id): \(ReportFormat.count(run.maxIterations, "iteration")) planned for workers, seed \(run.seed)\n"
                            + "start workers on any machine sharing the knowledge base:\n  \(workerCommand)\n"
                            + "watch them: llmalpha agent status \(run.id)\(agent.hintArguments)\n")
                if !location.isShared {
                    Console.note("note: \(location.database) is a SQLite file: only workers on this machine can share it "
                                 + "(--kb postgres://... for many machines)")
                }
            }
            return
        }
        if !agent.quiet { Console.note("research run \(run.id): \(ReportFormat.count(run.maxIterations, "iteration")), \(ReportFormat.count(workers, "worker")), seed \(run.seed)") }
        let failed = try LocalWorkers(count: workers, run: run, knowledge: location, dataOptions: dataOptions, agent: agent).perform()
        let kb = try location.open(.read)
        let status = try kb.workStatus(run: run.id)
        guard status.isComplete else {
            if let failed, failed != ExitStatus.interrupted.rawValue {
                throw CommandFailure(status: ExitStatus(rawValue: failed) ?? .scriptError,
                                     description: "a worker failed (exit \(failed)); \(status.pending + status.claimed) iterations are left: "
                                        + "continue with \(workerCommand)")
            }
            if agent.json, let partial = try? ResearchResult.load(run: run.id, knowledge: kb, session: [], stopReason: "interrupted") {
                Console.out(AgentText.resultJSON(partial).rendered + "\n")
            }
            Console.note("interrupted: \(status.done) of \(status.total) iterations done; continue with \(workerCommand)")
            throw ExitCode(ExitStatus.interrupted.rawValue)
        }
        let result = try ResearchResult.load(run: run.id, knowledge: kb, session: [], stopReason: (try kb.run(run.id)).stopReason ?? "")
        if agent.json {
            Console.out(AgentText.resultJSON(result).rendered + "\n")
        } else {
            Console.out(AgentText.summary(result, arguments: agent.hintArguments) + "\n")
        }
    }
}

struct AgentImproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "improve",
        abstract: "Refine one hypothesis: its parameter ranges first, then its structure.",
        discussion: reflow("""
            Each iteration writes a child script with parent = the hypothesis: the first
            narrows its parameter ranges around the values chosen in sample, the second
            shifts them, later ones add a trend or volatility filter or change the exit.
            Works on any recorded hypothesis, whoever wrote it. With -p openai|anthropic|
            ollama a language model writes each child from the hypothesis's script, its
            in-sample numbers and its failure reason.

            Example: llmalpha agent improve H007 -n 3
            """))

    @Argument(help: ArgumentHelp("The hypothesis to refine (H007).", valueName: "hypothesis"))
    var hypothesis: String

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Refinements to make.", valueName: "n"))
    var iterations: Int = 3

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var agent: AgentRunOptions

    func validate() throws {
        if iterations < 1 || iterations > 1000 { throw ValidationError("-n must be in 1...1000, got \(iterations)") }
    }

    func run() throws {
        let paths = ProjectPaths()
        let configuration = try dataOptions.loadConfiguration(paths: paths)
        let researcher = try agent.researcher(configuration, paths: paths)
        // The hypothesis must exist before any data is loaded.
        let kb = try researcher.openKnowledge()
        _ = try kb.hypothesis(hypothesis)
        // Without data flags, the data the hypothesis was researched on (the researcher finds it).
        if dataOptions.symbol != nil || dataOptions.data != nil || dataOptions.interval != nil || dataOptions.from != nil || dataOptions.to != nil {
            try AgentSession.loadData(dataOptions, configuration: configuration, paths: paths, into: researcher)
        }
        try AgentSession(options: agent).perform(researcher.improve(hypothesis, iterations: iterations), researcher: researcher)
    }
}

struct AgentStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Where the current or last research run stands.",
        discussion: reflow("""
            Iteration, stage, best validated strategy, counts (hypotheses, trials,
            validated, duplicates), failures in a row, elapsed time and spend, and the
            run's last hypotheses. A run whose process is gone shows as stale: resume it
            with llmalpha agent research --resume RUN.
            """))

    @Argument(help: ArgumentHelp("The run (R003); the newest by default.", valueName: "run"))
    var runID: String?

    @OptionGroup var options: KnowledgeOptions

    func run() throws {
        let kb = try options.open(.read)
        let run: ResearchRun
        if let runID {
            run = try kb.run(runID)
        } else {
            guard let newest = try kb.runs(limit: 1).first else {
                throw CommandFailure(status: .usage, description: "no research run in \(kb.path) yet (llmalpha agent research starts one)")
            }
            run = newest
        }
        let steps = try kb.steps(run: run.id)
        let names = Dictionary(try kb.hypotheses().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let spend = try kb.llmSpend(run: run.id)
        let work = try kb.hasWork(run: run.id) ? try kb.workStatus(run: run.id) : nil
        let lifetime = try kb.trialCount()
        if options.json {
            Console.out(AgentText.statusJSON(run, steps: steps, names: names, spend: spend, work: work, lifetimeTrials: lifetime).rendered + "\n")
        } else {
            Console.out(AgentText.status(run, steps: steps, names: names, spend: spend, work: work, lifetimeTrials: lifetime,
                                         arguments: KnowledgeHelp.hint(options.path)))
        }
    }
}

struct AgentAnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "What the knowledge base has learned, and what to try next.",
        discussion: reflow("""
            Categories and families with where their hypotheses stopped, the failure
            reasons ranked with advice, the near-misses with the parameters chosen in
            sample, and concrete commands for the next run.

            With -p openai|anthropic|ollama (or agent.llm.provider set to one of them) a
            language model reads the report too and adds its summary and three next
            directions; the call is recorded and priced like the agent's. Without -p
            nothing is sent anywhere.

            Examples:
              llmalpha agent analyze
              llmalpha agent analyze -p anthropic -m claude-sonnet-4-5
            """))

    @OptionGroup var options: KnowledgeOptions

    @Option(name: [.customShort("p"), .long], help: ArgumentHelp("A language model to read the report: openai, anthropic, ollama. (default: none unless agent.llm.provider names one)", valueName: "provider"))
    var provider: String?

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("The language model. (default: agent.llm.model, else the provider's)", valueName: "model"))
    var model: String?

    @Option(name: .customLong("base-url"), help: ArgumentHelp("Another host for the provider.", valueName: "url"))
    var baseURL: String?

    @Option(name: .customLong("api-key"), help: ArgumentHelp("The provider's key (else the environment or ./.env); never printed.", valueName: "key"))
    var apiKey: String?

    func validate() throws {
        if let provider, !["openai", "anthropic", "ollama"].contains(provider) {
            throw ValidationError("-p for analyze names the model that reads the report: openai, anthropic or ollama, got '\(provider)'")
        }
    }

    func run() throws {
        let kb = try options.open(.read)
        let analysis = try KnowledgeAnalysis.of(kb, arguments: KnowledgeHelp.hint(options.path))
        let paths = ProjectPaths()
        let researcher = try Researcher(configuration: try options.configuration(paths: paths), paths: paths)
        researcher.provider = provider.flatMap(AgentSettings.Provider.init(rawValue:))
        researcher.model = model
        researcher.baseURL = baseURL
        researcher.apiKey = apiKey
        researcher.knowledgePath = options.path
        let reading = try Blocking.run { () async -> Result<(model: String, text: String)?, any Error> in
            do { return .success(try await researcher.interpret(analysis)) } catch { return .failure(error) }
        }.get()
        if options.json {
            var document = KnowledgeOptions.json(analysis)
            if let reading, let object = try? JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any],
               let data = try? JSONSerialization.data(withJSONObject: object.merging(["model_reading": ["model": reading.model, "text": reading.text]]) { a, _ in a },
                                                      options: [.prettyPrinted, .sortedKeys]) {
                document = String(decoding: data, as: UTF8.self) + "\n"
            }
            Console.out(document)
        } else {
            Console.out(analysis.text + "\n")
            if let reading { Console.out("\nA reading by \(reading.model):\n\(reading.text)\n") }
        }
    }
}

struct AgentPromptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompt",
        abstract: "Print the prompt a language model is sent for a new hypothesis.",
        discussion: reflow("""
            Exactly what `agent research -p ...` would send first with the same flags: the
            system message (how to write a script, the hypothesis contract and the primitive
            reference of `llmalpha docs`, the documented effects of agent.market_knowledge,
            two or three example scripts from the project's strategies/) and the user message
            (the profile of the walk-forward training bars, what the knowledge base has
            learned when agent.learn_from_failures is on, the direction and category). Needs
            no key and calls nothing; its size goes to stderr.

            Examples:
              llmalpha agent prompt -c funding -s BTC
              llmalpha agent prompt -r "BTC leads alts" --json | jq -r '.[1].content'
            """))

    @Option(name: [.customShort("r"), .long], help: ArgumentHelp("A research direction, as for research.", valueName: "text"))
    var research: String?

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("A category, as for research: \(ResearchCategory.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "category"))
    var category: String?

    @Option(name: .customLong("kb"), help: ArgumentHelp("Knowledge base whose failures and strategies the prompt draws on: a file or a postgres:// URL. \(KnowledgeHelp.defaults)", valueName: "path|url"))
    var knowledgePath: String?

    @OptionGroup var dataOptions: DataOptions

    @Flag(help: "Print the messages as a JSON array of {role, content}.")
    var json = false

    func validate() throws {
        if let category, ResearchCategory(rawValue: category) == nil {
            throw ValidationError("-c must be one of \(ResearchCategory.allCases.map(\.rawValue).joined(separator: ", ")), got '\(category)'")
        }
    }

    func run() throws {
        let paths = ProjectPaths()
        let configuration = try dataOptions.loadConfiguration(paths: paths)
        let researcher = try Researcher(configuration: configuration, paths: paths)
        researcher.knowledgePath = knowledgePath
        try AgentSession.loadData(dataOptions, configuration: configuration, paths: paths, into: researcher)
        let (research, category) = (self.research, self.category.flatMap(ResearchCategory.init(rawValue:)))
        let outcome = Blocking.run { () async -> Result<[ChatMessage], any Error> in
            do { return .success(try await researcher.prompt(requirements: research, category: category)) } catch { return .failure(error) }
        }
        let messages = try outcome.get()
        if json {
            Console.out(JSONValue.array(messages.map { .object([("role", .string($0.role.rawValue)), ("content", .string($0.content))]) })
                .rendered + "\n")
        } else {
            Console.out(messages.map { "## \($0.role.rawValue)\n\n\($0.content)\n" }.joined(separator: "\n"))
        }
        let characters = messages.reduce(0) { $0 + $1.content.count }
        Console.note("prompt: \(messages.count) messages, \(characters) characters (about \(characters / 4) tokens)")
    }
}

/// One research or improve run on the command line: the live status, a line per hypothesis,
/// Ctrl-C, and the summary or JSON at the end.
struct AgentSession {
    let options: AgentRunOptions
    /// What continues the run after Ctrl-C (a worker's is `agent worker --run R`).
    var resumeCommand: String? = nil

    /// Loads the bars of the data flags (downloading missing ones as `run` does) into the researcher.
    /// - Parameter category: `-c`: the column it needs (funding, open interest) is downloaded
    ///   over the bars' span when the store lacks it, unless `--no-download` or `--data`.
    static func loadData(_ dataOptions: DataOptions, configuration: Configuration, paths: ProjectPaths, into researcher: Researcher,
                         category: ResearchCategory? = nil) throws {
        let store = MarketStore(root: paths.dataDirectory(configuration.data.directory))
        let (from, to) = try dataOptions.bounds()
        researcher.bars = try dataOptions.symbols(configuration).map { symbol in
            let request = dataOptions.fullRequest(configuration, symbol: symbol)
            let bars = try dataOptions.loadBars(request, store: store)
            guard let column = category?.requiredColumn, !DataProfile.columns(of: bars).contains(column),
                  !dataOptions.noDownload, dataOptions.data == nil, let first = bars.time.first, let last = bars.time.last else { return bars }
            try MissingData.download(column, symbol: bars.symbol, from: first, to: last, store: store)
            return try dataOptions.loadBars(request, store: store)
        }
        researcher.symbols = researcher.bars!.map(\.symbol)
        researcher.interval = configuration.data.interval
        researcher.from = from
        researcher.to = to
        researcher.dataFile = dataOptions.data
    }

    func perform(_ stream: AsyncThrowingStream<ResearchEvent, any Error>, researcher: Researcher) throws {
        let interrupt = InterruptHandler { researcher.interrupt() }
        defer { interrupt.cancel() }
        let quiet = options.quiet
        // The live line only on a terminal; elsewhere a line per finished hypothesis is the log.
        let status = StatusLine(enabled: !quiet && isatty(STDERR_FILENO) != 0)
        let lines = !quiet
        let display = LiveState()
        let outcome = Blocking.run { () async -> Result<ResearchResult, any Error> in
            do {
                for try await event in stream {
                    switch event {
                    case .started(let run, let profile, let resumed):
                        display.started(run)
                        if lines {
                            Console.note("\(resumed ? "resuming" : "research run") \(run.id): \(ReportFormat.count(run.maxIterations, "iteration")), seed \(run.seed), "
                                         + "\(run.settings["symbols"] ?? "") \(run.settings["interval"] ?? ""), mode \(run.settings["mode"] ?? "")")
                            for line in profile.summary.split(separator: "\n") { Console.note("  " + line) }
                        }
                    case .proposing(let i, let attempt, let action, let target):
                        status.update(display.heading(i, "proposing" + (action == .refine ? " a refinement of \(target ?? "")" : "")
                                                      + (attempt > 0 ? " (attempt \(attempt + 1))" : "")))
                    case .validating(let i, let name, let stage, let done, let total):
                        status.update(display.heading(i, "\(name): \(stage)"), detail: total > 0 ? "\(done)/\(total)" : "")
                    case .duplicate(_, let name, let of):
                        if lines { status.finish(); Console.note("  duplicate: \(name) repeats \(of); proposing again") }
                    case .finished(let record):
                        display.finished(record)
                        if lines { status.finish(); Console.note(AgentText.line(record, of: display.total)) }
                    case .note(let text):
                        if lines { status.finish(); Console.note(text) }
                    case .sourceProgress(let i, let text):
                        status.update(display.heading(i, "proposing"), detail: text)
                    case .completed(let result):
                        status.finish()
                        return .success(result)
                    }
                }
                return .failure(AgentError.interrupted)
            } catch {
                status.finish()
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let result):
            if options.json {
                Console.out(AgentText.resultJSON(result).rendered + "\n")
            } else {
                Console.out(AgentText.summary(result, arguments: options.hintArguments) + "\n")
            }
        case .failure(let error):
            if case AgentError.interrupted = error {
                // A script reading --json gets the document even so: the run as far as it went.
                if options.json, let id = display.runID, let knowledge = try? researcher.openKnowledge(),
                   let partial = try? ResearchResult.load(run: id, knowledge: knowledge, session: [], stopReason: "interrupted") {
                    Console.out(AgentText.resultJSON(partial).rendered + "\n")
                }
                Console.note("interrupted: the run is saved; continue it with "
                             + (resumeCommand ?? "llmalpha agent research --resume\(options.hintArguments)"))
            }
            throw error
        }
    }
}

/// What the live status line knows: the run's size, the best so far, the clock.
final class LiveState: @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`; events arrive from the loop's task.
    private let lock = NSLock()
    private var started = Date()
    private(set) var total = 0
    private var validated = 0
    private var best: Double?
    private var run: String?
    /// The run's id once it started.
    var runID: String? { lock.lock(); defer { lock.unlock() }; return run }

    func started(_ run: ResearchRun) {
        lock.lock(); defer { lock.unlock() }
        self.run = run.id
        total = run.maxIterations
        validated = run.validated
        best = run.bestTestSharpe
        started = Date()
    }

    func finished(_ r: IterationRecord) {
        lock.lock(); defer { lock.unlock() }
        if r.verdict == .validated {
            validated += 1
            if let s = r.testSharpe, s > (best ?? -.infinity) { best = s }
        }
    }

    func heading(_ iteration: Int, _ what: String) -> String {
        lock.lock(); defer { lock.unlock() }
        let elapsed = Int(Date().timeIntervalSince(started))
        let bestText = best.map { String(format: "best test Sharpe %.2f", $0) } ?? "no strategy yet"
        return "[\(iteration + 1)/\(total)] \(what)  ·  \(validated) validated, \(bestText), \(elapsed / 60)m\(String(format: "%02d", elapsed % 60))s"
    }
}
