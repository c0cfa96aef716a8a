public import Validation

/// Everything the research agent is configured by (`agent.*` in configs/default.yaml); flags on
/// `agent research` override them for one run.
public struct AgentSettings: Sendable, Equatable {
    /// Who proposes hypotheses.
    public enum Provider: String, Sendable, CaseIterable {
        /// A language model when a key is configured, else the offline generator.
        case auto
        case offline, openai, anthropic, ollama
    }

    /// `agent.llm.*`.
    public var provider = Provider.auto
    /// The model name; empty means the provider's default.
    public var model = ""
    public var temperature = 0.7
    /// An OpenAI-compatible server; empty means the provider's own.
    public var baseURL = ""
    /// The most tokens one reply may take.
    public var maxTokens = 4096
    /// The longest silence from a provider, first byte included, in seconds.
    public var timeout = 120.0
    /// Retries of a failed call (429, 5xx, resets), with the SDKs' backoff.
    public var maxRetries = 2
    /// Sandbox errors sent back to the model before its script counts as failed.
    public var repairRounds = 3
    /// Answer an identical request from the knowledge base instead of paying for it again.
    public var cache = true
    /// Prices per model (USD per million tokens), relative to the project.
    public var pricesFile = "configs/llm-prices.yaml"
    /// Documented crypto-perp effects for the prompt, relative to the project.
    public var marketKnowledgeFile = "configs/market-knowledge.md"
    /// Stop a run once its model calls used this many tokens (0: no limit).
    public var budgetTokens = 0
    /// Stop a run once its model calls cost this many dollars (0: no limit).
    public var budgetUSD = 0.0
    /// Iterations of one run (`-n`).
    public var maxIterations = 10
    /// Failures in a row after which a family of hypotheses is abandoned.
    public var maxConsecutiveFailures = 3
    /// `agent.validation.*`: how the agent judges. Its runs use `min_sharpe` and `min_trades` as
    /// the walk-forward test's thresholds (validation.walk_forward.min_test_sharpe and
    /// min_test_trades), so a team can ask more of machine-found strategies than of its own.
    public var validationMode = ValidationSettings.Mode.full
    public var minSharpe = 0.3
    public var minTrades = 10
    /// Stop when a validated strategy's walk-forward test Sharpe reaches this (0: never).
    public var earlyStopSharpe = 1.5
    /// Wall-clock limit of one script run inside the agent, in seconds.
    public var sandboxTimeout = 30.0
    /// Feed the knowledge base's failures and near-misses to the proposer.
    public var learnFromFailures = true
    /// Wall-clock budget of one run, in minutes (0: none).
    public var budgetMinutes = 0.0
    /// Proposals an iteration may discard as duplicates before it gives up.
    public var maxDuplicateAttempts = 25

    public init() {}

    /// The validation settings the agent judges with: the project's, with the agent's mode and
    /// out-of-sample thresholds.
    public func validation(_ base: ValidationSettings) -> ValidationSettings {
        var settings = base
        settings.mode = validationMode
        settings.walkForward.minTestSharpe = minSharpe
        settings.walkForward.minTestTrades = minTrades
        return settings
    }
}
