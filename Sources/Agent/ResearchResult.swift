import Evaluation
import Foundation
public import Knowledge

/// What a research run came to: its record, every iteration, the strategies it validated, the
/// nearest misses and the main reasons for failing.
public struct ResearchResult: Sendable {
    public let run: ResearchRun
    /// Every finished iteration of the run (earlier sessions of a resumed run included).
    public let iterations: [IterationRecord]
    /// Strategies the run promoted, with their files.
    public let strategies: [Strategy]
    /// The run's best rejected hypotheses by in-sample score (what the next run could refine).
    public let nearMisses: [IterationRecord]
    /// Failure reasons of this run, most frequent first.
    public let reasons: [(code: String, count: Int, example: String)]
    public let stopReason: String
    /// What the run's language-model calls used and cost (zero for the offline generator).
    public let spend: LLMSpend

    /// The validated hypothesis with the best walk-forward test Sharpe.
    public var bestHypothesis: String? { run.bestHypothesis }
    public var bestSharpe: Double? { run.bestTestSharpe }
    public var validatedCount: Int { iterations.filter { $0.verdict == .validated }.count }
    public var trials: Int { run.trials }

    /// A run's result as the knowledge base holds it; `session` are the iterations this process ran.
    public static func load(run id: String, knowledge: KnowledgeBase, session: [IterationRecord], stopReason: String) throws(AgentError) -> ResearchResult {
        do {
            let run = try knowledge.run(id)
            let steps = try knowledge.steps(run: id)
            let names = Dictionary(try knowledge.hypotheses().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            let bySession = Dictionary(session.map { ($0.iteration, $0) }, uniquingKeysWith: { _, b in b })
            // One record per iteration: this session's as it happened, earlier ones from their last step.
            var records: [IterationRecord] = []
            // Finished iterations only: one a budget or a failure cut short is left for --resume.
            for iteration in Set(steps.map(\.iteration)).sorted() where iteration < run.iteration {
                if let r = bySession[iteration] { records.append(r); continue }
                guard let step = steps.last(where: { $0.iteration == iteration }) else { continue }
                records.append(IterationRecord(step: step, name: step.hypothesis.flatMap { names[$0] } ?? "unnamed"))
            }
            let strategies = try knowledge.strategies().filter { s in steps.contains { $0.strategy == s.id } }
            let misses = records.filter { $0.verdict == .rejected && ($0.score ?? 0) > 0 }
                .sorted { ($0.score ?? 0) > ($1.score ?? 0) }
            var counts: [String: (Int, String)] = [:]
            for r in records where r.verdict != .validated && r.verdict != .passed {
                guard let code = r.reasonCode else { continue }
                counts[code] = ((counts[code]?.0 ?? 0) + 1, r.reason)
            }
            let reasons = counts.map { (code: $0.key, count: $0.value.0, example: $0.value.1) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.code < $1.code }
            return ResearchResult(run: run, iterations: records, strategies: strategies, nearMisses: Array(misses.prefix(5)),
                                  reasons: reasons, stopReason: stopReason, spend: try knowledge.llmSpend(run: id))
        } catch {
            throw .knowledge(error.description)
        }
    }

    /// A readable summary: the counts, the strategies with their files, the near-misses, the
    /// main failure reasons, and what to do next.
    /// - Parameter arguments: added to every suggested command (`--kb other.sqlite`).
    public func summary(arguments: String = "") -> String {
        var lines: [String] = []
        lines.append("Research run \(run.id) (\(run.provider), seed \(run.seed)): \(stopReason).")
        lines.append("  \(ReportFormat.count(iterations.count, "iteration")), \(ReportFormat.count(run.hypotheses, "hypothesis", "hypotheses")), "
                     + "\(ReportFormat.count(run.trials, "trial")), \(ReportFormat.count(run.duplicates, "duplicate")) skipped, "
                     + "\(validatedCount) validated, \(ReportFormat.duration(run.elapsedSeconds)).")
        if spend.calls > 0 { lines.append("  Model spend: \(spend.text).") }
        if strategies.isEmpty {
            lines.append("  No strategy survived.")
        } else {
            lines.append("  Strategies:")
            for s in strategies {
                let sharpe = iterations.first { $0.strategy == s.id }?.testSharpe.map { String(format: "test Sharpe %.2f", $0) } ?? ""
                let holdout = s.holdout?["sharpe"].map { String(format: ", holdout Sharpe %.2f", $0) } ?? ""
                lines.append("    \(s.id) \(s.name) (\(s.hypothesis)): \(sharpe)\(holdout) → \(s.filePath)")
            }
        }
        let passed = iterations.filter { $0.verdict == .passed }
        if !passed.isEmpty {
            let mode = run.settings["mode"].map { "\($0) " } ?? ""
            lines.append("  Passed the \(mode)gates (promising, not strategies until a full validation: llmalpha validate <script> --mode full):")
            for r in passed.prefix(5) { lines.append("    \(r.hypothesis ?? "-") \(r.name): \(r.keyNumber)") }
            if passed.count > 5 { lines.append("    and \(passed.count - 5) more") }
        }
        if !nearMisses.isEmpty {
            lines.append("  Nearest misses (in-sample score, 5 = past the validation window):")
            for r in nearMisses {
                lines.append("    \(r.hypothesis ?? "-") \(r.name): \(String(format: "%.2f", r.score ?? 0)), stopped at \(r.stage): \(r.keyNumber)")
            }
        }
        if !reasons.isEmpty {
            lines.append("  Main reasons for failing:")
            for r in reasons.prefix(5) { lines.append("    \(r.code) ×\(r.count)") }
        }
        var next: [String] = []
        if let best = nearMisses.first?.hypothesis { next.append("llmalpha agent improve \(best) -n 3\(arguments)") }
        if run.state == .interrupted { next.append("llmalpha agent research --resume \(run.id)\(arguments)") }
        next.append("llmalpha agent analyze\(arguments)")
        lines.append("  Next: " + next.joined(separator: "   "))
        return lines.joined(separator: "\n")
    }
}

extension IterationRecord {
    /// An iteration of an earlier session, rebuilt from its step.
    init(step: ResearchStep, name: String) {
        let verdict: Verdict
        switch step.outcome {
        case .duplicate: verdict = .duplicate
        case .invalid: verdict = .invalid
        case .error, .running: verdict = .error
        case .evaluated: verdict = step.passed != true ? .rejected : (step.stage == TrialStage.holdout.rawValue ? .validated : .passed)
        }
        self.init(iteration: step.iteration, hypothesis: step.hypothesis, name: name, action: step.action, parent: step.parent,
                  category: step.category, stage: step.stage ?? "proposal", verdict: verdict, reason: step.feedback,
                  reasonCode: step.reasonCode,
                  keyNumber: step.testSharpe.map { String(format: "test Sharpe %.2f", $0) } ?? step.reasonCode ?? "",
                  testSharpe: step.testSharpe, score: step.score, strategy: step.strategy, strategyFile: nil, trials: step.trials,
                  seconds: step.durationSeconds)
    }
}
