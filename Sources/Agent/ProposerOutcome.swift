public import Knowledge
import Foundation
public import Validation

/// An outcome as the proposer may see it: how far the hypothesis got through the in-sample
/// gates, why it stopped, and train/validation numbers. Walk-forward test, rolling and holdout
/// numbers never appear here, nor whether the hypothesis passed them: steering by them would
/// fit the proposer to the test data.
public struct ProposerOutcome: Sendable, Codable, Equatable {
    public var hypothesis: String
    public var name: String
    public var category: String?
    public var template: String?
    /// The furthest stage the proposer may know of (`walk_forward` once the in-sample gates and
    /// the walk-forward validation window have passed).
    public var stage: String
    /// Stopped by a gate the proposer may see.
    public var reasonCode: String?
    /// The reason and the in-sample numbers, in a sentence or two.
    public var feedback: String
    /// The in-sample numbers themselves: `factor_horizon`, `factor_ic_<h>`, `factor_ir`,
    /// `signal_win_rate`, `signal_average_edge`, `sharpe`, `trades`, `wf_train_sharpe`,
    /// `wf_validation_sharpe`.
    public var metrics: [String: Double]
    /// In-sample promise: the stage reached (0 sandbox ... 5 past the validation window), plus a
    /// fraction for how close the stopping gate came (or the validation Sharpe once past it).
    public var score: Double

    public init(hypothesis: String, name: String, category: String? = nil, template: String? = nil, stage: String,
                reasonCode: String?, feedback: String, metrics: [String: Double] = [:], score: Double) {
        self.hypothesis = hypothesis
        self.name = name
        self.category = category
        self.template = template
        self.stage = stage
        self.reasonCode = reasonCode
        self.feedback = feedback
        self.metrics = metrics
        self.score = score
    }

    /// Gates whose verdict the proposer may see: they judge train and validation bars only.
    static let visibleCodes: Set<ReasonCode> = [
        .lookahead, .factorIC, .factorIR, .factorMonotonicity, .factorRankTurnover, .factorPValue,
        .signalWinRate, .signalProfitFactor, .signalEdge, .signalFrequency, .backtestTrades, .backtestSharpe,
        .walkForwardValidationSharpe,
    ]

    /// The furthest stage a proposer may know of, from the ledger's: anything past the
    /// walk-forward stage is reported as `walk_forward`, so passing the test window or the
    /// rolling windows shows nowhere.
    public static func visibleStage(_ stage: String) -> String {
        ["rolling", "honesty", "holdout"].contains(stage) ? TrialStage.walkForward.rawValue : stage
    }

    /// The proposer's view of a validation report.
    public static func of(_ report: ValidationReport, hypothesis: String, name: String, category: String?,
                          template: String?) -> ProposerOutcome {
        let numbers = inSampleNumbers(report)
        let metrics = inSampleMetrics(report)
        let stageRank: [ValidationStage: Double] = [.lookahead: 0, .factor: 1, .signal: 2, .backtest: 3, .walkForward: 4]
        // The first failure the proposer may see, over every symbol, in stage order.
        var visible: (stage: StageResult, check: Check, symbol: String)? = nil
        for s in report.symbols {
            for stage in s.stages {
                guard let c = stage.checks.first(where: { !$0.passed && visibleCodes.contains($0.code) }) else { continue }
                if visible == nil || stageRank[stage.stage, default: 9] < stageRank[visible!.stage.stage, default: 9] {
                    visible = (stage, c, s.symbol)
                }
                break
            }
        }
        if let v = visible {
            let where_ = report.symbols.count > 1 ? "\(v.symbol): " : ""
            // How close the stage came: every one of its checks counts, so a factor that misses
            // the IC a little and the IR by far is not mistaken for a near-miss.
            let checks = v.stage.checks.filter { visibleCodes.contains($0.code) }
            let closeness = checks.map { $0.passed ? 1 : max(0, 1 - min(1, $0.shortfall)) }.reduce(0, +) / Double(max(1, checks.count))
            return ProposerOutcome(hypothesis: hypothesis, name: name, category: category, template: template,
                                   stage: v.stage.stage.trialStage.rawValue, reasonCode: v.check.code.rawValue,
                                   feedback: where_ + v.check.message + (numbers.isEmpty ? "" : " [in sample: \(numbers)]"),
                                   // A script that reads the future is no near-miss, wherever it was caught.
                                   metrics: metrics, score: v.check.code == .lookahead ? 0 : stageRank[v.stage.stage, default: 0] + 0.99 * closeness)
        }
        let ran = Set(report.symbols.flatMap { $0.stages.map(\.stage) })
        let validationSharpe = report.metric("wf_validation_sharpe")
        let reached: ValidationStage = ran.contains(.walkForward) ? .walkForward : (ran.contains(.backtest) ? .backtest : .lookahead)
        let bonus = validationSharpe.map { 0.5 + 0.49 * tanh($0 / 2) } ?? 0.5
        let text = reached == .walkForward
            ? "passed the in-sample gates and the walk-forward validation window; judged out of sample (not shown)"
            : "passed the \(report.mode.rawValue) gates in sample"
        return ProposerOutcome(hypothesis: hypothesis, name: name, category: category, template: template,
                               stage: reached.trialStage.rawValue, reasonCode: nil,
                               feedback: text + (numbers.isEmpty ? "" : " [in sample: \(numbers)]"),
                               metrics: metrics, score: (reached == .walkForward ? 5 : 4) + bonus - 1)
    }

    /// The outcome of a script that did not run.
    public static func failed(hypothesis: String, name: String, category: String?, template: String?, code: String,
                              message: String) -> ProposerOutcome {
        ProposerOutcome(hypothesis: hypothesis, name: name, category: category, template: template, stage: TrialStage.sandbox.rawValue,
                        reasonCode: code, feedback: message, score: 0)
    }

    /// The keys of ``metrics``: numbers of the in-sample gates and the walk-forward training and
    /// validation windows, never of its test window.
    static func inSampleMetrics(_ report: ValidationReport) -> [String: Double] {
        var keys = inSampleKeys
        if let h = report.metric("factor_horizon"), h.isFinite { keys.append("factor_ic_\(Int(h))") }
        var out: [String: Double] = [:]
        for key in keys { if let v = report.metric(key), v.isFinite { out[key] = v } }
        return out
    }

    static let inSampleKeys = ["factor_horizon", "factor_ir", "factor_monotonicity", "factor_rank_turnover", "signal_win_rate",
                               "signal_average_edge", "signal_per_1000_bars", "sharpe", "trades", "wf_train_sharpe", "wf_validation_sharpe"]

    /// The in-sample numbers among a ledger trial's metrics (a verdict's of an earlier run).
    public static func inSample(_ metrics: [String: Double]) -> [String: Double] {
        var keys = inSampleKeys
        if let h = metrics["factor_horizon"], h.isFinite { keys.append("factor_ic_\(Int(h))") }
        return metrics.filter { keys.contains($0.key) && $0.value.isFinite }
    }

    /// The factor's IC at the horizon the factor gate judged, when it ran.
    public var informationCoefficient: Double? {
        metrics["factor_horizon"].flatMap { metrics["factor_ic_\(Int($0))"] }
    }

    /// Train-and-validation numbers of the first symbol: the factor's IC, the signal's win rate
    /// and edge, the in-sample backtest, the walk-forward training and validation Sharpe.
    static func inSampleNumbers(_ report: ValidationReport) -> String {
        var parts: [String] = []
        func add(_ key: String, _ label: String, _ format: (Double) -> String) {
            if let v = report.metric(key), v.isFinite { parts.append("\(label) \(format(v))") }
        }
        if let h = report.metric("factor_horizon"), h.isFinite {
            add("factor_ic_\(Int(h))", "IC@\(Int(h))", { String(format: "%+.3f", $0) })
        }
        add("factor_ir", "IR", { String(format: "%.2f", $0) })
        add("signal_win_rate", "win rate", { String(format: "%.1f%%", $0 * 100) })
        add("signal_average_edge", "edge", { String(format: "%+.3f%%", $0 * 100) })
        add("sharpe", "Sharpe", { String(format: "%.2f", $0) })
        add("trades", "trades", { String(format: "%.0f", $0) })
        add("wf_train_sharpe", "WF train Sharpe", { String(format: "%.2f", $0) })
        add("wf_validation_sharpe", "WF validation Sharpe", { String(format: "%.2f", $0) })
        return parts.joined(separator: ", ")
    }
}
