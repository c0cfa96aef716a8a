import Agent
import Foundation
import Knowledge
import LLMAlpha

/// The text and JSON renderings of the research agent's runs.
enum AgentText {
    /// One line per finished hypothesis: where it got, the verdict, the number that decided.
    static func line(_ r: IterationRecord, of total: Int) -> String {
        let id = r.hypothesis ?? "-"
        let parent = r.parent.map { " ← \($0)" } ?? ""
        let verdict: String
        switch r.verdict {
        case .validated: verdict = "VALIDATED"
        case .passed: verdict = "passed (not a full validation)"
        case .rejected: verdict = "rejected"
        case .invalid: verdict = "invalid"
        case .duplicate: verdict = "duplicate"
        case .error: verdict = "error"
        }
        let strategy = r.strategyFile.map { " → \($0)" } ?? ""
        let key = r.keyNumber.isEmpty ? "" : ", \(r.keyNumber)"
        return String(format: "[%d/%d] ", r.iteration + 1, total)
            + "\(id) \(r.name)\(parent): \(verdict) at \(r.stage)\(key) (\(String(format: "%.1f", r.seconds)) s)\(strategy)"
    }

    /// The summary table at the end of a run.
    static func summary(_ result: ResearchResult, arguments: String = "") -> String {
        var out = result.summary(arguments: arguments) + "\n"
        let rows = result.iterations
        guard !rows.isEmpty else { return out }
        out += "\n" + pad(["#", "hypothesis", "name", "stage", "verdict", "key number"]) + "\n"
        for r in rows {
            out += pad([String(r.iteration + 1), r.hypothesis ?? "-", String(r.name.prefix(40)), r.stage, r.verdict.rawValue, r.keyNumber]) + "\n"
        }
        return out
    }

    private static func pad(_ cells: [String]) -> String {
        let widths = [4, 10, 42, 13, 10, 0]
        return zip(cells, widths).map { cell, w in w == 0 ? cell : cell.padding(toLength: max(w, cell.count + 1), withPad: " ", startingAt: 0) }
            .joined()
    }

    static func resultJSON(_ result: ResearchResult) -> JSONValue {
        let run = result.run
        return .object([
            ("run", .string(run.id)),
            ("state", .string(run.state.rawValue)),
            ("stop_reason", .string(result.stopReason)),
            ("provider", .string(run.provider)),
            ("seed", .number(Double(run.seed))),
            ("iterations", .number(Double(result.iterations.count))),
            ("hypotheses", .number(Double(run.hypotheses))),
            ("trials", .number(Double(run.trials))),
            ("duplicates", .number(Double(run.duplicates))),
            ("validated", .number(Double(result.validatedCount))),
            ("llm", spendJSON(result.spend)),
            ("strategies", .array(result.strategies.map { .string($0.filePath) })),
            ("best", result.bestHypothesis.map { id in
                .object([("hypothesis", .string(id)), ("test_sharpe", .optionalNumber(result.bestSharpe))])
            } ?? .null),
            ("elapsed_seconds", .number(run.elapsedSeconds)),
            ("results", .array(result.iterations.map(recordJSON))),
            ("near_misses", .array(result.nearMisses.map(recordJSON))),
            ("reasons", .array(result.reasons.map { .object([("code", .string($0.code)), ("count", .number(Double($0.count)))]) })),
        ])
    }

    static func recordJSON(_ r: IterationRecord) -> JSONValue {
        .object([
            ("iteration", .number(Double(r.iteration + 1))),
            ("hypothesis", .optionalString(r.hypothesis)),
            ("name", .string(r.name)),
            ("action", .string(r.action.rawValue)),
            ("parent", .optionalString(r.parent)),
            ("category", .optionalString(r.category)),
            ("stage", .string(r.stage)),
            ("verdict", .string(r.verdict.rawValue)),
            ("reason_code", .optionalString(r.reasonCode)),
            ("reason", .string(r.reason)),
            ("key_number", .string(r.keyNumber)),
            ("test_sharpe", .optionalNumber(r.testSharpe)),
            ("score", .optionalNumber(r.score)),
            ("strategy", .optionalString(r.strategyFile)),
            ("trials", .number(Double(r.trials))),
            ("seconds", .number(r.seconds)),
        ])
    }

    /// `agent status`.
    static func status(_ run: ResearchRun, steps: [ResearchStep], names: [String: String], spend: LLMSpend = LLMSpend(),
                       work: WorkStatus? = nil, lifetimeTrials: Int? = nil, arguments: String = "") -> String {
        var lines: [String] = []
        let state: String
        if let work {
            state = waitingForWorkers(run, work)
                ? "waiting for workers (start some: llmalpha agent worker --run \(run.id)\(arguments))" : run.state.rawValue
        } else {
            state = stale(run) ? "stale (its process is gone; resume with llmalpha agent research --resume \(run.id)\(arguments))" : run.state.rawValue
        }
        lines.append("\(run.id): \(state), iteration \(run.iteration)/\(run.maxIterations), \(run.provider), seed \(run.seed)")
        if let stage = run.stage { lines.append("  now: \(stage)\(run.current.map { " \($0)" } ?? "")") }
        let s = run.settings
        lines.append("  data: \(s["symbols"] ?? "?") \(s["interval"] ?? "")\(s["data"].map { " from \($0)" } ?? ""), mode \(s["mode"] ?? "?")"
                     + (s["direction"].map { ", direction \"\($0)\"" } ?? "") + (s["category"].map { ", category \($0)" } ?? "")
                     + (s["improve"].map { ", improving \($0)" } ?? ""))
        lines.append("  \(run.hypotheses) hypotheses, \(run.trials) trials, \(run.validated) validated, \(run.duplicates) duplicates, "
                     + "\(run.consecutiveFailures) failures in a row")
        if let best = run.bestHypothesis {
            lines.append("  best: \(best) \(names[best] ?? ""), walk-forward test Sharpe \(String(format: "%.2f", run.bestTestSharpe ?? .nan))")
        } else {
            lines.append("  best: no validated strategy yet")
        }
        lines.append("  elapsed \(duration(run.elapsedSeconds)), spend \(spend.text); started \(run.startedAt)"
                     + (run.finishedAt.map { ", ended \($0)" } ?? ""))
        if let reason = run.stopReason { lines.append("  stopped: \(reason)") }
        if let work {
            let pace = work.perMinute.map { String(format: ", %.1f iterations a minute", $0) } ?? ""
            lines.append("  work: \(work.total) iterations: \(work.done) done, \(work.claimed) claimed, \(work.pending) pending"
                         + (work.cancelled > 0 ? ", \(work.cancelled) cancelled" : "") + "; \(work.takeovers) taken over\(pace)")
            if !work.workers.isEmpty { lines.append("  workers:") }
            for w in work.workers.prefix(20) {
                let beat = max(0, work.now - w.heartbeatAt)
                let holding = w.iteration.map { "iteration \($0 + 1)" } ?? "-"
                let quiet = w.state == .working && beat > 60 ? " (quiet: its claim goes to another worker after the grace period)" : ""
                lines.append("    \(w.id)  \(w.state.rawValue)  \(holding)  \(w.itemsDone) done  heartbeat \(duration(beat)) ago\(quiet)"
                             + (w.note.map { "  \($0)" } ?? ""))
            }
            if work.workers.count > 20 { lines.append("    ... \(work.workers.count - 20) more (--json lists all)") }
        }
        if let lifetimeTrials {
            lines.append("  knowledge base: \(lifetimeTrials) trials by every run and worker (what the deflated Sharpe counts)")
        }
        let recent = steps.suffix(8)
        if !recent.isEmpty {
            lines.append("  last steps:")
            for step in recent {
                let verdict = step.outcome == .evaluated ? (step.passed == true ? "validated" : "rejected") : step.outcome.rawValue
                let name = step.hypothesis.flatMap { names[$0] } ?? ""
                lines.append("    \(step.iteration + 1). \(step.hypothesis ?? "-") \(name) \(step.action == .refine ? "(refines \(step.parent ?? "?")) " : "")"
                             + "\(verdict) at \(step.stage ?? "proposal")\(step.reasonCode.map { ", \($0)" } ?? "")")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func spendJSON(_ spend: LLMSpend) -> JSONValue {
        .object([("usd", .number(spend.costUSD)), ("calls", .number(Double(spend.calls))), ("cached", .number(Double(spend.cached))),
                 ("failed", .number(Double(spend.failed))), ("prompt_tokens", .number(Double(spend.promptTokens))),
                 ("completion_tokens", .number(Double(spend.completionTokens))), ("unpriced_calls", .number(Double(spend.unpriced)))])
    }

    static func statusJSON(_ run: ResearchRun, steps: [ResearchStep], names: [String: String], spend: LLMSpend = LLMSpend(),
                           work: WorkStatus? = nil, lifetimeTrials: Int? = nil) -> JSONValue {
        let workJSON: JSONValue = work.map(workStatusJSON) ?? .null
        let waiting = work.map { waitingForWorkers(run, $0) } ?? false
        let lifetimeJSON: JSONValue = lifetimeTrials.map { .number(Double($0)) } ?? .null
        return .object([
            ("work", workJSON),
            ("lifetime_trials", lifetimeJSON),
            ("run", .string(run.id)),
            ("state", .string(run.state.rawValue)),
            // A run for workers is never stale by its planner's process: it waits for workers.
            ("stale", .bool(work == nil && stale(run))),
            ("waiting_for_workers", .bool(waiting)),
            ("iteration", .number(Double(run.iteration))),
            ("max_iterations", .number(Double(run.maxIterations))),
            ("stage", .optionalString(run.stage)),
            ("current", .optionalString(run.current)),
            ("provider", .string(run.provider)),
            ("seed", .number(Double(run.seed))),
            ("settings", .object(run.settings.keys.sorted().map { ($0, .string(run.settings[$0]!)) })),
            ("hypotheses", .number(Double(run.hypotheses))),
            ("trials", .number(Double(run.trials))),
            ("validated", .number(Double(run.validated))),
            ("duplicates", .number(Double(run.duplicates))),
            ("consecutive_failures", .number(Double(run.consecutiveFailures))),
            ("best", run.bestHypothesis.map { .object([("hypothesis", .string($0)), ("test_sharpe", .optionalNumber(run.bestTestSharpe))]) } ?? .null),
            ("elapsed_seconds", .number(run.elapsedSeconds)),
            ("spend_usd", .number(spend.costUSD)),
            ("llm", spendJSON(spend)),
            ("started_at", .string(run.startedAt)),
            ("updated_at", .string(run.updatedAt)),
            ("finished_at", .optionalString(run.finishedAt)),
            ("stop_reason", .optionalString(run.stopReason)),
            ("steps", .array(steps.map { step in
                .object([("iteration", .number(Double(step.iteration + 1))), ("attempt", .number(Double(step.attempt))),
                         ("outcome", .string(step.outcome.rawValue)), ("action", .string(step.action.rawValue)),
                         ("hypothesis", .optionalString(step.hypothesis)), ("name", .optionalString(step.hypothesis.flatMap { names[$0] })),
                         ("parent", .optionalString(step.parent)), ("stage", .optionalString(step.stage)),
                         ("passed", step.passed.map { .bool($0) } ?? .null), ("reason_code", .optionalString(step.reasonCode)),
                         ("test_sharpe", .optionalNumber(step.testSharpe)), ("strategy", .optionalString(step.strategy))])
            })),
        ])
    }

    /// A run for workers with work left and no worker heartbeating in the last two minutes.
    static func waitingForWorkers(_ run: ResearchRun, _ work: WorkStatus) -> Bool {
        run.state == .running && !work.isComplete && !work.workers.contains { $0.state == .working && work.now - $0.heartbeatAt < 120 }
    }

    static func workStatusJSON(_ w: WorkStatus) -> JSONValue {
        let workers: [JSONValue] = w.workers.map { r in
            let iteration: JSONValue = r.iteration.map { .number(Double($0 + 1)) } ?? .null
            return .object([("id", .string(r.id)), ("host", .string(r.host)), ("pid", .number(Double(r.pid))),
                            ("state", .string(r.state.rawValue)), ("iteration", iteration), ("items_done", .number(Double(r.itemsDone))),
                            ("heartbeat_age_seconds", .number(max(0, w.now - r.heartbeatAt))), ("note", .optionalString(r.note))])
        }
        return .object([("pending", .number(Double(w.pending))), ("claimed", .number(Double(w.claimed))), ("done", .number(Double(w.done))),
                         ("cancelled", .number(Double(w.cancelled))), ("takeovers", .number(Double(w.takeovers))),
                         ("per_minute", .optionalNumber(w.perMinute)), ("workers", .array(workers))])
    }

    /// A run marked running whose process on this host is gone.
    static func stale(_ run: ResearchRun) -> Bool {
        guard run.state == .running, run.host == ProcessInfo.processInfo.hostName else { return false }
        return kill(pid_t(run.pid), 0) != 0 && errno != EPERM
    }

    static func duration(_ s: Double) -> String {
        s >= 3600 ? String(format: "%.1f h", s / 3600) : s >= 90 ? String(format: "%.1f min", s / 60) : String(format: "%.0f s", s)
    }
}
