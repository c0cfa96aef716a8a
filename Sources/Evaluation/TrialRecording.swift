package import Foundation
import DurableFiles
package import Knowledge
package import MarketData
package import Scripting

/// Turns a script run into ledger entries: the script as a hypothesis (recorded once per
/// distinct text), the run as a trial with every number it produced.
package enum TrialRecording {
    /// What the run was recorded as.
    package struct Receipt: Sendable {
        package let hypothesis: Hypothesis
        package let trial: Int64
        /// A lineage the script named but the knowledge base does not know, left out.
        package let ignoredParent: String?
    }

    /// Records a finished run (`run` is nil and `error` set when the script failed).
    package static func record(source: String, path: String, bars: Bars, run: ScriptRun?, error: ScriptError?,
                              parameters overrides: [String: String], startedAt: Date, seconds: Double,
                              into kb: KnowledgeBase) throws(KnowledgeError) -> Receipt {
        let (hypothesis, ignoredParent) = try recordHypothesis(source: source, path: path,
                                                               info: run?.result.hypothesis ?? error?.hypothesis, into: kb)
        var parameters: [String: Double] = [:]
        for p in run?.result.parameters ?? [] { parameters[p.name] = p.value }
        for (name, text) in overrides where parameters[name] == nil { parameters[name] = Double(text) }

        let (stage, metrics) = run.map { ($0.stage, $0.ledgerMetrics) } ?? (.sandbox, [:])
        var trial = TrialDraft(hypothesis: hypothesis.id, parameters: parameters, data: dataSpan(bars), stage: stage,
                               passed: nil, metrics: metrics, durationSeconds: seconds, startedAt: startedAt, source: "run")
        if let error {
            trial.passed = false
            trial.reasonCode = reasonCode(error)
            trial.reasonMessage = error.description
        }
        let id = try kb.recordTrial(trial)
        return Receipt(hypothesis: hypothesis, trial: id, ignoredParent: ignoredParent)
    }

    /// Records the script as a hypothesis under the name its `hypothesis{}` gives (else the file's
    /// name); the same text is the same hypothesis. A `parent` the knowledge base does not know is
    /// left out and returned, so the caller can say so.
    package static func recordHypothesis(source: String, path: String, info: HypothesisInfo?, origin: String = "user",
                                        into kb: KnowledgeBase) throws(KnowledgeError) -> (Hypothesis, ignoredParent: String?) {
        let fileName = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var ignoredParent: String? = nil
        var parent: String? = nil
        if let named = info?.parent, !named.isEmpty {
            if let known = try? kb.hypothesis(named) { parent = known.id } else { ignoredParent = named }
        }
        let draft = HypothesisDraft(name: (info?.name).flatMap { $0.isEmpty ? nil : $0 } ?? fileName,
                                    rationale: info?.rationale ?? "", tags: info?.tags ?? [], parent: parent,
                                    origin: origin, script: source)
        return (try kb.recordHypothesis(draft), ignoredParent)
    }

    /// The ledger's reason code for a script that could not run to the end.
    package static func reasonCode(_ error: ScriptError) -> String {
        switch error.kind {
        case .resourceLimit(let limit): return "sandbox.limit.\(limit)"
        case .syntax: return "sandbox.syntax"
        case .contract: return "sandbox.contract"
        default: return "sandbox.error"
        }
    }

    /// The bars a trial ran on, with a sha256 over every column a script can see (prices,
    /// volumes, funding, open interest, ...) and the funding settlements, so two trials can be
    /// told to share data without trusting file names.
    package static func dataSpan(_ bars: Bars) -> DataSpan {
        var hasher = SHA256()
        hasher.update(Array("\(bars.symbol) \(bars.interval) \(bars.count)\n".utf8))
        for column in [bars.time, bars.open, bars.high, bars.low, bars.close, bars.volume] {
            column.withUnsafeBytes { hasher.update(Array($0)) }
        }
        for (name, values) in bars.extra {
            hasher.update(Array("\(name)\n".utf8))
            values.withUnsafeBytes { hasher.update(Array($0)) }
        }
        let settlements = bars.fundingEvents.flatMap { [$0.time, $0.rate] }
        hasher.update(Array("funding events\n".utf8))
        settlements.withUnsafeBytes { hasher.update(Array($0)) }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return DataSpan(symbols: [bars.symbol], interval: bars.interval, from: Int64(bars.time.first ?? 0),
                        to: Int64(bars.time.last ?? 0), bars: bars.count, hash: digest)
    }
}
