import DurableFiles
import Evaluation
import Foundation
import Knowledge
import MarketData
import Scripting

/// Writes a validation's trials to the ledger: every optimizer trial (so the deflated Sharpe
/// counts it) and the verdict, with the data each ran on. Without a knowledge base it only
/// counts, so the deflated Sharpe still includes this run's trials.
package struct TrialRecorder {
    /// Where trials are written; nil when nothing is recorded.
    let knowledge: KnowledgeBase?
    /// Where the lifetime count is read (the same, or a knowledge base opened read-only).
    let counter: KnowledgeBase?
    let hypothesis: String?
    let space: ParameterSpace
    let contexts: [SymbolContext]
    /// Trials this run evaluated so far (optimizer trials).
    private(set) var runTrials = 0
    private var spans: [String: DataSpan] = [:]
    /// Names this validation's trials (see ``Validator/validate(source:path:data:origin:trialKey:progress:)``):
    /// the same key gives the same uids, so validating again after an interruption records nothing twice.
    let trialKey: String?
    private var batches = 0

    init(knowledge: KnowledgeBase?, counter: KnowledgeBase?, hypothesis: String?, space: ParameterSpace, contexts: [SymbolContext],
         trialKey: String? = nil) {
        self.trialKey = trialKey
        self.knowledge = hypothesis == nil ? nil : knowledge
        self.counter = counter
        self.hypothesis = hypothesis
        self.space = space
        self.contexts = contexts
    }

    /// Records trials run on `windows` (one per symbol index in `symbols`).
    mutating func recordOptimizerTrials(_ trials: [OptimizerTrial], stage: ValidationStage, symbols: [Int], windows: [Range<Int>],
                                        seed: UInt64) throws(ValidatorError) {
        runTrials += trials.count
        batches += 1
        guard let kb = knowledge, let hypothesis, !trials.isEmpty else { return }
        let batch = batches
        let span = combined(zip(symbols, windows).map { self.span(symbol: $0, window: $1) })
        let names = symbols.map { contexts[$0].symbol }
        let drafts = trials.enumerated().map { k, t -> TrialDraft in
            var metrics: [String: Double] = [:]
            if t.outcomes.count == 1, let m = t.outcomes[0].metrics {
                metrics = MetricSchema.ledger(factor: [], signal: nil, backtest: m)
            } else {
                for (name, o) in zip(names, t.outcomes) {
                    if let m = o.metrics {
                        metrics["sharpe@\(name)"] = m.sharpe
                        metrics["trades@\(name)"] = Double(m.trades)
                    }
                }
                metrics["sharpe"] = t.objective
            }
            var draft = TrialDraft(hypothesis: hypothesis, parameters: space.values(t.point), data: span, stage: stage.trialStage,
                                   passed: nil, metrics: metrics.filter { $0.value.isFinite }, seed: seed,
                                   durationSeconds: t.outcomes.map(\.seconds).reduce(0, +),
                                   startedAt: t.outcomes.map(\.startedAt).min() ?? Date(), source: "optimizer")
            if let uid = uid("\(batch)/\(k)") { draft.uid = uid }
            if let error = t.outcomes.compactMap(\.error).first {
                draft.passed = false
                draft.reasonCode = TrialRecording.reasonCode(error)
                draft.reasonMessage = error.description
            }
            return draft
        }
        do { try kb.recordTrials(drafts) } catch { throw .knowledge(error) }
    }

    /// The lifetime trial count the deflated Sharpe deflates by, the verdict about to be
    /// recorded included.
    func lifetimeTrials() throws(ValidatorError) -> Int {
        do {
            if knowledge != nil { return try knowledge!.trialCount() + 1 }
            return (try counter?.trialCount() ?? 0) + runTrials + 1
        } catch {
            throw .knowledge(error)
        }
    }

    /// Records the verdict as one trial over every symbol's visible span, and the hypothesis's
    /// status (validated or rejected).
    mutating func recordVerdict(_ report: ValidationReport, parameters: [String: Double], startedAt: Date) throws(ValidatorError) -> Int64 {
        guard let kb = knowledge, let hypothesis else { return 0 }
        let span = combined(contexts.indices.map { self.span(symbol: $0, window: nil) })
        var metrics: [String: Double] = [:]
        if report.symbols.count == 1 {
            metrics = report.symbols[0].metrics
        } else {
            for s in report.symbols {
                for (key, value) in s.metrics { metrics["\(key)@\(s.symbol)"] = value }
            }
            metrics["symbols_passed"] = Double(report.symbolsPassed)
        }
        metrics["run_trials"] = Double(report.runTrials)
        // Only a full validation reaches the holdout (and can be promoted); a pass of fewer stages
        // is recorded at the furthest stage it ran.
        let full = report.mode == .full
        let stage = report.passed && full ? TrialStage.holdout : (report.furthestStage?.trialStage ?? .sandbox)
        var draft = TrialDraft(hypothesis: hypothesis, parameters: parameters, data: span, stage: stage, passed: report.passed,
                               metrics: metrics.filter { $0.value.isFinite }, durationSeconds: Date().timeIntervalSince(startedAt),
                               startedAt: startedAt, source: "validate")
        if let uid = uid("verdict") { draft.uid = uid }
        if let failure = report.failure {
            draft.reasonCode = failure.check.code.rawValue
            draft.reasonMessage = report.symbols.count == 1 ? failure.check.message : "\(failure.symbol): \(failure.check.message)"
            draft.shortfall = failure.check.shortfall
        } else if !report.passed {
            draft.reasonCode = ReasonCode.symbolShare.rawValue
            draft.reasonMessage = "\(report.symbolsPassed) of \(report.symbols.count) symbols passed; \(report.symbolsNeeded) needed"
        }
        do {
            let id = try kb.recordTrial(draft)
            // A full pass validates; a failure rejects, unless a strategy already stands on this
            // hypothesis (validating it again does not undo its holdout); a partial pass changes nothing.
            if report.passed && full {
                try kb.setStatus(hypothesis, .validated)
            } else if !report.passed, try !kb.strategies().contains(where: { $0.hypothesis == hypothesis }) {
                try kb.setStatus(hypothesis, .rejected)
            }
            return id
        } catch {
            throw .knowledge(error)
        }
    }

    /// The uid of this validation's trial `name`, when a trial key is set.
    private func uid(_ name: String) -> String? {
        trialKey.map { Self.uid(trialKey: $0, name) }
    }

    /// The uid of trial `name` (`verdict`, or an optimizer batch's `b/k`) of the validation
    /// under `trialKey`: how a caller recognises its own verdict.
    package static func uid(trialKey: String, _ name: String) -> String {
        SHA256.hex(Array("\(trialKey)/\(name)".utf8)).prefix(32).description
    }

    /// A symbol's visible bars, or a window of them, as the ledger records data.
    private mutating func span(symbol: Int, window: Range<Int>?) -> DataSpan {
        let bars = contexts[symbol].data.bars
        let range = window ?? 0..<bars.count
        let key = "\(symbol):\(range.lowerBound):\(range.upperBound)"
        if let known = spans[key] { return known }
        let made = TrialRecording.dataSpan(range == 0..<bars.count ? bars : bars.slice(range))
        spans[key] = made
        return made
    }

    /// Several symbols' spans as one: all symbols, the widest times, all bars, a hash of the hashes.
    private func combined(_ parts: [DataSpan]) -> DataSpan {
        guard parts.count > 1 else { return parts[0] }
        let hash = SHA256.hex(Array(parts.map(\.hash).joined(separator: "\n").utf8))
        return DataSpan(symbols: parts.flatMap(\.symbols), interval: parts[0].interval, from: parts.map(\.from).min()!,
                        to: parts.map(\.to).max()!, bars: parts.map(\.bars).reduce(0, +), hash: hash)
    }
}
