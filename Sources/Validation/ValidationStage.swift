import Foundation
public import Knowledge

/// The stages of validation, in the order they run (DESIGN.md section 5). The lookahead check
/// runs first in every mode: a script that reads future bars makes every later number a lie.
public enum ValidationStage: String, Sendable, CaseIterable, Codable {
    case lookahead, factor, signal, backtest
    case walkForward = "walk_forward"
    case rolling, honesty

    /// The stages a mode runs.
    public static func stages(for mode: ValidationSettings.Mode) -> [ValidationStage] {
        switch mode {
        case .quick: return [.lookahead, .factor, .signal, .backtest]
        case .full: return allCases
        case .wfOnly: return [.lookahead, .walkForward]
        case .rollingOnly: return [.lookahead, .rolling]
        }
    }

    /// The ledger's stage for a trial stopped here.
    public var trialStage: TrialStage {
        switch self {
        case .lookahead: return .sandbox
        case .factor: return .factor
        case .signal: return .signal
        case .backtest: return .backtest
        case .walkForward: return .walkForward
        case .rolling: return .rolling
        case .honesty: return .honesty
        }
    }

    /// The title in the stage table.
    public var title: String {
        switch self {
        case .lookahead: return "lookahead"
        case .factor: return "factor"
        case .signal: return "signal"
        case .backtest: return "backtest"
        case .walkForward: return "walk-forward"
        case .rolling: return "rolling"
        case .honesty: return "honesty"
        }
    }
}

/// Why a gate refused: the machine-readable code the ledger, `kb stats` and the agent's prompt
/// use. Every code is declared here, once.
public enum ReasonCode: String, Sendable, CaseIterable, Codable {
    case lookahead
    case factorIC = "factor.ic"
    case factorIR = "factor.ir"
    case factorMonotonicity = "factor.monotonicity"
    case factorRankTurnover = "factor.rank_turnover"
    case factorPValue = "factor.p_value"
    case signalWinRate = "signal.win_rate"
    case signalProfitFactor = "signal.profit_factor"
    case signalEdge = "signal.edge"
    case signalFrequency = "signal.frequency"
    case backtestTrades = "backtest.trades"
    case backtestSharpe = "backtest.sharpe"
    case walkForwardValidationSharpe = "wf.validation_sharpe"
    case walkForwardTestTrades = "wf.test_trades"
    case walkForwardTestSharpe = "wf.test_sharpe"
    case rollingPositiveShare = "rolling.positive_share"
    case rollingDecayRatio = "rolling.decay_ratio"
    case deflatedSharpe = "honesty.dsr"
    case overfitting = "honesty.pbo"
    case lagSensitivity = "honesty.lag"
    case selfCorrelation = "honesty.self_correlation"
    case symbolShare = "symbols.share"

    /// How the number a check of this code measures is written: the same in the stage table,
    /// the HTML report and the sentences.
    public func format(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "—" : (x > 0 ? "∞" : "−∞") }
        switch self {
        case .signalWinRate, .rollingPositiveShare, .lagSensitivity, .rollingDecayRatio: return String(format: "%.1f%%", x * 100)
        case .signalEdge: return String(format: "%.3f%%", x * 100)
        case .factorPValue, .deflatedSharpe: return String(format: "%.3f", x)
        case .backtestTrades, .walkForwardTestTrades, .lookahead: return String(format: "%.0f", x)
        default: return String(format: "%.2f", x)
        }
    }
}

/// One number held against its threshold.
public struct Check: Sendable, Codable {
    /// How the value must relate to the threshold.
    public enum Rule: String, Sendable, Codable {
        case above = ">", atLeast = ">=", below = "<", atMost = "<="
    }

    public let code: ReasonCode
    /// What is measured, short: "|IC| at 24 bars".
    public let label: String
    public let value: Double
    public let rule: Rule
    public let threshold: Double
    public let passed: Bool
    /// The sentence a person and a language model can act on when it fails; a short note when it
    /// passes.
    public let message: String

    /// Holds `value` against `threshold` by `rule`; a NaN value fails.
    public init(_ code: ReasonCode, _ label: String, value: Double, _ rule: Rule, _ threshold: Double,
                failure: @autoclosure () -> String, note: String = "") {
        self.code = code
        self.label = label
        self.value = value
        self.rule = rule
        self.threshold = threshold
        switch rule {
        case .above: passed = value > threshold
        case .atLeast: passed = value >= threshold
        case .below: passed = value < threshold
        case .atMost: passed = value <= threshold
        }
        message = passed ? note : failure()
    }

    /// "label value (rule threshold)", with a ✗ when it failed: one cell of the stage table.
    public var summary: String {
        "\(label) \(code.format(value)) (\(rule.rawValue) \(code.format(threshold)))\(passed ? "" : " ✗")"
    }

    /// How far the value fell short, relative to the threshold (0 = right at it); what near-miss
    /// queries rank failures by.
    public var shortfall: Double {
        guard !passed else { return 0 }
        guard value.isFinite else { return 1 }
        let gap = abs(value - threshold)
        return threshold == 0 ? gap : gap / abs(threshold)
    }
}

/// What one stage found: its checks (the first failed one is the reason), the numbers behind
/// them for the report and the ledger, and notes.
public struct StageResult: Sendable {
    public let stage: ValidationStage
    public var checks: [Check] = []
    /// Every number the stage measured, ledger keys (`wf_test_sharpe`, `factor_ic_24`, ...).
    public var metrics: [String: Double] = [:]
    /// Context lines for the report (which horizon, which windows, ...).
    public var notes: [String] = []

    public init(stage: ValidationStage) { self.stage = stage }

    public var passed: Bool { checks.allSatisfy(\.passed) }
    /// The check that stopped the stage.
    public var failure: Check? { checks.first { !$0.passed } }
}
