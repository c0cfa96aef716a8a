import Foundation
import Knowledge
import Validation

/// What the loop knows between iterations, rebuilt from the knowledge base when a run starts or
/// resumes: counts for the status line, the proposer's history, and the refinement bookkeeping
/// (how often each hypothesis was refined, which families failed to improve too often).
struct LoopState: Sendable {
    let runID: String
    let options: ResearchOptions
    let knowledge: KnowledgeBase
    var iteration: Int { didSet { progress.iteration = iteration } }
    var progress: ResearchProgress
    /// Proposer-visible outcomes, oldest first (every run's when learning from failures).
    var history: [ProposerOutcome] = []
    var knownFingerprints: Set<String>
    var failureSummary: String
    /// Refinements made of each hypothesis.
    var refinements: [String: Int] = [:]
    /// Per family: the best in-sample score and the refinements in a row that did not beat it.
    var familyBest: [String: Double] = [:]
    var familyMisses: [String: Int] = [:]
    var abandonedFamilies: Set<String> = []
    /// Per family: its refinements evaluated in this run, for ``familyShare``.
    var familyRefinementsThisRun: [String: Int] = [:]
    var abandonedCategories: Set<ResearchCategory> = []
    /// `agent improve` ran out of changes to make.
    var nothingLeft = false
    /// The iteration's last step, written with the iteration's end.
    var pendingStep: ResearchStep?
    /// What the iteration found out beyond its own line (a family abandoned), said after it.
    var pendingNotes: [String] = []
    private var names: [String: String] = [:]
    private var families: [String: String] = [:]
    private var newScores: [ResearchCategory: [Double]] = [:]

    /// The reason codes a proposer may see: the in-sample gates' and the sandbox's.
    static let visibleCodes: Set<String> = Set(ProposerOutcome.visibleCodes.map(\.rawValue))
        .union(["sandbox.error", "sandbox.syntax", "sandbox.contract", "sandbox.limit.instructions", "sandbox.limit.memory",
                "sandbox.limit.time", "sandbox.limit.output"])

    init(run: ResearchRun, knowledge: KnowledgeBase, options: ResearchOptions) throws(AgentError) {
        // Counts come from the run's finished steps, not its row: a resumed iteration's earlier
        // attempts were dropped and are counted once, when they happen again.
        try self.init(runID: run.id, progress: ResearchProgress(iteration: run.iteration, elapsedSeconds: run.elapsedSeconds,
                                                                 spendUSD: run.spendUSD),
                      knowledge: knowledge, options: options)
    }

    /// The state a run not yet started would begin with (`runID` empty): what `agent prompt` shows.
    init(runID: String, progress: ResearchProgress, knowledge: KnowledgeBase, options: ResearchOptions) throws(AgentError) {
        self.runID = runID
        self.options = options
        self.knowledge = knowledge
        iteration = progress.iteration
        self.progress = progress
        do {
            knownFingerprints = try knowledge.fingerprints()
            failureSummary = options.agent.learnFromFailures ? try knowledge.failureSummary(codes: Self.visibleCodes, throughStage: .walkForward) : ""
            for h in try knowledge.hypotheses() {
                names[h.id] = h.name
                families[h.id] = h.family
            }
            // Every run's steps teach the proposer when learning from failures; the refinement
            // bookkeeping always counts every run (a hypothesis is not refined again and again
            // across runs).
            for step in try knowledge.steps() {
                replay(step, countsTowardHistory: step.run == runID || options.agent.learnFromFailures)
                if step.run == runID { count(step, validated: step.passed == true && step.stage == TrialStage.holdout.rawValue) }
            }
        } catch {
            throw .knowledge(error.description)
        }
    }

    private mutating func replay(_ step: ResearchStep, countsTowardHistory: Bool) {
        if let parent = step.parent, step.outcome != .duplicate, step.outcome != .running { refinements[parent, default: 0] += 1 }
        guard let h = step.hypothesis, step.outcome == .evaluated || step.outcome == .invalid else { return }
        let outcome = ProposerOutcome(hypothesis: h, name: names[h] ?? "", category: step.category, template: step.template,
                                      stage: ProposerOutcome.visibleStage(step.stage ?? "sandbox"), reasonCode: step.reasonCode.flatMap { Self.visibleCodes.contains($0) ? $0 : nil },
                                      feedback: step.feedback, metrics: step.metrics, score: step.score ?? 0)
        if countsTowardHistory { history.append(outcome) }
        track(step, score: outcome.score)
    }

    /// A finished step of this run in the counts.
    private mutating func count(_ step: ResearchStep, validated: Bool) {
        switch step.outcome {
        case .running: return
        case .duplicate: progress.duplicates += 1
        case .error: progress.consecutiveFailures += 1
        case .evaluated, .invalid:
            progress.hypotheses += 1
            progress.trials += step.trials
            if validated, let h = step.hypothesis {
                progress.validated += 1
                progress.consecutiveFailures = 0
                if let sharpe = step.testSharpe, sharpe > (progress.bestTestSharpe ?? -.infinity) {
                    progress.bestTestSharpe = sharpe
                    progress.bestHypothesis = h
                }
            } else {
                progress.consecutiveFailures += 1
            }
        }
    }

    /// Family and category bookkeeping of one evaluated step.
    private mutating func track(_ step: ResearchStep, score: Double) {
        guard let h = step.hypothesis else { return }
        let family = step.family ?? families[h] ?? h
        if step.parent != nil {
            if step.run == runID { familyRefinementsThisRun[family, default: 0] += 1 }
            // A narrower range around the same point buys a sliver of in-sample score; only a
            // clear gain counts as an improvement, so such a chain is abandoned in time.
            if score > familyBest[family, default: -1] + Self.improvementMargin {
                familyBest[family] = score
                familyMisses[family] = 0
            } else {
                // Small gains add up to no clear one: the next refinement is measured against them.
                familyBest[family] = max(familyBest[family, default: -1], score)
                familyMisses[family, default: 0] += 1
                if familyMisses[family]! >= options.agent.maxConsecutiveFailures { abandonedFamilies.insert(family) }
            }
        } else {
            familyBest[family] = max(familyBest[family, default: -1], score)
            if step.run == runID, let c = step.category.flatMap(ResearchCategory.init(rawValue:)) {
                newScores[c, default: []].append(score)
                // A category whose last new proposals all stopped at the factor gate, far from
                // its thresholds, is set aside for this run (unless -c asked for it).
                let recent = newScores[c]!.suffix(2 * options.agent.maxConsecutiveFailures)
                if options.category == nil, recent.count == 2 * options.agent.maxConsecutiveFailures, recent.allSatisfy({ $0 < 1.5 }) {
                    abandonedCategories.insert(c)
                }
            }
        }
    }

    /// Reads the knowledge base's failures again (another run may have added some).
    mutating func refreshFailureSummary() throws(AgentError) {
        guard options.agent.learnFromFailures else { return }
        do { failureSummary = try knowledge.failureSummary(codes: Self.visibleCodes, throughStage: .walkForward) } catch { throw .knowledge(error.description) }
    }

    /// Takes a finished step in: counts, history, refinement bookkeeping.
    mutating func absorb(_ step: ResearchStep, outcome: ProposerOutcome?, validated isValidated: Bool) {
        guard step.outcome != .running else { return }
        if let parent = step.parent, step.outcome != .duplicate { refinements[parent, default: 0] += 1 }
        count(step, validated: isValidated)
        if step.outcome == .error, options.improve != nil { nothingLeft = true }
        guard step.outcome == .evaluated || step.outcome == .invalid else { return }
        if let h = step.hypothesis {
            families[h] = step.family ?? h
            names[h] = outcome?.name ?? names[h]
        }
        if let outcome { history.append(outcome) }
        track(step, score: outcome?.score ?? 0)
    }

    /// The in-sample score a refinement must add to its family's best to count as an improvement
    /// (a stage's closeness is worth up to 0.99).
    static let improvementMargin = 0.02

    /// The most refinements one family may take in a run: a quarter of its iterations, at least
    /// four, so one promising chain cannot crowd out every other idea.
    var familyShare: Int { max(4, options.iterations / 4) }

    /// The hypothesis to refine this iteration, if any: the one named by `agent improve`, else
    /// on every other iteration the best in-sample near-miss whose family is still alive, has not
    /// had its share of the run (``familyShare``), belongs to the category `-c` asked for, and
    /// that has not been refined four times. Chosen by in-sample score only: whether a candidate
    /// passed its test window or holdout plays no part (a validated hypothesis may be refined;
    /// its children cannot be promoted on the family's spent holdout).
    func refinementTarget(iteration: Int) throws(AgentError) -> RefinementTarget? {
        if let id = options.improve { return try target(id) }
        guard iteration % 2 == 1, let best = refinementCandidate() else { return nil }
        return try target(best.hypothesis, outcome: best)
    }

    /// The near-miss ``refinementTarget(iteration:)`` refines on a refining iteration, if any.
    func refinementCandidate() -> ProposerOutcome? {
        let candidates = history.filter { o in
            let family = families[o.hypothesis] ?? o.hypothesis
            return o.score >= 1.5 && refinements[o.hypothesis, default: 0] < 4 && !abandonedFamilies.contains(family)
                && familyRefinementsThisRun[family, default: 0] < familyShare
                && (options.category == nil || o.category == options.category?.rawValue)
        }
        return candidates.enumerated().max(by: { a, b in
            a.element.score != b.element.score ? a.element.score < b.element.score : a.offset < b.offset
        })?.element
    }

    private func target(_ id: String, outcome known: ProposerOutcome? = nil) throws(AgentError) -> RefinementTarget {
        do {
            let h = try knowledge.hypothesis(id)
            guard let script = knowledge.script(of: h) else {
                throw AgentError.knowledge("\(h.id): cannot read its script \(h.scriptPath) (llmalpha kb check tells more)")
            }
            let verdict = try knowledge.trials(of: h.id, source: "validate", limit: 1).first
            let outcome = known ?? history.last { $0.hypothesis == h.id }
                ?? ProposerOutcome(hypothesis: h.id, name: h.name, category: h.tags.first { ResearchCategory(rawValue: $0) != nil },
                                   template: nil, stage: ProposerOutcome.visibleStage(verdict?.stage.rawValue ?? "sandbox"),
                                   reasonCode: verdict?.reasonCode.flatMap { Self.visibleCodes.contains($0) ? $0 : nil },
                                   feedback: verdict?.reasonCode.flatMap { Self.visibleCodes.contains($0) ? verdict?.reasonMessage : nil } ?? "",
                                   metrics: ProposerOutcome.inSample(verdict?.metrics ?? [:]), score: 0)
            return RefinementTarget(hypothesis: h.id, name: h.name, script: script, parameters: verdict?.parameters ?? [:],
                                    outcome: outcome, generation: refinements[h.id, default: 0])
        } catch let error as AgentError {
            throw error
        } catch let error as KnowledgeError {
            throw .knowledge(error.description)
        } catch {
            throw .knowledge(String(describing: error))
        }
    }
}
