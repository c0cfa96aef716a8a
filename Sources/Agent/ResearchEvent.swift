public import Knowledge

/// What a research run reports as it goes; the CLI's live status and the `Researcher` async
/// sequence are made of these.
public enum ResearchEvent: Sendable {
    /// The run began (or resumed), with the profile of its training bars.
    case started(run: ResearchRun, profile: DataProfile, resumed: Bool)
    /// An iteration asked its source for a script.
    case proposing(iteration: Int, attempt: Int, action: ResearchStep.Action, target: String?)
    /// Validation moved on: the hypothesis (once recorded), the stage and its progress.
    case validating(iteration: Int, name: String, stage: String, done: Int, total: Int)
    /// A proposal was thrown back as a duplicate of a recorded hypothesis.
    case duplicate(iteration: Int, name: String, of: String)
    /// One hypothesis finished: what it reached and the verdict.
    case finished(IterationRecord)
    /// Something worth a line (an abandoned family, a promotion's holdout, a provider's retry).
    case note(String)
    /// The source at work (a model's reply arriving): a live status, not a line.
    case sourceProgress(iteration: Int, text: String)
    /// The run ended.
    case completed(ResearchResult)
}

/// One finished iteration, as the user sees it (test numbers included).
public struct IterationRecord: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        /// Passed every stage of a full validation and its locked holdout: a strategy.
        case validated
        /// Passed every gate of a partial mode (quick, wf_only, rolling_only): promising, not
        /// promotable; validate it in full mode to know more.
        case passed
        case rejected
        /// Did not run: a script error, a missing layer, a sandbox limit.
        case invalid
        /// Every proposal of the iteration was already in the knowledge base.
        case duplicate
        /// The source could not propose.
        case error
    }

    public let iteration: Int
    public let hypothesis: String?
    public let name: String
    public let action: ResearchStep.Action
    public let parent: String?
    public let category: String?
    /// The furthest stage reached (`factor`, `walk_forward`, `holdout`, ...).
    public let stage: String
    public let verdict: Verdict
    /// Why it stopped, in a line; empty when validated.
    public let reason: String
    public let reasonCode: String?
    /// The number that matters most for where it stopped: the failing check's value, or the
    /// walk-forward test Sharpe of a validated strategy.
    public let keyNumber: String
    public let testSharpe: Double?
    /// In-sample promise, as the proposer sees it.
    public let score: Double?
    public let strategy: String?
    public let strategyFile: String?
    public let trials: Int
    public let seconds: Double
}
