import Foundation
public import Knowledge

/// What the knowledge base has learned (`agent analyze`): which categories and families pass or
/// fail and where, the failure reasons ranked, the parameter regions of near-misses, and
/// concrete suggestions for the next run.
public struct KnowledgeAnalysis: Sendable, Codable {
    public struct Group: Sendable, Codable {
        public let name: String
        public let hypotheses: Int
        public let validated: Int
        /// How many stopped at each stage, in stage order.
        public let stoppedAt: [String: Int]
        /// The best in-sample score (5 = past the walk-forward validation window).
        public let bestScore: Double?
    }

    public struct Region: Sendable, Codable {
        public let hypothesis: String
        public let name: String
        public let stage: String
        public let reason: String
        /// Each parameter's value chosen in sample, by name.
        public let parameters: [String: Double]
    }

    public struct Reason: Sendable, Codable {
        public let code: String
        public let count: Int
        public let example: String
        public let advice: String
    }

    public let hypotheses: Int
    public let trials: Int
    public let validated: Int
    public let runs: Int
    public let categories: [Group]
    public let families: [Group]
    public let reasons: [Reason]
    public let nearMisses: [Region]
    public let suggestions: [String]

    /// - Parameter arguments: added to every suggested command (`--kb other.sqlite`).
    public static func of(_ kb: KnowledgeBase, arguments: String = "") throws(KnowledgeError) -> KnowledgeAnalysis {
        let hypotheses = try kb.hypotheses()
        let verdicts = Dictionary(try kb.verdicts().map { ($0.hypothesis, $0) }, uniquingKeysWith: { _, b in b })
        let steps = try kb.steps()
        let stepOf = Dictionary(steps.compactMap { s in s.hypothesis.map { ($0, s) } }, uniquingKeysWith: { _, b in b })

        func category(_ h: Hypothesis) -> String {
            stepOf[h.id]?.category ?? h.tags.first { ResearchCategory(rawValue: $0) != nil } ?? "uncategorized"
        }
        func group(_ name: String, _ members: [Hypothesis]) -> Group {
            var stopped: [String: Int] = [:]
            for h in members {
                guard let v = verdicts[h.id] else { stopped["not judged", default: 0] += 1; continue }
                stopped[v.passed == true ? "passed" : v.stage.rawValue, default: 0] += 1
            }
            let scores = members.compactMap { stepOf[$0.id]?.score }
            return Group(name: name, hypotheses: members.count, validated: members.filter { $0.status == .validated }.count,
                         stoppedAt: stopped, bestScore: scores.max())
        }
        let byCategory = Dictionary(grouping: hypotheses, by: category)
        let categories = byCategory.keys.sorted().map { group($0, byCategory[$0]!) }
        let byFamily = Dictionary(grouping: hypotheses, by: \.family)
        let names = Dictionary(hypotheses.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let families = byFamily.filter { $0.value.count > 1 }.keys.sorted().map { group("\($0) \(names[$0] ?? "")", byFamily[$0]!) }

        let reasons = try kb.failureReasons(limit: 10).map { r in
            Reason(code: r.code, count: r.count, example: "\(r.exampleHypothesis): \(r.example)", advice: advice(r.code))
        }
        // Near-misses: the verdicts that got furthest, with the parameters chosen in sample.
        let misses = verdicts.values.filter { $0.passed == false }
            .sorted { a, b in
                a.stage.rank != b.stage.rank ? a.stage.rank > b.stage.rank : (a.shortfall ?? 9) < (b.shortfall ?? 9)
            }
            .prefix(8)
            .map { t in Region(hypothesis: t.hypothesis, name: names[t.hypothesis] ?? "", stage: t.stage.rawValue,
                               reason: t.reasonCode ?? "", parameters: t.parameters) }

        var suggestions: [String] = []
        let tried = Set(byCategory.keys)
        let untried = ResearchCategory.allCases.map(\.rawValue).filter { !tried.contains($0) }
        if !untried.isEmpty {
            let servable = untried.first { ResearchCategory(rawValue: $0)?.requiredColumn != "open_interest" } ?? untried[0]
            let note = untried.contains("open_interest") ? " (open_interest needs open-interest data: llmalpha data download --oi)" : ""
            suggestions.append("Never tried: \(untried.joined(separator: ", "))\(note). Try: llmalpha agent research -c \(servable) -n 10\(arguments)")
        }
        if let best = categories.filter({ $0.name != "uncategorized" }).max(by: { ($0.bestScore ?? 0) < ($1.bestScore ?? 0) }),
           let score = best.bestScore, score >= 2 {
            suggestions.append("\(best.name) gets furthest in sample (best score \(String(format: "%.2f", score))): "
                               + "llmalpha agent research -c \(best.name) -n 10\(arguments)")
        }
        if let miss = misses.first {
            suggestions.append("\(miss.hypothesis) \(miss.name) came closest (stopped at \(miss.stage), \(miss.reason)): "
                               + "llmalpha agent improve \(miss.hypothesis) -n 3\(arguments)")
        }
        if let top = reasons.first {
            suggestions.append("Most failures are \(top.code) (\(top.count)): \(top.advice)")
        }
        let validated = hypotheses.filter { $0.status == .validated }.count
        if validated > 0 { suggestions.append("\(validated) validated: llmalpha strategy list\(arguments) shows them with their holdout results.") }
        if hypotheses.isEmpty { suggestions.append("The knowledge base is empty: llmalpha agent research -n 10\(arguments) starts one.") }
        return KnowledgeAnalysis(hypotheses: hypotheses.count, trials: try kb.trialCount(), validated: validated,
                                 runs: try kb.runs(limit: 10_000).count, categories: categories, families: families, reasons: reasons,
                                 nearMisses: Array(misses), suggestions: suggestions)
    }

    /// What to try when a reason keeps coming back.
    static func advice(_ code: String) -> String {
        switch code {
        case "factor.ic", "factor.p_value": return "the factors do not rank forward returns; smoother or slower factors, or another family"
        case "factor.ir": return "the IC is unstable across months; the effect may be a regime, add a regime filter"
        case "factor.monotonicity": return "the IC comes from one extreme bucket; trade the extremes only (higher entry thresholds)"
        case "factor.rank_turnover": return "the factor reshuffles every bar; use longer windows or smooth it (ema)"
        case "signal.win_rate", "signal.profit_factor", "signal.edge":
            return "signal trades lose after costs; fewer, stronger entries (higher thresholds, a trend filter) or longer holds"
        case "signal.frequency": return "entries fire too often or too rarely; use crossings instead of levels, or adjust thresholds"
        case "backtest.trades": return "too few trades to judge; lower the entry threshold or use a longer span"
        case "backtest.sharpe": return "the backtest does not pay after fees, slippage and funding; look for larger moves per trade"
        case "wf.validation_sharpe", "wf.test_sharpe", "wf.test_trades":
            return "the in-sample edge does not carry out of sample; narrower parameter ranges or a simpler rule overfit less"
        case "rolling.positive_share", "rolling.decay_ratio": return "the edge is not stable through time; it may be one regime"
        case "honesty.dsr": return "the Sharpe does not beat what this many trials would find by luck; only a stronger edge passes"
        case "honesty.pbo": return "the optimizer's best pick tends to be overfit; fewer or narrower parameters"
        case "honesty.lag": return "the edge vanishes with one more bar of delay; it depends on instant execution"
        case "honesty.self_correlation": return "it repeats a saved strategy; look elsewhere"
        case "lookahead": return "the script reads future bars; never use forward_return or shifted data in factor/signal"
        default:
            if code.hasPrefix("sandbox.limit") { return "scripts hit a sandbox limit; simpler scripts, or raise agent.sandbox_timeout" }
            if code.hasPrefix("sandbox") { return "scripts fail to run; read the messages with llmalpha kb search" }
            return "see llmalpha kb search \(code)"
        }
    }

    /// The analysis as text.
    public var text: String {
        var lines = ["\(hypotheses) hypotheses, \(trials) trials, \(validated) validated, \(runs) research runs."]
        if !categories.isEmpty {
            lines += ["", "By category (where hypotheses stopped):"]
            for g in categories { lines.append("  " + Self.line(g)) }
        }
        if !families.isEmpty {
            lines += ["", "Families with refinements:"]
            for g in families.prefix(10) { lines.append("  " + Self.line(g)) }
        }
        if !reasons.isEmpty {
            lines += ["", "Reasons for failing, most frequent first:"]
            for r in reasons { lines.append("  \(r.code) ×\(r.count): \(r.advice)") }
        }
        if !nearMisses.isEmpty {
            lines += ["", "Near-misses and their parameter regions (chosen in sample):"]
            for m in nearMisses {
                let params = m.parameters.keys.sorted().map { "\($0)=\(Self.short(m.parameters[$0]!))" }.joined(separator: " ")
                lines.append("  \(m.hypothesis) \(m.name): stopped at \(m.stage) (\(m.reason))\(params.isEmpty ? "" : " [\(params)]")")
            }
        }
        lines += ["", "Suggestions:"]
        for s in suggestions { lines.append("  - " + s) }
        return lines.joined(separator: "\n")
    }

    private static func line(_ g: Group) -> String {
        let stops = g.stoppedAt.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let best = g.bestScore.map { String(format: ", best score %.2f", $0) } ?? ""
        return "\(g.name): \(g.hypotheses) hypotheses, \(g.validated) validated\(best) — \(stops)"
    }

    private static func short(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.3g", x)
    }
}
