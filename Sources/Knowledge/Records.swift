public import Foundation

/// Where a hypothesis stands in its life.
public enum HypothesisStatus: String, Sendable, Codable, CaseIterable {
    case proposed, running, validated, rejected, abandoned
}

/// How far a trial got through validation (DESIGN.md section 5), in order. A trial that fails
/// stops at the stage whose gate refused it; one that passes everything reaches `holdout`.
public enum TrialStage: String, Sendable, Codable, CaseIterable, Comparable {
    case sandbox, factor, signal, backtest, walkForward = "walk_forward", rolling, honesty, holdout

    public var rank: Int { TrialStage.allCases.firstIndex(of: self)! }

    public static func < (a: TrialStage, b: TrialStage) -> Bool { a.rank < b.rank }
}

/// A hypothesis to record: what the script says about itself plus the exact script text.
public struct HypothesisDraft: Sendable, Equatable {
    public var name: String
    public var rationale: String
    public var tags: [String]
    /// The hypothesis this one refines (H003), if any.
    public var parent: String?
    /// Who wrote it: `user`, `offline`, `llm:<model>`.
    public var origin: String
    public var script: String

    public init(name: String, rationale: String = "", tags: [String] = [], parent: String? = nil,
                origin: String = "user", script: String) {
        self.name = name
        self.rationale = rationale
        self.tags = tags
        self.parent = parent
        self.origin = origin
        self.script = script
    }
}

/// A recorded hypothesis.
public struct Hypothesis: Sendable, Equatable, Codable {
    /// H001, H002, ... in the order they were recorded.
    public let id: String
    public let name: String
    public let rationale: String
    public let tags: [String]
    public let parent: String?
    /// The root of its lineage (its own id when it has no parent); trial counts per family feed
    /// the deflated Sharpe of every member.
    public let family: String
    public let status: HypothesisStatus
    public let origin: String
    /// Relative to the project when it lies inside it.
    public let scriptPath: String
    public let scriptSHA256: String
    public let createdAt: String
    public let updatedAt: String

    // Spelled so snake_case JSON (script_sha256) reads back into the acronym.
    enum CodingKeys: String, CodingKey {
        case id, name, rationale, tags, parent, family, status, origin, scriptPath, createdAt, updatedAt
        case scriptSHA256 = "scriptSha256"
    }
}

/// The data a trial ran on.
public struct DataSpan: Sendable, Equatable, Codable {
    public var symbols: [String]
    public var interval: String
    /// Open time of the first and last bar, ms since 1970 UTC.
    public var from: Int64
    public var to: Int64
    public var bars: Int
    /// sha256 of the bars themselves, so two trials on "the same" span are comparable.
    public var hash: String

    public init(symbols: [String], interval: String, from: Int64, to: Int64, bars: Int, hash: String) {
        self.symbols = symbols
        self.interval = interval
        self.from = from
        self.to = to
        self.bars = bars
        self.hash = hash
    }
}

/// One evaluated configuration, before it is recorded.
public struct TrialDraft: Sendable, Equatable {
    public var hypothesis: String
    public var parameters: [String: Double]
    public var data: DataSpan
    public var stage: TrialStage
    /// true passed every gate it was put through, false failed one, nil not judged (a plain `run --record`).
    public var passed: Bool?
    /// Machine-readable cause (`factor.ic`, `signal.win_rate`, `sandbox.error`), nil when passed.
    public var reasonCode: String?
    public var reasonMessage: String?
    /// Every number the run produced; non-finite values are left out.
    public var metrics: [String: Double]
    /// How far the failing gate's metric fell short of its threshold, relative (0 = right at it);
    /// near-miss queries rank failures by stage reached, then by this.
    public var shortfall: Double?
    public var seed: UInt64?
    public var durationSeconds: Double
    public var startedAt: Date
    /// What recorded it: `run`, `research`, `optimizer`, `import`.
    public var source: String
    /// Stable across databases, so exports can be merged without duplicates.
    public var uid: String
    /// When it was recorded; nil means now (set when merging another knowledge base's history).
    public var finishedAt: Date? = nil

    public init(hypothesis: String, parameters: [String: Double] = [:], data: DataSpan, stage: TrialStage,
                passed: Bool?, reasonCode: String? = nil, reasonMessage: String? = nil, metrics: [String: Double] = [:],
                shortfall: Double? = nil, seed: UInt64? = nil, durationSeconds: Double, startedAt: Date,
                source: String = "run", uid: String = UUID().uuidString.lowercased(), finishedAt: Date? = nil) {
        self.hypothesis = hypothesis
        self.finishedAt = finishedAt
        self.parameters = parameters
        self.data = data
        self.stage = stage
        self.passed = passed
        self.reasonCode = reasonCode
        self.reasonMessage = reasonMessage
        self.metrics = metrics
        self.shortfall = shortfall
        self.seed = seed
        self.durationSeconds = durationSeconds
        self.startedAt = startedAt
        self.source = source
        self.uid = uid
    }
}

/// A recorded trial.
public struct Trial: Sendable, Equatable, Codable {
    public let id: Int64
    public let uid: String
    public let hypothesis: String
    public let family: String
    public let parameters: [String: Double]
    public let data: DataSpan
    public let stage: TrialStage
    public let passed: Bool?
    public let reasonCode: String?
    public let reasonMessage: String?
    public let metrics: [String: Double]
    public let shortfall: Double?
    public let seed: UInt64?
    public let durationSeconds: Double
    public let startedAt: String
    public let finishedAt: String
    public let source: String
}

/// A validated survivor, promoted to `strategies/S0NN-<slug>.lua`.
public struct Strategy: Sendable, Equatable, Codable {
    public let id: String
    public let hypothesis: String
    public let name: String
    public let filePath: String
    public let fileSHA256: String
    /// The validation summary written into the file's header.
    public let validation: [String: Double]
    public let dataHash: String
    public let lifetimeTrials: Int
    /// Set once the locked holdout has been opened.
    public let holdout: [String: Double]?
    public let createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, hypothesis, name, filePath, validation, dataHash, lifetimeTrials, holdout, createdAt
        case fileSHA256 = "fileSha256"
    }
}

/// What a validator knows about a survivor when it promotes it.
public struct StrategyValidation: Sendable, Equatable {
    public var data: DataSpan
    /// Validation metrics (sharpe, deflated_sharpe, pbo, trades, max_drawdown, ...).
    public var metrics: [String: Double]
    /// Chosen parameter values.
    public var parameters: [String: Double]
    /// The parameters as `--param` spells them (a choice by its value, a bool as true/false),
    /// for the rerun line; `parameters` formatted as numbers when empty.
    public var parameterTexts: [String: String]
    /// `--data FILE` when the bars came from a file, for the rerun line (else `--symbol`).
    public var dataFile: String?
    public var version: String
    /// What the locked holdout showed when it was opened for this promotion.
    public var holdout: HoldoutResult?

    public init(data: DataSpan, metrics: [String: Double], parameters: [String: Double] = [:],
                parameterTexts: [String: String] = [:], dataFile: String? = nil, version: String, holdout: HoldoutResult? = nil) {
        self.data = data
        self.metrics = metrics
        self.parameters = parameters
        self.parameterTexts = parameterTexts
        self.dataFile = dataFile
        self.version = version
        self.holdout = holdout
    }
}

/// The locked holdout's verdict, recorded with the strategy it was opened for.
public struct HoldoutResult: Sendable, Equatable {
    public var data: DataSpan
    public var metrics: [String: Double]
    public var passed: Bool
    /// One line: why it failed, or what it showed.
    public var note: String?

    public init(data: DataSpan, metrics: [String: Double], passed: Bool, note: String? = nil) {
        self.data = data
        self.metrics = metrics
        self.passed = passed
        self.note = note
    }
}

/// A hypothesis's claim on its locked holdout.
public struct HoldoutLock: Sendable, Equatable, Codable {
    public let hypothesis: String
    /// The trial whose parameters were promoted.
    public let trial: Int64?
    public let openedAt: String
    /// The strategy written by that promotion; nil when the promotion stopped after the claim.
    public let strategy: String?
    /// Why a promotion stopped after the claim, when it did.
    public let note: String?
}

/// One opening of a strategy's locked holdout; every opening is kept.
public struct HoldoutOpening: Sendable, Equatable, Codable {
    public let id: Int64
    public let strategy: String
    public let openedAt: String
    public let data: DataSpan
    public let metrics: [String: Double]
    public let passed: Bool
    public let note: String?
}

/// One request to a language model.
public struct LLMCallRecord: Sendable, Equatable, Codable {
    public var provider: String
    public var model: String
    /// What the call was for: `propose`, `repair`, `refine`.
    public var purpose: String
    public var hypothesis: String?
    public var promptTokens: Int
    public var completionTokens: Int
    public var latencySeconds: Double
    public var costUSD: Double?
    /// sha256 of the request body, to spot repeats.
    public var requestHash: String
    /// `ok`, `cached` (answered from the cache, nothing paid), `error`, `rate_limited`, ...
    public var status: String
    public var error: String?
    /// The research run the call served (`R001`), when one did.
    public var run: String?
    /// The run's iteration (0-based): with several workers on one run, what ties a call to the
    /// hypothesis it produced.
    public var iteration: Int?

    enum CodingKeys: String, CodingKey {
        case provider, model, purpose, hypothesis, promptTokens, completionTokens, latencySeconds, requestHash, status, error, run, iteration
        case costUSD = "costUsd"
    }

    public init(provider: String, model: String, purpose: String, hypothesis: String? = nil, promptTokens: Int,
                completionTokens: Int, latencySeconds: Double, costUSD: Double?, requestHash: String,
                status: String, error: String? = nil, run: String? = nil, iteration: Int? = nil) {
        self.run = run
        self.iteration = iteration
        self.provider = provider
        self.model = model
        self.purpose = purpose
        self.hypothesis = hypothesis
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.latencySeconds = latencySeconds
        self.costUSD = costUSD
        self.requestHash = requestHash
        self.status = status
        self.error = error
    }
}

/// A model's reply kept by its request's hash.
public struct CachedReply: Sendable, Equatable {
    public var requestHash: String
    public var provider: String
    public var model: String
    public var text: String
    public var reasoning: String
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var finishReason: String?

    public init(requestHash: String, provider: String, model: String, text: String, reasoning: String = "", promptTokens: Int?,
                completionTokens: Int?, finishReason: String?) {
        self.requestHash = requestHash
        self.provider = provider
        self.model = model
        self.text = text
        self.reasoning = reasoning
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.finishReason = finishReason
    }
}

/// What language models cost a run (or the whole knowledge base).
public struct LLMSpend: Sendable, Equatable, Codable {
    /// Calls made, cached answers included.
    public var calls = 0
    public var cached = 0
    public var failed = 0
    public var promptTokens = 0
    public var completionTokens = 0
    public var costUSD = 0.0
    /// Calls to models missing from the price table (their cost counted as 0).
    public var unpriced = 0

    public init() {}

    public var tokens: Int { promptTokens + completionTokens }

    /// `$0.0123 (5 model calls, 2 cached, 1200 prompt + 300 completion tokens)`; `$0.00` without calls.
    public var text: String {
        let text = "$" + String(format: costUSD > 0 && costUSD < 0.01 ? "%.4f" : "%.2f", costUSD)
        guard calls > 0 else { return text }
        var parts = ["\(calls) model calls"]
        if cached > 0 { parts.append("\(cached) cached") }
        if failed > 0 { parts.append("\(failed) failed") }
        parts.append("\(promptTokens) prompt + \(completionTokens) completion tokens")
        if unpriced > 0 { parts.append("\(unpriced) unpriced: add the model to configs/llm-prices.yaml") }
        return text + " (" + parts.joined(separator: ", ") + ")"
    }
}
