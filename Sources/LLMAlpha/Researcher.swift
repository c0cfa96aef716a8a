public import Agent
import Evaluation
import LanguageModels
import Foundation
public import Knowledge
public import MarketData
public import Validation

/// The research agent as a Swift API: proposes hypotheses, runs them in the sandbox, validates
/// them, records everything in the knowledge base, refines near-misses, and promotes survivors
/// to `strategies/` (DESIGN.md section 8).
///
/// ```swift
/// import LLMAlpha
///
/// let researcher = try Researcher()                 // configs/default.yaml, bundled data, offline
/// researcher.iterations = 10
/// researcher.symbols = ["BTCUSDT"]
/// for try await event in researcher.research(requirements: "funding crowding", category: .funding) {
///     if case .finished(let r) = event { print(r.hypothesis ?? "-", r.name, r.verdict, r.keyNumber) }
///     if case .completed(let result) = event { print(result.summary()) }
/// }
/// ```
public final class Researcher: @unchecked Sendable {
    // @unchecked Sendable: the settings are set before `research` is called; `current` (the loop
    // running now, for `interrupt`) is guarded by `lock`.

    /// Every setting; the properties below override parts of it for the next run.
    public var configuration: Configuration
    /// Where `configs/`, `data/`, `hypotheses/` and `strategies/` are (the checkout by default).
    public var paths: ProjectPaths
    /// Who proposes: `.auto` (the configured language model, else offline), `.offline`, ...
    public var provider: AgentSettings.Provider?
    /// The language model's name (`-m`); nil: `agent.llm.model`, or the provider's default.
    public var model: String?
    /// Iterations of one run (`-n`).
    public var iterations: Int?
    /// How far validation goes (`--mode`: quick, full, wf_only, rolling_only); nil:
    /// `agent.validation.mode`. Only a full pass is promoted.
    public var mode: ValidationSettings.Mode?
    /// Optimizer trials on the walk-forward training window.
    public var trials: Int?
    /// The run's seed (`--seed`): the same seed on the same knowledge base proposes the same scripts.
    public var seed: UInt64?
    /// Symbols loaded from the store (the default is `data.symbol`).
    public var symbols: [String]?
    /// The bars' interval in the store, e.g. `"1h"` (the default is `data.interval`).
    public var interval: String?
    /// The span to research, ms since 1970 UTC (the locked holdout is cut before it applies).
    public var from: Double?
    /// The span's end, ms since 1970 UTC (nil: the last bar).
    public var to: Double?
    /// Your own bars instead of the store's, every bar you have: the locked holdout is cut from their end.
    public var bars: [Bars]?
    /// The file `bars` came from, for promoted strategies' rerun line.
    public var dataFile: String?
    /// `--kb PATH`; nil: `knowledge.path`.
    public var knowledgePath: String?
    /// Threads for the optimizer's trials (every core by default).
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Promote a full pass (open its holdout, write `strategies/S0NN-<name>.lua`).
    public var promote = true
    /// Stop once a validated strategy's walk-forward test Sharpe reaches this (0: never); nil:
    /// `agent.early_stop_sharpe`, or a resumed run's own.
    public var earlyStopSharpe: Double?
    /// A proposer of your own (a scripted list, a model client); nil: from `provider`.
    public var source: (any HypothesisSource)?
    /// `--api-key`: wins over the environment and `.env`. Never recorded or printed.
    public var apiKey: String?
    /// `--base-url`: an OpenAI-compatible server (or another Anthropic or Ollama host).
    public var baseURL: String?
    /// Stop once the run's model calls used this many tokens (nil: `agent.budget_tokens`).
    public var budgetTokens: Int?
    /// Stop once the run's model calls cost this many dollars (nil: `agent.budget_usd`).
    public var budgetUSD: Double?
    /// Answer identical model requests from the knowledge base (nil: `agent.llm.cache`).
    public var cache: Bool?

    private let lock = NSLock()
    private var current: ResearchLoop?
    private var interrupted = false

    /// - Parameters:
    ///   - configuration: nil loads `configs/default.yaml` of the project and the environment.
    public init(configuration: Configuration? = nil, paths: ProjectPaths = ProjectPaths()) throws(ConfigurationError) {
        self.paths = paths
        if let configuration {
            self.configuration = configuration
        } else {
            self.configuration = try Configuration.load(projectFile: paths.defaultConfigFile, file: nil,
                                                        environment: ProcessInfo.processInfo.environment)
        }
    }

    /// Runs the loop: an async sequence of events ending in ``ResearchEvent/completed(_:)``.
    /// - Parameters:
    ///   - requirements: a research direction in words (`-r`), matched against the generator's
    ///     building blocks (and given to a language model).
    ///   - category: stay in one category (`-c`).
    ///   - resume: continue an interrupted run (R003) with its own settings.
    public func research(requirements: String? = nil, category: ResearchCategory? = nil,
                         resume: String? = nil) -> AsyncThrowingStream<ResearchEvent, any Error> {
        stream { [self] in try prepare(direction: requirements, category: category, improve: nil, resume: resume) }
    }

    /// Refines one hypothesis `iterations` times (parameters first, then structure); each child is
    /// recorded with `parent` = `hypothesis`.
    public func improve(_ hypothesis: String, iterations: Int = 3) -> AsyncThrowingStream<ResearchEvent, any Error> {
        stream { [self] in
            self.iterations = iterations
            return try prepare(direction: nil, category: nil, improve: hypothesis, resume: nil)
        }
    }

    /// Runs to the end and returns the result.
    public func run(requirements: String? = nil, category: ResearchCategory? = nil) async throws -> ResearchResult {
        for try await event in research(requirements: requirements, category: category) {
            if case .completed(let result) = event { return result }
        }
        throw AgentError.interrupted
    }

    /// The messages a language model would be sent for the first hypothesis of a new run with
    /// these settings: what `llmalpha agent prompt` prints. Needs no key and calls nothing.
    public func prompt(requirements: String? = nil, category: ResearchCategory? = nil) async throws -> [ChatMessage] {
        let saved = source
        source = OfflineGenerator(interval: interval ?? configuration.data.interval)
        defer { source = saved }
        let prepared = try prepare(direction: requirements, category: category, improve: nil, resume: nil)
        let request = try await prepared.loop.firstRequest()
        var unbudgeted = configuration   // showing a prompt spends nothing
        unbudgeted.agent.budgetUSD = 0
        let setup = try LanguageModelSetup.make(provider: .openai, model: model, apiKey: nil, baseURL: nil, configuration: unbudgeted,
                                                paths: paths, knowledge: prepared.loop.knowledge)
        return ResearchPrompt.messages(for: request, context: setup.context)
    }

    /// Starts a run for workers (`agent research --distributed` or `--workers N`): its
    /// iterations become work items in the knowledge base, with the data's hashes, and nothing
    /// is evaluated here; ``work(run:settings:)``, in this process or any other sharing the
    /// knowledge base, evaluates them.
    public func planWork(requirements: String? = nil, category: ResearchCategory? = nil) throws -> ResearchRun {
        let prepared = try prepare(direction: requirements, category: category, improve: nil, resume: nil)
        // Hashed as workers will hash theirs: cut to the span (funding settlements past the last bar dropped).
        let spans = Self.dataSpans(prepared.bars)
        return try prepared.loop.plan(extraSettings: ["data_hashes": Self.dataHashes(Self.trim(prepared.bars, to: spans)), "workers": "true",
                                                      "data_span": spans])
    }

    /// The newest run of the knowledge base with work left to claim.
    public func runWithOpenWork(grace: Double) throws -> String? {
        try KnowledgeLocation(configuration: configuration, paths: paths, override: knowledgePath).open(.write, create: false)
            .runWithOpenWork(grace: grace)
    }

    /// Works on a planned run's items until none is left (`agent worker`): the run's own
    /// settings, provider and data, refused when this machine's bars differ from the run's.
    public func work(run: String, settings: WorkerSettings = WorkerSettings()) -> AsyncThrowingStream<ResearchEvent, any Error> {
        stream { [self] in
            let kb = try KnowledgeLocation(configuration: configuration, paths: paths, override: knowledgePath).open(.write, create: false)
            let planned = try kb.run(run)
            guard try kb.hasWork(run: planned.id) else {
                throw AgentError.usage("\(planned.id) was not started for workers (agent research --workers or --distributed); "
                                       + "continue it with llmalpha agent research --resume \(planned.id)")
            }
            var prepared = try prepare(direction: nil, category: nil, improve: nil, resume: planned.id, worker: true)
            try Self.checkData(prepared.bars, against: planned, dataFile: planned.settings["data"], paths: paths, configuration: configuration)
            prepared.work = settings
            return prepared
        }
    }

    /// `SYMBOL INTERVAL=sha256` per series, every bar (the locked holdout too: promotions open it),
    /// in order: what a worker's bars must match.
    static func dataHashes(_ data: [Bars]) -> String {
        data.map { "\($0.symbol) \($0.interval)=\(TrialRecording.dataSpan($0).hash)" }.joined(separator: ";")
    }

    /// `SYMBOL INTERVAL=first..last` open times (ms) per series: the bars a run was planned on.
    static func dataSpans(_ data: [Bars]) -> String {
        data.map { "\($0.symbol) \($0.interval)=\(Int64($0.time.first ?? 0))..\(Int64($0.time.last ?? 0))" }.joined(separator: ";")
    }

    /// Each series cut to its recorded span (a series without one is left whole).
    static func trim(_ data: [Bars], to spans: String) -> [Bars] {
        var bounds: [String: (Double, Double)] = [:]
        for entry in spans.split(separator: ";") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            let range = parts.last?.components(separatedBy: "..") ?? []
            if parts.count == 2, range.count == 2, let a = Double(range[0]), let b = Double(range[1]) { bounds[String(parts[0])] = (a, b) }
        }
        return data.map { bars in
            guard let (first, last) = bounds["\(bars.symbol) \(bars.interval)"] else { return bars }
            let lo = bars.time.firstIndex { $0 >= first } ?? bars.count
            let hi = bars.time.lastIndex { $0 <= last }.map { $0 + 1 } ?? 0
            return lo < hi ? bars.slice(lo..<hi) : bars.slice(0..<0)
        }
    }

    /// Refuses bars that are not the ones the run was planned on, naming the series and its file.
    static func checkData(_ data: [Bars], against run: ResearchRun, dataFile: String?, paths: ProjectPaths,
                          configuration: Configuration) throws {
        guard let recorded = run.settings["data_hashes"] else { return }
        let expected = Dictionary(recorded.split(separator: ";").compactMap { entry -> (String, String)? in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }, uniquingKeysWith: { a, _ in a })
        for bars in data {
            let key = "\(bars.symbol) \(bars.interval)"
            let hash = TrialRecording.dataSpan(bars).hash
            guard let want = expected[key], want != hash else { continue }
            let file = dataFile ?? MarketStore(root: paths.dataDirectory(configuration.data.directory))
                .folder(symbol: bars.symbol, dataset: bars.interval)
            throw DataError(file: file, "\(key) differs from the bars \(run.id) was planned on (sha256 \(hash.prefix(12))… here, "
                            + "\(want.prefix(12))… in the run); this worker will not contribute",
                            hint: "give it the same data: the same --data-dir (data.dir) or the same download, then start it again")
        }
    }

    /// Stops the run in progress (Ctrl-C): its iteration is left for `resume`.
    public func interrupt() {
        lock.lock()
        interrupted = true
        let loop = current
        lock.unlock()
        loop?.interrupt()
    }

    /// Makes `loop` the one `interrupt` stops; true when an interrupt came before it started.
    private func attach(_ loop: ResearchLoop?) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        current = loop
        return interrupted
    }

    /// The knowledge base this researcher writes, opened (created on first use).
    public func openKnowledge() throws(KnowledgeError) -> KnowledgeBase {
        try KnowledgeLocation(configuration: configuration, paths: paths, override: knowledgePath).open(.write, create: true)
    }

    /// What the knowledge base has learned.
    public func analyze() throws(KnowledgeError) -> KnowledgeAnalysis {
        let location = KnowledgeLocation(configuration: configuration, paths: paths, override: knowledgePath)
        return try KnowledgeAnalysis.of(location.open(.read))
    }

    /// A language model's reading of ``analyze()``: what worked, what failed, what next. `nil`
    /// unless a model is chosen (`provider`, or `agent.llm.provider` other than auto and offline):
    /// `analyze` never spends money unasked.
    public func interpret(_ analysis: KnowledgeAnalysis) async throws -> (model: String, text: String)? {
        let chosen = provider ?? configuration.agent.provider
        guard let modelProvider = LanguageModelProvider(rawValue: chosen.rawValue) else { return nil }
        let kb = try openKnowledge()
        let setup = try LanguageModelSetup.make(provider: modelProvider, model: model, apiKey: apiKey, baseURL: baseURL,
                                                configuration: configuration, paths: paths, knowledge: kb)
        try setup.requireKey()
        return (setup.settings.model, try await setup.source(knowledge: kb).interpret(analysis.text))
    }

    // MARK: -

    private struct Prepared {
        let loop: ResearchLoop
        let resume: ResearchRun?
        let notes: [String]
        /// Every bar loaded, the locked holdout included (what a worker's data must match).
        let bars: [Bars]
        /// Work on `resume`'s items as a worker instead of running it.
        var work: WorkerSettings? = nil
    }

    private func stream(_ make: @escaping @Sendable () throws -> Prepared) -> AsyncThrowingStream<ResearchEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let prepared = try make()
                    if attach(prepared.loop) { prepared.loop.interrupt() }
                    // Notes (which proposer) follow the start, so a run refused at its start prints one line.
                    let events: @Sendable (ResearchEvent) -> Void = { event in
                        continuation.yield(event)
                        if case .started = event { for note in prepared.notes { continuation.yield(.note(note)) } }
                    }
                    if let work = prepared.work, let run = prepared.resume {
                        _ = try await prepared.loop.work(run: run, settings: work, events: events)
                    } else {
                        _ = try await prepared.loop.run(resume: prepared.resume, events: events)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
                _ = attach(nil)
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Resolves the settings (a resumed run's own), the source, the data and the knowledge base.
    private func prepare(direction: String?, category: ResearchCategory?, improve: String?, resume: String?,
                         worker: Bool = false) throws -> Prepared {
        // A run to resume must already be there: never create a knowledge base for it.
        let kb = try resume == nil ? openKnowledge()
            : KnowledgeLocation(configuration: configuration, paths: paths, override: knowledgePath).open(.write, create: false)
        var direction = direction, category = category, improve = improve
        var config = configuration
        var symbols = self.symbols ?? [config.data.symbol]
        var interval = self.interval ?? config.data.interval
        var from = self.from, to = self.to
        var dataFile = self.dataFile
        var iterations = self.iterations ?? config.agent.maxIterations
        // Without a seed, each new run takes the next one after the configured seed (decided as
        // the run is numbered): two runs on one knowledge base explore differently.
        var seed = self.seed ?? UInt64(config.validation.seed)
        var promote = self.promote
        if let earlyStopSharpe { config.agent.earlyStopSharpe = earlyStopSharpe }
        var resumed: ResearchRun? = nil
        if let mode { config.agent.validationMode = mode }
        if let trials { config.validation.trials = trials }

        if let resume {
            let run = try resume.isEmpty ? Self.latestResumable(kb) : kb.run(resume)
            if !worker, run.settings["workers"] == "true" {
                throw AgentError.usage("\(run.id) is a run for workers: continue it with llmalpha agent worker --run \(run.id)")
            }
            let s = run.settings
            direction = s["direction"]
            category = s["category"].flatMap(ResearchCategory.init(rawValue:))
            improve = s["improve"]
            symbols = s["symbols"].map { $0.split(separator: ",").map(String.init) } ?? symbols
            interval = s["interval"] ?? interval
            from = s["from"].flatMap(Double.init)
            to = s["to"].flatMap(Double.init)
            dataFile = s["data"]
            if let m = s["mode"].flatMap(ValidationSettings.Mode.init(rawValue:)) { config.agent.validationMode = m }
            if let t = s["trials"].flatMap(Int.init) { config.validation.trials = t }
            if self.iterations == nil { iterations = run.maxIterations }
            guard worker || iterations > run.iteration || (run.state != .finished && iterations == run.iteration) else {
                throw AgentError.usage("\(run.id) \(run.state == .finished ? "finished" : "stopped") after \(run.iteration) iterations"
                                       + (run.stopReason.map { " (\($0))" } ?? "") + "; continue it with --resume \(run.id) -n N, N above \(run.iteration)")
            }
            if earlyStopSharpe == nil, let x = s["early_stop_sharpe"].flatMap(Double.init) { config.agent.earlyStopSharpe = x }
            if s["promote"] == "false" { promote = false }
            seed = run.seed
            resumed = run
        } else if let improve, bars == nil, self.dataFile == nil, self.symbols == nil {
            // Improve on the data the hypothesis was researched on, unless told otherwise.
            if let origin = try Self.origin(of: improve, in: kb) {
                symbols = origin.symbols
                interval = origin.interval
                dataFile = origin.dataFile
                from = origin.from ?? from
                to = origin.to ?? to
            }
        }
        if let file = dataFile, !file.hasPrefix("/") {
            // Recorded whole, so --resume and improve find it from any directory.
            dataFile = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(file)
        }

        if let budgetTokens { config.agent.budgetTokens = budgetTokens }
        if let budgetUSD { config.agent.budgetUSD = budgetUSD }
        if let cache { config.agent.cache = cache }
        var provider = self.provider, model = self.model, baseURL = self.baseURL
        if let run = resumed {
            // The run's own proposer, unless told otherwise.
            let s = run.settings
            if provider == nil { provider = s["provider"].flatMap(AgentSettings.Provider.init(rawValue:)) }
            if model == nil { model = s["model"] }
            if baseURL == nil { baseURL = s["base_url"] }
            if budgetTokens == nil, let b = s["budget_tokens"].flatMap(Int.init) { config.agent.budgetTokens = b }
            if budgetUSD == nil, let b = s["budget_usd"].flatMap(Double.init) { config.agent.budgetUSD = b }
            if worker, let b = s["budget_minutes"].flatMap(Double.init) { config.agent.budgetMinutes = b }
        }
        var notes: [String] = []
        let source: any HypothesisSource
        var chosen: (provider: String, model: String?, baseURL: String?) = ("custom", nil, nil)
        if let custom = self.source {
            source = custom
        } else {
            let choice = try ProviderChoice.resolve(provider ?? config.agent.provider, model: model, apiKey: apiKey, baseURL: baseURL,
                                                    interval: interval, configuration: config, paths: paths, knowledge: kb)
            source = choice.source
            notes += choice.notes
            chosen = (choice.provider, choice.model, choice.baseURL)
        }

        // Data: every bar, the locked holdout cut off the end, then the span.
        var fulls: [Bars]
        if let bars {
            fulls = bars
            symbols = bars.map(\.symbol)
        } else if let file = dataFile {
            fulls = [try BarsRequest(symbol: symbols.first ?? "CSV", interval: interval, file: file).load(from: store(config))]
        } else {
            fulls = try symbols.map { try BarsRequest(symbol: BarsRequest.normalizeSymbol($0), interval: interval).load(from: store(config)) }
        }
        // A worker's store may hold more bars than the planner's did (downloaded later, or further
        // back): the run's bars are the ones between its planned first and last.
        if worker, let spans = resumed?.settings["data_span"] { fulls = Self.trim(fulls, to: spans) }
        let visible = try LockedHoldout.visible(fulls, fraction: config.validation.honesty.holdout, from: from, to: to)
        let known = Dictionary(fulls.map { ("\($0.symbol) \($0.interval)", $0) }, uniquingKeysWith: { a, _ in a })

        var evaluation = config.evaluation
        evaluation.sandbox.timeout = min(evaluation.sandbox.timeout, config.agent.sandboxTimeout)
        var recorded: [String: String] = ["symbols": symbols.joined(separator: ","), "interval": interval,
                                          "trials": String(config.validation.trials)]
        if let from { recorded["from"] = String(from) }
        if let to { recorded["to"] = String(to) }
        if let dataFile { recorded["data"] = dataFile }
        recorded["early_stop_sharpe"] = String(config.agent.earlyStopSharpe)
        recorded["promote"] = String(promote)
        recorded["provider"] = chosen.provider
        if let m = chosen.model { recorded["model"] = m }
        if let b = chosen.baseURL { recorded["base_url"] = b }
        if config.agent.budgetTokens > 0 { recorded["budget_tokens"] = String(config.agent.budgetTokens) }
        if config.agent.budgetUSD > 0 { recorded["budget_usd"] = String(config.agent.budgetUSD) }
        // Workers share the run's clock: its time budget goes with it.
        if config.agent.budgetMinutes > 0 { recorded["budget_minutes"] = String(config.agent.budgetMinutes) }
        var options = ResearchOptions(direction: direction, category: category, improve: improve, iterations: iterations, seed: seed,
                                      agent: config.agent, validation: config.agent.validation(config.validation), evaluation: evaluation,
                                      jobs: jobs, promote: promote, version: LLMAlphaVersion.current, dataFile: dataFile, recorded: recorded)
        options.offsetSeed = self.seed == nil && resumed == nil
        let storeRoot = store(config)
        let loop = ResearchLoop(knowledge: kb, source: source, data: visible, options: options) { symbol, interval in
            if let bars = known["\(symbol) \(interval)"] { return bars }
            return try BarsRequest(symbol: symbol, interval: interval).load(from: storeRoot)
        }
        return Prepared(loop: loop, resume: resumed, notes: notes, bars: fulls)
    }

    private func store(_ config: Configuration) -> MarketStore {
        MarketStore(root: paths.dataDirectory(config.data.directory))
    }

    /// `--resume` without a run: the newest run that did not finish.
    static func latestResumable(_ kb: KnowledgeBase) throws -> ResearchRun {
        let runs = try kb.runs(limit: 10_000)
        guard let newest = runs.first else {
            throw AgentError.usage("--resume: this knowledge base has no research run yet (llmalpha agent research starts one)")
        }
        // Not one that is running now in another process.
        let host = ProcessInfo.processInfo.hostName
        let alive = { (r: ResearchRun) in r.state == .running && (r.host != host || kill(pid_t(r.pid), 0) == 0 || errno == EPERM) }
        // Runs for workers continue with `agent worker`, not here.
        guard let run = runs.first(where: { $0.state != .finished && !alive($0) && $0.settings["workers"] != "true" }) else {
            if let busy = runs.first(where: alive) {
                throw AgentError.usage("--resume: no stopped research run; \(busy.id) is running now (pid \(busy.pid))")
            }
            throw AgentError.usage("--resume: no unfinished research run; the newest, \(newest.id), finished (\(newest.stopReason ?? "")); "
                                   + "continue it with --resume \(newest.id) -n \(newest.iteration + 10)")
        }
        return run
    }

    /// The data a hypothesis was researched on: its run's settings, else its verdict's symbols.
    static func origin(of hypothesis: String, in kb: KnowledgeBase) throws
        -> (symbols: [String], interval: String, dataFile: String?, from: Double?, to: Double?)? {
        let id = try kb.hypothesis(hypothesis).id
        if let step = try kb.steps().first(where: { $0.hypothesis == id && $0.outcome != .duplicate }), let run = try? kb.run(step.run),
           let symbols = run.settings["symbols"], let interval = run.settings["interval"] {
            return (symbols.split(separator: ",").map(String.init), interval, run.settings["data"],
                    run.settings["from"].flatMap(Double.init), run.settings["to"].flatMap(Double.init))
        }
        if let verdict = try kb.trials(of: id, source: "validate", limit: 1).first {
            guard !verdict.data.symbols.contains("CSV") else {
                throw AgentError.usage("\(id) was judged on bars from a CSV file the knowledge base does not name; "
                                       + "pass it with --data FILE")
            }
            return (verdict.data.symbols, verdict.data.interval, nil, nil, nil)
        }
        return nil
    }
}

/// Which proposer a provider setting means here.
enum ProviderChoice {
    struct Choice {
        let source: any HypothesisSource
        /// What the run records: `offline`, `openai`, ...
        let provider: String
        let model: String?
        let baseURL: String?
        /// Lines to tell the user (the choice when it was not the one asked for).
        let notes: [String]
    }

    static func resolve(_ provider: AgentSettings.Provider, model: String?, apiKey: String?, baseURL: String?, interval: String,
                        configuration: Configuration, paths: ProjectPaths, knowledge: KnowledgeBase) throws -> Choice {
        let chosen: LanguageModelProvider
        var notes: [String] = []
        switch provider {
        case .offline:
            return Choice(source: OfflineGenerator(interval: interval), provider: "offline", model: nil, baseURL: nil, notes: [])
        case .auto:
            let credentials = ProviderCredentials(environment: ProcessInfo.processInfo.environment,
                                                  dotEnv: DotEnv.load(directory: FileManager.default.currentDirectoryPath))
            guard let first = (apiKey != nil || baseURL != nil) ? .openai : credentials.configured.first else {
                return Choice(source: OfflineGenerator(interval: interval), provider: "offline", model: nil, baseURL: nil,
                              notes: ["provider: offline generator (no OPENAI_API_KEY or ANTHROPIC_API_KEY in the environment or .env; "
                                      + "-p offline silences this line)"])
            }
            chosen = first
        case .openai: chosen = .openai
        case .anthropic: chosen = .anthropic
        case .ollama: chosen = .ollama
        }
        let setup = try LanguageModelSetup.make(provider: chosen, model: model, apiKey: apiKey, baseURL: baseURL,
                                                configuration: configuration, paths: paths, knowledge: knowledge)
        try setup.requireKey()
        notes += setup.notes
        if provider == .auto { notes.insert("provider: \(chosen.rawValue) \(setup.settings.model) (its key is set; -p offline runs without it)", at: 0) }
        // The base URL is recorded only when it is not the provider's own (it may name a private host, never a key).
        let base = setup.endpoint.baseURL == chosen.defaultBaseURL ? nil : ProviderEndpoint.publicForm(setup.endpoint.baseURL)
        return Choice(source: setup.source(knowledge: knowledge), provider: chosen.rawValue, model: setup.settings.model, baseURL: base,
                      notes: notes)
    }
}
