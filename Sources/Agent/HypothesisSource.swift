public import Validation

/// Who proposes hypotheses: the offline generator, or (next) a language model. The loop asks for
/// a new hypothesis or a refinement of a near-miss, and gets Lua back; it never tells a source a
/// walk-forward test or holdout number.
public protocol HypothesisSource: Sendable {
    /// What recorded hypotheses name as their origin: `offline`, `llm:<model>`.
    var origin: String { get }
    /// Proposes one script.
    /// - Throws: ``AgentError`` when the source cannot answer (a provider error); the loop
    ///   records it and goes on.
    func propose(_ request: ProposalRequest) async throws(AgentError) -> Proposal
    /// Proposals an iteration may throw back as duplicates before it gives up (at most
    /// `AgentSettings.maxDuplicateAttempts`): a generator's are free, a model's cost money.
    var duplicateAttempts: Int { get }
    /// A line for the user when the source cannot follow `-r` on these data (said once, as the
    /// run starts); nil when it can, or reads the direction in its own way (a model).
    func directionNote(_ direction: String, category: ResearchCategory?, profile: DataProfile) -> String?
}

extension HypothesisSource {
    public var duplicateAttempts: Int { Int.max }
    public func directionNote(_ direction: String, category: ResearchCategory?, profile: DataProfile) -> String? { nil }
}

/// What a source is asked for.
public struct ProposalRequest: Sendable {
    public enum Task: Sendable {
        case new
        case refine(RefinementTarget)
    }

    public var task: Task
    /// `-r`: a research direction in the user's words.
    public var direction: String?
    /// `-c`: the category to stay in.
    public var category: ResearchCategory?
    public var iteration: Int
    /// 0 for the first proposal of an iteration, then one more per duplicate thrown back.
    public var attempt: Int
    /// Derived from the run's seed, the iteration and the attempt: the same run asks the same
    /// questions after a resume.
    public var seed: UInt64
    public var mode: ValidationSettings.Mode
    /// The data, profiled on the walk-forward training bars only.
    public var profile: DataProfile
    /// The knowledge base's failures and near-misses as text (empty when learning from
    /// failures is off): reasons and train/validation numbers only.
    public var failureSummary: String
    /// Earlier outcomes the proposer may learn from, oldest first: this knowledge base's research
    /// steps, in the proposer's view.
    public var history: [ProposerOutcome]
    /// Factor fingerprints already recorded: a new proposal with one of them is a duplicate.
    public var knownFingerprints: Set<String>
    /// Categories the loop has abandoned in this run (too many failures in a row).
    public var abandoned: Set<ResearchCategory>
    /// The run asking (`R001`): what a source's calls are charged to.
    public var run: String = ""
    /// Checks a script the way the loop will (static checks, then one sandbox run on the training
    /// bars): the error's first line, or nil when it runs. A source that can repair its scripts
    /// (a language model) uses it before answering.
    public var check: (@Sendable (String) async -> String?)? = nil
    /// A short live status from the source (a model's reply arriving); for a status line.
    public var progress: @Sendable (String) -> Void = { _ in }
    /// Something worth a line (a retry after a provider error, a model missing from the price table).
    public var note: @Sendable (String) -> Void = { _ in }

    public init(task: Task, direction: String? = nil, category: ResearchCategory? = nil, iteration: Int, attempt: Int = 0,
                seed: UInt64, mode: ValidationSettings.Mode, profile: DataProfile, failureSummary: String = "",
                history: [ProposerOutcome] = [], knownFingerprints: Set<String> = [], abandoned: Set<ResearchCategory> = []) {
        self.task = task
        self.direction = direction
        self.category = category
        self.iteration = iteration
        self.attempt = attempt
        self.seed = seed
        self.mode = mode
        self.profile = profile
        self.failureSummary = failureSummary
        self.history = history
        self.knownFingerprints = knownFingerprints
        self.abandoned = abandoned
    }
}

/// A near-miss to improve, as the proposer may see it.
public struct RefinementTarget: Sendable {
    public var hypothesis: String
    public var name: String
    public var script: String
    /// The parameters chosen on the training and validation windows (the script's defaults when
    /// nothing was optimized).
    public var parameters: [String: Double]
    public var outcome: ProposerOutcome
    /// Refinements already made of it: the first ones move parameters, later ones the structure.
    public var generation: Int

    public init(hypothesis: String, name: String, script: String, parameters: [String: Double], outcome: ProposerOutcome,
                generation: Int) {
        self.hypothesis = hypothesis
        self.name = name
        self.script = script
        self.parameters = parameters
        self.outcome = outcome
        self.generation = generation
    }
}

/// One script proposed.
public struct Proposal: Sendable {
    public var script: String
    public var category: ResearchCategory?
    /// The shape of the proposal in the source's words (`ema_spread+threshold+trend`).
    public var template: String?
    /// What a refinement changed, in a phrase.
    public var change: String?
    /// Set when the source got no usable script (a reply with no code, code in another language):
    /// the loop records `script` (the reply, commented out) as a failed trial with this reason.
    public var unusable: (code: String, message: String)?

    public init(script: String, category: ResearchCategory? = nil, template: String? = nil, change: String? = nil,
                unusable: (code: String, message: String)? = nil) {
        self.script = script
        self.category = category
        self.template = template
        self.change = change
        self.unusable = unusable
    }
}

/// Why the agent cannot go on.
public enum AgentError: Error, Sendable, CustomStringConvertible {
    /// A bad setting or argument: a category the data cannot serve, an unknown provider.
    case usage(String)
    /// The source failed to propose this time (a provider down after its retries); the loop
    /// records it and goes on.
    case source(String)
    /// The provider refuses for good (a bad key, no quota, a model that does not exist): the run
    /// stops and the message says what to do.
    case provider(String)
    /// A token or dollar budget is spent: the run ends cleanly between calls.
    case budget(String)
    /// Validation could not run at all (data too short, knowledge base refusing).
    case validation(ValidatorError)
    case knowledge(String)
    case interrupted

    public var description: String {
        switch self {
        case .usage(let s), .source(let s), .knowledge(let s), .provider(let s), .budget(let s): return s
        case .validation(let e): return e.description
        case .interrupted: return "interrupted"
        }
    }
}
