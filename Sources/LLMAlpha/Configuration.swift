public import Evaluation
import Foundation
public import Knowledge
public import MarketData
import Primitives
public import Scripting
public import Validation
public import Agent
internal import Yams

/// Settings of every command (DESIGN.md section 9), composed from each target's own settings type.
///
/// Precedence: flags > environment > `--config` file > the project's `configs/default.yaml` > the
/// built-in ``defaults`` (equal to that file, so an installed binary behaves the same outside a
/// checkout). Keys are dotted paths into nested YAML sections (`validation.walk_forward.train`);
/// each is declared once, in ``keys``, with its kind; an unknown key is an error with a suggestion.
public struct Configuration: Sendable, Equatable {
    /// `data.*`: store root and default symbol and interval (MarketData).
    public var data = DataSettings()
    /// `sandbox.*` and `factor.horizons`: how one script is run and reported (Evaluation).
    public var evaluation = EvaluationSettings()
    /// `knowledge.*`: the ledger and its script folders (Knowledge).
    public var knowledge = KnowledgeSettings()
    /// `validation.*`: the mode, the optimizer's budget and every gate's threshold (Validation).
    public var validation = ValidationSettings()
    /// `agent.*`: the research agent's proposer, budget and stop conditions (Agent).
    public var agent = AgentSettings()

    public static let defaults = Configuration()
    public init() {}

    /// The sandbox limits of every run (`sandbox.*`).
    public var sandbox: SandboxLimits {
        get { evaluation.sandbox }
        set { evaluation.sandbox = newValue }
    }

    /// One settable key: its dotted name, what it takes, and how it applies.
    struct Key: Sendable {
        enum Kind: Sendable, Equatable {
            case number, positiveNumber, nonNegativeNumber, fraction, positiveInteger, nonNegativeInteger, text, integerList, boolean
            /// Text that may be empty ("" = the default of whatever reads it).
            case optionalText
            case choice([String])
        }
        let path: String
        let kind: Kind
        let apply: @Sendable (inout Configuration, Value) -> Void

        /// The environment variable that sets it: `LLMALPHA_` and the path in capitals, dots as `_`.
        var environmentName: String { "LLMALPHA_" + path.replacingOccurrences(of: ".", with: "_").uppercased() }
    }

    enum Value: Sendable {
        case number(Double)
        case text(String)
        case integers([Int])
        case flag(Bool)
    }

    /// Every key, once. A new setting is a field in its target's settings type and a line here.
    static let keys: [Key] = [
        Key(path: "sandbox.timeout_seconds", kind: .positiveNumber) { c, v in if case .number(let x) = v { c.sandbox.timeout = x } },
        Key(path: "sandbox.max_instructions", kind: .positiveInteger) { c, v in if case .number(let x) = v { c.sandbox.maxInstructions = Int64(x) } },
        Key(path: "sandbox.max_memory_mb", kind: .positiveInteger) { c, v in if case .number(let x) = v { c.sandbox.maxMemoryBytes = Int(x) << 20 } },
        Key(path: "sandbox.max_output_mb", kind: .positiveInteger) { c, v in if case .number(let x) = v { c.sandbox.maxOutputBytes = Int(x) << 20 } },
        text("data.dir", \.data.directory),
        text("data.symbol", \.data.symbol),
        text("data.interval", \.data.interval),
        Key(path: "factor.horizons", kind: .integerList) { c, v in if case .integers(let l) = v { c.evaluation.factorHorizons = l } },
        text("knowledge.path", \.knowledge.path),
        Key(path: "knowledge.url", kind: .optionalText) { c, v in if case .text(let s) = v { c.knowledge.url = s } },
        text("knowledge.hypotheses_dir", \.knowledge.hypothesesDirectory),
        text("knowledge.strategies_dir", \.knowledge.strategiesDirectory),
        choice("validation.mode", \.validation.mode),
        integer("validation.trials", .positiveInteger, \.validation.trials),
        integer("validation.seed", .nonNegativeInteger, \.validation.seed),
        integer("validation.warmup_bars", .nonNegativeInteger, \.validation.warmupBars),
        number("validation.symbols_pass_share", .fraction, \.validation.symbolsPassShare),
        number("validation.min_fee", .fraction, \.validation.minFee),
        number("validation.min_slippage", .fraction, \.validation.minSlippage),
        integer("validation.optimizer_min_trades", .nonNegativeInteger, \.validation.optimizerMinTrades),
        number("validation.factor.min_ic", .nonNegativeNumber, \.validation.factor.minIC),
        number("validation.factor.min_ir", .number, \.validation.factor.minIR),
        number("validation.factor.ir_period_hours", .positiveNumber, \.validation.factor.irPeriodHours),
        integer("validation.factor.quantiles", .positiveInteger, \.validation.factor.quantiles),
        number("validation.factor.min_monotonicity", .number, \.validation.factor.minMonotonicity),
        number("validation.factor.max_rank_turnover", .nonNegativeNumber, \.validation.factor.maxRankTurnover),
        number("validation.factor.max_p_value", .fraction, \.validation.factor.maxPValue),
        number("validation.signal.min_win_rate", .fraction, \.validation.signal.minWinRate),
        number("validation.signal.min_profit_factor", .nonNegativeNumber, \.validation.signal.minProfitFactor),
        number("validation.signal.min_edge", .number, \.validation.signal.minEdge),
        number("validation.signal.min_per_1000_bars", .nonNegativeNumber, \.validation.signal.minPerThousandBars),
        number("validation.signal.max_per_1000_bars", .positiveNumber, \.validation.signal.maxPerThousandBars),
        integer("validation.backtest.min_trades", .nonNegativeInteger, \.validation.backtest.minTrades),
        number("validation.backtest.min_sharpe", .number, \.validation.backtest.minSharpe),
        number("validation.walk_forward.train", .fraction, \.validation.walkForward.train),
        number("validation.walk_forward.validation", .fraction, \.validation.walkForward.validation),
        number("validation.walk_forward.test", .fraction, \.validation.walkForward.test),
        integer("validation.walk_forward.candidates", .positiveInteger, \.validation.walkForward.candidates),
        number("validation.walk_forward.min_validation_sharpe", .number, \.validation.walkForward.minValidationSharpe),
        number("validation.walk_forward.min_test_sharpe", .number, \.validation.walkForward.minTestSharpe),
        integer("validation.walk_forward.min_test_trades", .nonNegativeInteger, \.validation.walkForward.minTestTrades),
        number("validation.walk_forward.min_test_days", .nonNegativeNumber, \.validation.walkForward.minTestDays),
        number("validation.rolling.train_hours", .positiveNumber, \.validation.rolling.trainHours),
        number("validation.rolling.test_hours", .positiveNumber, \.validation.rolling.testHours),
        number("validation.rolling.step_hours", .positiveNumber, \.validation.rolling.stepHours),
        integer("validation.rolling.trials", .positiveInteger, \.validation.rolling.trials),
        integer("validation.rolling.min_windows", .positiveInteger, \.validation.rolling.minWindows),
        number("validation.rolling.min_positive_share", .fraction, \.validation.rolling.minPositiveShare),
        number("validation.rolling.min_decay_ratio", .number, \.validation.rolling.minDecayRatio),
        number("validation.honesty.holdout", .fraction, \.validation.honesty.holdout),
        number("validation.honesty.min_deflated_sharpe", .fraction, \.validation.honesty.minDeflatedSharpe),
        number("validation.honesty.max_pbo", .fraction, \.validation.honesty.maxPBO),
        integer("validation.honesty.pbo_splits", .positiveInteger, \.validation.honesty.pboSplits),
        integer("validation.honesty.pbo_min_trials", .positiveInteger, \.validation.honesty.pboMinTrials),
        integer("validation.honesty.lookahead_points", .positiveInteger, \.validation.honesty.lookaheadPoints),
        number("validation.honesty.min_lag_retention", .number, \.validation.honesty.minLagRetention),
        number("validation.honesty.max_self_correlation", .number, \.validation.honesty.maxSelfCorrelation),
        integer("validation.honesty.min_common_days", .positiveInteger, \.validation.honesty.minCommonDays),
        number("validation.honesty.sharpe_variance_prior", .positiveNumber, \.validation.honesty.sharpeVariancePrior),
        number("validation.honesty.holdout_min_sharpe", .number, \.validation.honesty.holdoutMinSharpe),
        integer("validation.honesty.holdout_min_trades", .nonNegativeInteger, \.validation.honesty.holdoutMinTrades),
        number("validation.honesty.holdout_min_days", .nonNegativeNumber, \.validation.honesty.holdoutMinDays),
        choice("agent.llm.provider", \.agent.provider),
        Key(path: "agent.llm.model", kind: .optionalText) { c, v in if case .text(let s) = v { c.agent.model = s } },
        number("agent.llm.temperature", .nonNegativeNumber, \.agent.temperature),
        Key(path: "agent.llm.base_url", kind: .optionalText) { c, v in if case .text(let s) = v { c.agent.baseURL = s } },
        integer("agent.llm.max_tokens", .positiveInteger, \.agent.maxTokens),
        number("agent.llm.timeout", .positiveNumber, \.agent.timeout),
        integer("agent.llm.max_retries", .nonNegativeInteger, \.agent.maxRetries),
        integer("agent.llm.repair_rounds", .nonNegativeInteger, \.agent.repairRounds),
        flag("agent.llm.cache", \.agent.cache),
        text("agent.llm.prices", \.agent.pricesFile),
        text("agent.market_knowledge", \.agent.marketKnowledgeFile),
        integer("agent.budget_tokens", .nonNegativeInteger, \.agent.budgetTokens),
        number("agent.budget_usd", .nonNegativeNumber, \.agent.budgetUSD),
        integer("agent.max_iterations", .positiveInteger, \.agent.maxIterations),
        integer("agent.max_consecutive_failures", .positiveInteger, \.agent.maxConsecutiveFailures),
        choice("agent.validation.mode", \.agent.validationMode),
        number("agent.validation.min_sharpe", .number, \.agent.minSharpe),
        integer("agent.validation.min_trades", .nonNegativeInteger, \.agent.minTrades),
        number("agent.early_stop_sharpe", .nonNegativeNumber, \.agent.earlyStopSharpe),
        number("agent.sandbox_timeout", .positiveNumber, \.agent.sandboxTimeout),
        flag("agent.learn_from_failures", \.agent.learnFromFailures),
        number("agent.budget_minutes", .nonNegativeNumber, \.agent.budgetMinutes),
    ]

    static func text(_ path: String, _ field: any WritableKeyPath<Configuration, String> & Sendable) -> Key {
        Key(path: path, kind: .text) { c, v in if case .text(let s) = v { c[keyPath: field] = s } }
    }

    static func number(_ path: String, _ kind: Key.Kind, _ field: any WritableKeyPath<Configuration, Double> & Sendable) -> Key {
        Key(path: path, kind: kind) { c, v in if case .number(let x) = v { c[keyPath: field] = x } }
    }

    static func integer(_ path: String, _ kind: Key.Kind, _ field: any WritableKeyPath<Configuration, Int> & Sendable) -> Key {
        Key(path: path, kind: kind) { c, v in if case .number(let x) = v { c[keyPath: field] = Int(x) } }
    }

    static func flag(_ path: String, _ field: any WritableKeyPath<Configuration, Bool> & Sendable) -> Key {
        Key(path: path, kind: .boolean) { c, v in if case .flag(let b) = v { c[keyPath: field] = b } }
    }

    static func choice<Option: RawRepresentable & CaseIterable & Sendable>(
        _ path: String, _ field: any WritableKeyPath<Configuration, Option> & Sendable
    ) -> Key where Option.RawValue == String {
        Key(path: path, kind: .choice(Option.allCases.map(\.rawValue))) { c, v in
            if case .text(let s) = v, let option = Option(rawValue: s) { c[keyPath: field] = option }
        }
    }

    /// Loads the layered configuration.
    /// - Parameters:
    ///   - projectFile: the project's `configs/default.yaml`, when there is one.
    ///   - file: `--config FILE`.
    /// - Throws: ``ConfigurationError`` naming the file, the key and what is wrong.
    public static func load(projectFile: String?, file: String?, environment: [String: String]) throws(ConfigurationError) -> Configuration {
        var config = Configuration.defaults
        if let projectFile, FileManager.default.fileExists(atPath: projectFile) {
            try config.apply(yamlFile: projectFile)
        }
        if let file {
            guard FileManager.default.fileExists(atPath: file) else { throw ConfigurationError(file: file, "no such file") }
            try config.apply(yamlFile: file)
        }
        for key in keys {
            if let text = environment[key.environmentName] { try config.apply(key, text: text, source: key.environmentName) }
        }
        if let dir = environment["LLMALPHA_DATA_DIR"] { config.data.directory = dir }
        if let problem = config.validation.inconsistency { throw ConfigurationError(file: file ?? projectFile, problem) }
        return config
    }

    mutating func apply(yamlFile path: String) throws(ConfigurationError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError(file: path, "cannot read the file")
        }
        let tree: Any?
        do { tree = try Yams.load(yaml: text) } catch {
            throw ConfigurationError(file: path, "not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let tree else { return }   // an empty file changes nothing
        guard let root = tree as? [String: Any] else { throw ConfigurationError(file: path, "expected a mapping of sections at the top") }
        try apply(section: root, prefix: "", file: path)
    }

    /// Walks one mapping: a key names a setting (a leaf) or a section holding more (a mapping).
    private mutating func apply(section: [String: Any], prefix: String, file: String) throws(ConfigurationError) {
        let known = Configuration.keys.map(\.path)
        for (name, raw) in section.sorted(by: { $0.key < $1.key }) {
            let dotted = prefix + name
            if let key = Configuration.keys.first(where: { $0.path == dotted }) {
                if raw is [String: Any] { throw ConfigurationError(file: file, "'\(dotted)' takes \(key.kind.expected), not a section") }
                try apply(key, any: raw, source: "\(file): \(dotted)")
                continue
            }
            let sections = Set(known.flatMap { path in
                let parts = path.split(separator: ".")
                return (1..<parts.count).map { parts[0..<$0].joined(separator: ".") }
            })
            guard sections.contains(dotted) else {
                // Suggest among the names at this level (and the full paths, for a misplaced key).
                let siblings = Set((known + sections).filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains(".") })
                throw ConfigurationError(file: file, "unknown key '\(dotted)'", hint: suggestion(dotted, Array(siblings).sorted() + known))
            }
            guard let fields = raw as? [String: Any] else {
                throw ConfigurationError(file: file, "'\(dotted)' must be a mapping of keys")
            }
            try apply(section: fields, prefix: dotted + ".", file: file)
        }
    }

    private mutating func apply(_ key: Key, any raw: Any, source: String) throws(ConfigurationError) {
        switch key.kind {
        case .integerList:
            guard let list = raw as? [Any] else { throw ConfigurationError(file: nil, "\(source): expected a list of integers") }
            var values: [Int] = []
            for item in list {
                guard let n = (item as? Int) ?? (item as? Double).flatMap({ $0 == $0.rounded() ? Int($0) : nil }), n >= 1 else {
                    throw ConfigurationError(file: nil, "\(source): expected positive integers, got \(item)")
                }
                values.append(n)
            }
            guard !values.isEmpty else { throw ConfigurationError(file: nil, "\(source): expected at least one integer") }
            key.apply(&self, .integers(values))
        case .boolean:
            if let b = raw as? Bool { key.apply(&self, .flag(b)); return }
            try apply(key, text: "\(raw)", source: source)
        default:
            if raw is [Any] { throw ConfigurationError(file: nil, "\(source): expected \(key.kind.expected), not a list") }
            try apply(key, text: "\(raw)", source: source)
        }
    }

    private mutating func apply(_ key: Key, text: String, source: String) throws(ConfigurationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func fail() -> ConfigurationError { ConfigurationError(file: nil, "\(source): expected \(key.kind.expected), got '\(text)'") }
        switch key.kind {
        case .number, .positiveNumber, .nonNegativeNumber, .fraction:
            guard let x = Double(trimmed), x.isFinite else { throw fail() }
            switch key.kind {
            case .positiveNumber where x <= 0, .nonNegativeNumber where x < 0, .fraction where x < 0 || x > 1: throw fail()
            default: key.apply(&self, .number(x))
            }
        case .positiveInteger, .nonNegativeInteger:
            guard let x = Int64(trimmed), key.kind == .positiveInteger ? x > 0 : x >= 0 else { throw fail() }
            key.apply(&self, .number(Double(x)))
        case .text:
            guard !trimmed.isEmpty else { throw fail() }
            key.apply(&self, .text(trimmed))
        case .optionalText:
            key.apply(&self, .text(trimmed))
        case .boolean:
            switch trimmed.lowercased() {
            case "true", "yes", "on", "1": key.apply(&self, .flag(true))
            case "false", "no", "off", "0": key.apply(&self, .flag(false))
            default: throw fail()
            }
        case .choice(let options):
            guard options.contains(trimmed) else {
                let hint = closestName(to: trimmed, in: options).map { "did you mean '\($0)'?" }
                throw ConfigurationError(file: nil, "\(source): expected \(key.kind.expected), got '\(text)'", hint: hint)
            }
            key.apply(&self, .text(trimmed))
        case .integerList:
            let parts = trimmed.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else { throw fail() }
            key.apply(&self, .integers(parts.map { $0! }))
        }
    }

    private func suggestion(_ name: String, _ candidates: [String]) -> String {
        if let best = closestName(to: name, in: candidates) { return "did you mean '\(best)'?" }
        return "see configs/default.yaml for the keys"
    }
}

extension Configuration.Key.Kind {
    /// What a value of this kind looks like, for error messages.
    var expected: String {
        switch self {
        case .number: return "a number"
        case .positiveNumber: return "a positive number"
        case .nonNegativeNumber: return "a number ≥ 0"
        case .fraction: return "a fraction in 0...1"
        case .positiveInteger: return "a positive integer"
        case .nonNegativeInteger: return "an integer ≥ 0"
        case .text: return "a value"
        case .optionalText: return "a value or \"\""
        case .integerList: return "positive integers separated by commas"
        case .boolean: return "true or false"
        case .choice(let options): return "one of " + options.joined(separator: ", ")
        }
    }
}

/// A configuration file or variable that cannot be used; exit status 2.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let file: String?
    public let message: String
    public let hint: String?
    init(file: String?, _ message: String, hint: String? = nil) {
        self.file = file
        self.message = message
        self.hint = hint
    }
    public var description: String {
        var line = file.map { "\($0): \(message)" } ?? message
        if let hint { line += " (hint: \(hint))" }
        return line
    }
}
