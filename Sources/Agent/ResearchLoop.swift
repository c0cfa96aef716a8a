public import Evaluation
import Foundation
public import Knowledge
public import MarketData
import Primitives
import Scripting
public import Validation

/// What one research run is asked to do.
public struct ResearchOptions: Sendable {
    /// `-r`: a research direction in the user's words.
    public var direction: String?
    /// `-c`: stay in one category.
    public var category: ResearchCategory?
    /// `agent improve H003`: refine this hypothesis every iteration instead of proposing anew.
    public var improve: String?
    public var iterations: Int
    public var seed: UInt64
    /// A new run takes `seed` plus the number of runs before it (no `--seed` given), so runs of
    /// one knowledge base explore apart.
    public var offsetSeed: Bool = false
    public var agent: AgentSettings
    /// Validation as the agent judges (``AgentSettings/validation(_:)`` applied).
    public var validation: ValidationSettings
    public var evaluation: EvaluationSettings
    public var jobs: Int
    /// Open the holdout of a full pass and write `strategies/S0NN-<name>.lua`.
    public var promote: Bool
    /// The llmalpha version written into promoted strategies.
    public var version: String
    /// `--data FILE`, for a promoted strategy's rerun line.
    public var dataFile: String?
    /// Settings recorded with the run so `--resume` uses the same ones (symbols, span, ...).
    public var recorded: [String: String]

    public init(direction: String? = nil, category: ResearchCategory? = nil, improve: String? = nil, iterations: Int, seed: UInt64,
                agent: AgentSettings, validation: ValidationSettings, evaluation: EvaluationSettings, jobs: Int, promote: Bool = true,
                version: String, dataFile: String? = nil, recorded: [String: String] = [:]) {
        self.direction = direction
        self.category = category
        self.improve = improve
        self.iterations = iterations
        self.seed = seed
        self.agent = agent
        self.validation = validation
        self.evaluation = evaluation
        self.jobs = jobs
        self.promote = promote
        self.version = version
        self.dataFile = dataFile
        self.recorded = recorded
    }
}

/// The closed loop (DESIGN.md section 8): propose → static checks → sandbox run → validate →
/// record → refine a near-miss, abandon a family that keeps failing, or propose anew; until the
/// iterations, the early-stop Sharpe, the time budget or Ctrl-C end it.
///
/// Everything it does is in the knowledge base: the run (settings, state, counts), a step per
/// proposal, and, through the validator, every hypothesis and trial. A run resumes from there:
/// the proposer's seeds derive from the run's seed and the iteration, and trials carry uids
/// derived from the run and iteration, so an iteration cut short by Ctrl-C is evaluated again
/// without a trial counted twice.
///
/// The proposer sees train and validation numbers and the reasons of in-sample gates
/// (``ProposerOutcome``); walk-forward test and holdout results decide the verdict, promotion
/// and the early stop, and are shown to the user, never to the proposer or to the choice of what
/// to refine.
public final class ResearchLoop: Sendable {
    public let knowledge: KnowledgeBase
    public let source: any HypothesisSource
    public let data: [VisibleBars]
    public let options: ResearchOptions
    /// Every stored bar of a symbol (the locked holdout included), for promotion.
    let loadFull: @Sendable (_ symbol: String, _ interval: String) throws -> Bars
    let validator: Validator
    let stop = StopFlag()
    /// Source errors in a row that end a run.
    static let maxSourceErrors = 3

    public init(knowledge: KnowledgeBase, source: any HypothesisSource, data: [VisibleBars], options: ResearchOptions,
                loadFull: @escaping @Sendable (_ symbol: String, _ interval: String) throws -> Bars) {
        precondition(!data.isEmpty, "research needs data")
        self.knowledge = knowledge
        self.source = source
        self.data = data
        self.options = options
        self.loadFull = loadFull
        self.validator = Validator(settings: options.validation, evaluation: options.evaluation, jobs: options.jobs,
                                   knowledge: knowledge, record: true)
    }

    /// Stops the run: the validation in progress is cut short, its iteration left for `--resume`,
    /// and the run marked interrupted.
    public func interrupt() {
        stop.set()
        validator.interrupt()
    }

    /// The walk-forward training bars of the first symbol: what the data profile may see.
    public var trainingBars: Bars {
        let visible = data[0].bars
        let cuts = WalkForwardStage.cuts(data.map(\.bars), options.validation.walkForward)
        let split = WalkForwardStage.split(visible, cuts: cuts)
        return visible.slice(split.train)
    }

    /// The request a new run's first proposal would be: the data profile, what the knowledge
    /// base has learned, the direction and category. `agent prompt` shows it as a model would.
    public func firstRequest() async throws(AgentError) -> ProposalRequest {
        let (knowledge, options) = (self.knowledge, self.options)
        let state = try await OffPool.run { () throws(AgentError) in
            try LoopState(runID: "", progress: ResearchProgress(iteration: 0), knowledge: knowledge, options: options)
        }
        return ProposalRequest(task: .new, direction: options.direction, category: options.category, iteration: 0,
                               seed: Self.seed(options.seed, iteration: 0, attempt: 0), mode: options.validation.mode,
                               profile: DataProfile(bars: trainingBars), failureSummary: state.failureSummary, history: state.history,
                               knownFingerprints: state.knownFingerprints)
    }

    /// What a new run records so `--resume` and workers go on with the same settings.
    var runSettings: [String: String] {
        var settings = options.recorded
        settings["mode"] = options.validation.mode.rawValue
        if let d = options.direction { settings["direction"] = d }
        if let c = options.category { settings["category"] = c.rawValue }
        if let i = options.improve { settings["improve"] = i }
        return settings
    }

    /// Runs a new research run, or continues `resume`.
    /// - Throws: ``AgentError``: `.interrupted` after Ctrl-C (the run is marked interrupted),
    ///   `.validation` when the data cannot be judged at all, `.knowledge` when the ledger refuses.
    public func run(resume: ResearchRun? = nil, events: @escaping @Sendable (ResearchEvent) -> Void) async throws(AgentError) -> ResearchResult {
        let profile = DataProfile(bars: trainingBars)
        if let category = options.category, let column = category.requiredColumn,
           let lacking = data.first(where: { !DataProfile.columns(of: $0.bars).contains(column) }) {
            let symbol = lacking.bars.symbol
            throw .usage("-c \(category.rawValue) needs d.\(column), which \(symbol) \(lacking.bars.interval) does not have "
                         + "(hint: llmalpha data download -s \(symbol) --\(column == "funding" ? "funding" : "oi") adds it, or choose another -c)")
        }
        let run: ResearchRun
        do {
            if let resume {
                run = try knowledge.resumeRun(resume.id, maxIterations: options.iterations)
                try knowledge.discardUnfinishedSteps(run: run.id, from: run.iteration)
            } else {
                run = try knowledge.startRun(provider: source.origin, model: nil, seed: options.seed, offsetSeed: options.offsetSeed,
                                             settings: runSettings, maxIterations: options.iterations)
            }
            try fingerprintUnmarked()
        } catch {
            throw .knowledge(error.description)
        }
        events(.started(run: run, profile: profile, resumed: resume != nil))
        if let direction = options.direction, !direction.isEmpty,
           let note = source.directionNote(direction, category: options.category, profile: profile) {
            events(.note(note))
        }
        let (knowledge, options) = (self.knowledge, self.options)
        var state = try await OffPool.run { () throws(AgentError) in try LoopState(run: run, knowledge: knowledge, options: options) }
        let sessionStart = Date()
        let earlierElapsed = run.elapsedSeconds
        var stopReason = "completed \(ReportFormat.count(options.iterations, "iteration"))"
        var records: [IterationRecord] = []
        var sourceErrors = 0

        func progress(_ counts: ResearchProgress, stage: String? = nil, current: String? = nil) {
            var p = counts
            p.stage = stage
            p.current = current
            p.elapsedSeconds = earlierElapsed + Date().timeIntervalSince(sessionStart)
            if let spend = try? knowledge.llmSpend(run: run.id) { p.spendUSD = spend.costUSD }
            try? knowledge.updateRun(run.id, p)
        }

        do {
            while state.iteration < options.iterations {
                if stop.isSet { throw AgentError.interrupted }
                if options.agent.budgetMinutes > 0, earlierElapsed + Date().timeIntervalSince(sessionStart) >= options.agent.budgetMinutes * 60 {
                    stopReason = "time budget of \(HypothesisDesign.number(options.agent.budgetMinutes)) minutes spent"
                    break
                }
                let finished: IterationRecord?
                do {
                    finished = try await iteration(state.iteration, run: run, profile: profile, state: &state, events: events) { counts, stage, current in
                        progress(counts, stage: stage, current: current)
                    }
                } catch {
                    guard case .budget(let message) = error else { throw error }
                    stopReason = message
                    finished = nil
                }
                guard let record = finished else { break }
                records.append(record)
                var done = state.progress
                done.iteration = state.iteration + 1
                if let spend = try? knowledge.llmSpend(run: run.id) { done.spendUSD = spend.costUSD }
                done.elapsedSeconds = earlierElapsed + Date().timeIntervalSince(sessionStart)
                do {
                    try knowledge.finishIteration(run: run.id, iteration: state.iteration, step: state.pendingStep, progress: done)
                } catch {
                    throw AgentError.knowledge(error.description)
                }
                state.pendingStep = nil
                state.iteration += 1
                if let early = announce(record, state: &state, events: events) {
                    stopReason = early
                    break
                }
                // A provider down for good is not worth every remaining iteration: three errors in a
                // row end the run, resumable once it is back.
                sourceErrors = record.verdict == .error && record.reasonCode == "agent.source" ? sourceErrors + 1 : 0
                if sourceErrors >= Self.maxSourceErrors {
                    throw AgentError.source("the source failed \(sourceErrors) times in a row, last: \(record.reason)")
                }
                if options.improve != nil, state.nothingLeft {
                    stopReason = "nothing left to refine in \(options.improve!)"
                    break
                }
            }
        } catch AgentError.interrupted {
            progress(state.progress)
            try? knowledge.endRun(run.id, state: .interrupted, reason: "interrupted at iteration \(state.iteration + 1); resume with --resume \(run.id)")
            throw .interrupted
        } catch {
            progress(state.progress)
            let failure = (error as? AgentError) ?? .knowledge(String(describing: error))
            try? knowledge.endRun(run.id, state: .failed, reason: failure.description)
            throw failure
        }
        progress(state.progress)
        do { try knowledge.endRun(run.id, state: .finished, reason: stopReason) } catch { throw .knowledge(error.description) }
        let (session, reason) = (records, stopReason)
        let result = try await OffPool.run { () throws(AgentError) in
            try ResearchResult.load(run: run.id, knowledge: knowledge, session: session, stopReason: reason)
        }
        events(.completed(result))
        return result
    }

    /// One iteration: propose until something new comes (duplicates are recorded and thrown
    /// back), check it, validate it, record it, promote it.
    func iteration(_ i: Int, run: ResearchRun, profile: DataProfile, state: inout LoopState,
                           events: @escaping @Sendable (ResearchEvent) -> Void,
                           progress: (ResearchProgress, String?, String?) -> Void) async throws(AgentError) -> IterationRecord {
        let started = Date()
        try state.refreshFailureSummary()
        let target = try state.refinementTarget(iteration: i)
        // A run resumed in the middle of this iteration finishes the script it had claimed; the
        // source is not asked again (what it knows has changed since, so its answer could too).
        let resumed: (step: ResearchStep, script: String)?
        do { resumed = try knowledge.claimedScript(run: run.id, iteration: i) } catch { throw .knowledge(error.description) }
        let action: ResearchStep.Action = resumed?.step.action ?? (target == nil ? .new : .refine)
        let parent = resumed.map { $0.step.parent } ?? target?.hypothesis
        var lastDuplicate: (name: String, of: String)? = nil
        let attempts = min(options.agent.maxDuplicateAttempts, source.duplicateAttempts)
        for attempt in (resumed?.step.attempt ?? 0)..<max(1, attempts, (resumed?.step.attempt ?? 0) + 1) {
            if stop.isSet { throw .interrupted }
            let seed = Self.seed(run.seed, iteration: i, attempt: attempt)
            // The model calls this attempt makes are what its hypothesis cost.
            let callMark = (try? knowledge.lastLLMCallID()) ?? .max
            let finishing = resumed.flatMap { $0.step.attempt == attempt ? $0 : nil }
            events(.proposing(iteration: i, attempt: attempt, action: action, target: parent))
            progress(state.progress, "proposing", parent.map { "refining \($0)" })
            var request = ProposalRequest(task: target.map { .refine($0) } ?? .new, direction: options.direction, category: options.category,
                                          iteration: i, attempt: attempt, seed: seed, mode: options.validation.mode, profile: profile,
                                          failureSummary: state.failureSummary, history: state.history,
                                          knownFingerprints: state.knownFingerprints, abandoned: state.abandonedCategories)
            request.run = run.id
            request.check = { [self] script in await self.check(script) }
            request.progress = { text in events(.sourceProgress(iteration: i, text: text)) }
            request.note = { text in events(.note(text)) }
            let answer: Result<Proposal, AgentError>
            if let finishing {
                answer = .success(Proposal(script: finishing.script, category: finishing.step.category.flatMap(ResearchCategory.init(rawValue:)),
                                           template: finishing.step.template))
            } else {
                // Ctrl-C cancels a model's call in flight instead of waiting out its stream and retries.
                let (source, asked) = (self.source, request)
                let asking = Task { () async -> Result<Proposal, AgentError> in
                    do {
                        return .success(try await source.propose(asked))
                    } catch let error as AgentError {
                        return .failure(error)
                    } catch {
                        return .failure(.source(String(describing: error)))
                    }
                }
                answer = await stop.whileRunning({ await asking.value }, onSet: { asking.cancel() })
                if stop.isSet { throw .interrupted }
            }
            let proposal: Proposal
            do {
                proposal = try answer.get()
            } catch {
                switch error {
                case .usage, .provider, .budget, .interrupted: throw error
                default: break
                }
                var step = ResearchStep(run: run.id, iteration: i, attempt: attempt, outcome: .error, action: action,
                                        parent: parent, feedback: error.description,
                                        durationSeconds: Date().timeIntervalSince(started))
                step.reasonCode = "agent.source"
                try record(step, state: &state, final: true)
                return IterationRecord(iteration: i, hypothesis: nil, name: "(no proposal)", action: action, parent: parent,
                                       category: nil, stage: "proposal", verdict: .error, reason: error.description, reasonCode: "agent.source",
                                       keyNumber: error.description, testSharpe: nil, score: nil, strategy: nil, strategyFile: nil, trials: 0,
                                       seconds: Date().timeIntervalSince(started))
            }
            let script = proposal.script
            if let unusable = proposal.unusable {
                let step = ResearchStep(run: run.id, iteration: i, attempt: attempt, outcome: .evaluated, action: action, parent: parent,
                                        category: proposal.category?.rawValue, template: proposal.template)
                return try recordInvalid(script: script, name: "unusable reply", code: unusable.code, message: unusable.message, step: step,
                                         runUID: run.uid, started: started, target: target, state: &state, callMark: callMark)
            }
            let shape = ScriptShape(script)
            let name = Self.name(of: script) ?? "unnamed"
            var step = ResearchStep(run: run.id, iteration: i, attempt: attempt, outcome: .evaluated, action: action,
                                    parent: parent, category: proposal.category?.rawValue, template: proposal.template,
                                    fingerprint: shape.fingerprint)

            // The same script, or (for a new proposal) the same factor up to parameter values:
            // recorded as a duplicate, and the source asked again.
            // A hypothesis recorded by a validation that was cut short (no verdict yet) is not a
            // duplicate: it is this iteration's own, come back after `--resume`.
            let trialKey = "\(run.uid)/\(i)/\(attempt)/\(ScriptShape.hash(script))"
            let duplicateOf: Hypothesis?
            do {
                if finishing != nil {
                    // Our own claim, come back after --resume; unless another run, finding it
                    // abandoned, judged the script meanwhile.
                    let own: Set<String> = [TrialRecorder.uid(trialKey: trialKey, "verdict"), trialKey + "/invalid"]
                    if let same = try knowledge.hypothesis(forScript: script), try knowledge.isJudged(same.id),
                       try !knowledge.trials(of: same.id, source: "validate", limit: 10_000).contains(where: { own.contains($0.uid) }) {
                        duplicateOf = same
                    } else {
                        duplicateOf = nil
                    }
                } else if let same = try knowledge.hypothesis(forScript: script), try knowledge.isJudged(same.id) {
                    duplicateOf = same
                } else if action == .new, let fp = shape.fingerprint, let same = try knowledge.hypothesis(fingerprint: fp) {
                    duplicateOf = same
                } else {
                    duplicateOf = nil
                }
            } catch {
                throw .knowledge(error.description)
            }
            if let same = duplicateOf {
                step.outcome = .duplicate
                step.hypothesis = same.id
                step.feedback = "the same \(action == .new ? "factor (up to parameter values)" : "script") as \(same.id) \"\(same.name)\""
                step.durationSeconds = Date().timeIntervalSince(started)
                try record(step, state: &state)
                if let fp = shape.fingerprint { state.knownFingerprints.insert(fp) }
                events(.duplicate(iteration: i, name: name, of: same.id))
                lastDuplicate = (name, same.id)
                continue
            }

            // The claim: another run evaluating the same script right now, or a verdict recorded
            // since the check above, makes this a duplicate.
            let claim: KnowledgeBase.Claim
            do { claim = finishing != nil ? .claimed : try knowledge.claim(script: script, for: step) } catch { throw .knowledge(error.description) }
            let holder: String?
            switch claim {
            case .claimed: holder = nil
            case .heldBy(let run): holder = run
            case .judged(let hypothesis): holder = hypothesis
            }
            if let holder {
                step.outcome = .duplicate
                if case .judged = claim { step.hypothesis = holder }
                step.feedback = claim == .heldBy(run: holder) ? "the same script is being evaluated by \(holder)" : "the same script as \(holder)"
                step.durationSeconds = Date().timeIntervalSince(started)
                try record(step, state: &state)
                events(.duplicate(iteration: i, name: name, of: holder))
                lastDuplicate = (name, holder)
                continue
            }

            // Static checks, before any bar is touched.
            if let problem = staticProblem(shape) {
                return try recordInvalid(script: script, name: name, code: "sandbox.contract", message: problem, step: step, runUID: run.uid, started: started,
                                         target: target, state: &state, callMark: callMark)
            }

            // The sandbox run and validation.
            progress(state.progress, "validating", name)
            let report: ValidationReport
            do {
                report = try await validator.validate(source: script, path: "\(run.id)-\(i + 1).lua", data: data, origin: source.origin,
                                                      trialKey: trialKey) { p in
                    events(.validating(iteration: i, name: name, stage: p.stage.title, done: p.done, total: p.total))
                }
            } catch {
                switch error {
                case .interrupted: throw .interrupted
                case .script(let scriptError):
                    return try recordInvalid(script: script, name: name, code: TrialRecording.reasonCode(scriptError),
                                             message: scriptError.description, step: step, runUID: run.uid, started: started, target: target,
                                             state: &state, error: scriptError, callMark: callMark)
                case .missingLayers(let message):
                    return try recordInvalid(script: script, name: name, code: "sandbox.contract", message: message, step: step, runUID: run.uid,
                                             started: started, target: target, state: &state, callMark: callMark)
                default:
                    throw .validation(error)
                }
            }
            guard let (hypothesisID, verdictTrial) = report.recorded else { throw .knowledge("the verdict of \(name) was not recorded") }
            if let fp = shape.fingerprint {
                do { try knowledge.setFingerprint(hypothesisID, fp) } catch { throw .knowledge(error.description) }
                state.knownFingerprints.insert(fp)
            }
            let outcome = ProposerOutcome.of(report, hypothesis: hypothesisID, name: name, category: proposal.category?.rawValue,
                                             template: proposal.template)
            let testSharpe = report.metric("wf_test_sharpe")
            step.hypothesis = hypothesisID
            try? knowledge.attributeLLMCalls(run: run.id, iteration: i, after: callMark, to: hypothesisID)
            step.family = (try? knowledge.hypothesis(hypothesisID))?.family
            step.stage = report.passed && report.mode == .full ? TrialStage.holdout.rawValue : report.furthestStage?.trialStage.rawValue
            step.passed = report.passed
            step.reasonCode = report.failure?.check.code.rawValue ?? (report.passed ? nil : ReasonCode.symbolShare.rawValue)
            step.feedback = outcome.feedback
            step.metrics = outcome.metrics
            step.score = outcome.score
            step.testSharpe = testSharpe
            step.trials = report.runTrials

            var verdict: IterationRecord.Verdict = !report.passed ? .rejected : (report.mode == .full ? .validated : .passed)
            var reason = report.failure.map { "\($0.stage.stage.title): \($0.check.message)" } ?? ""
            var strategyFile: String? = nil
            // A relative whose holdout was opened has spent it for the whole family: a refinement
            // judged on the bars its ancestor was judged on would be holdout fishing.
            let spent = report.passed && report.mode == .full
                ? ((try? knowledge.holdoutLocks(family: step.family ?? hypothesisID)) ?? []).first { $0.hypothesis != hypothesisID } : nil
            if let spent {
                verdict = .rejected
                reason = "holdout: the family's locked holdout was opened for \(spent.hypothesis) on \(spent.openedAt); "
                    + "a relative cannot be confirmed on the same bars"
                step.reasonCode = "holdout.spent"
                step.passed = false
                events(.note("\(hypothesisID) passed validation but is not promoted: \(spent.hypothesis), a relative, opened the family's holdout"))
            } else if report.passed, report.mode == .full, options.promote {
                progress(state.progress, "promoting", hypothesisID)
                let promoter = StrategyPromoter(knowledge: knowledge, evaluation: options.evaluation, settings: options.validation,
                                                version: options.version)
                let (loadFull, dataFile) = (self.loadFull, options.dataFile)
                // Promoted already by this iteration before an interruption: the holdout opened
                // once, and its result stands.
                let earlier = try? knowledge.holdoutLock(of: hypothesisID)
                let promoted: Result<(strategy: Strategy, passed: Bool), ValidatorError>
                if let earlier, let id = earlier.strategy, let strategy = try? knowledge.strategy(id) {
                    promoted = .success((strategy, (try? knowledge.hypothesis(hypothesisID).status) == .validated))
                } else if let earlier {
                    promoted = .failure(.promotion("its holdout was claimed on \(earlier.openedAt) and the promotion stopped there"
                                                   + (earlier.note.map { ": \($0)" } ?? "")))
                } else {
                    promoted = try await OffPool.run { () -> Result<(strategy: Strategy, passed: Bool), ValidatorError> in
                        Result { () throws(ValidatorError) in
                            let report = try promoter.promote(hypothesisID, trial: verdictTrial, dataFile: dataFile, load: loadFull)
                            return (report.strategy, report.passed)
                        }
                    }
                }
                switch promoted {
                case .success(let promotion):
                    step.strategy = promotion.strategy.id
                    strategyFile = promotion.strategy.filePath
                    if !promotion.passed {
                        verdict = .rejected
                        reason = "holdout: the strategy failed its locked holdout (\(promotion.strategy.filePath) is marked FAILED)"
                        step.reasonCode = "holdout"
                    }
                    events(.note("\(hypothesisID) promoted to \(promotion.strategy.filePath): holdout \(promotion.passed ? "passed" : "FAILED")"))
                case .failure(let error):
                    verdict = .rejected
                    reason = "promotion: \(error.description)"
                    step.reasonCode = "holdout"
                    events(.note("\(hypothesisID) passed validation but was not promoted: \(error.description)"))
                }
                step.passed = verdict == .validated
            }
            step.durationSeconds = Date().timeIntervalSince(started)
            let alive = state.abandonedFamilies
            try record(step, state: &state, outcome: outcome, validated: verdict == .validated, final: true)
            // Said after the iteration's own line, whose result caused it.
            for family in state.abandonedFamilies.subtracting(alive).sorted() {
                state.pendingNotes.append("family \(family) abandoned: its last \(options.agent.maxConsecutiveFailures) refinements (in any run) "
                                          + "did not improve its best in-sample score by \(LoopState.improvementMargin)"
                                          + (options.improve != nil ? "; agent improve goes on, as asked" : ""))
            }
            let key = verdict == .validated || verdict == .passed ? testSharpe.map { "test Sharpe \(String(format: "%.2f", $0))" } ?? Self.keyNumber(report)
                : Self.keyNumber(report)
            return IterationRecord(iteration: i, hypothesis: hypothesisID, name: name, action: action, parent: parent,
                                   category: proposal.category?.rawValue, stage: step.stage ?? "sandbox", verdict: verdict, reason: reason,
                                   reasonCode: step.reasonCode, keyNumber: key, testSharpe: testSharpe, score: outcome.score,
                                   strategy: step.strategy, strategyFile: strategyFile, trials: report.runTrials,
                                   seconds: Date().timeIntervalSince(started))
        }
        let duplicate = lastDuplicate ?? ("unnamed", "?")
        return IterationRecord(iteration: i, hypothesis: nil, name: duplicate.name, action: action, parent: parent,
                               category: nil, stage: "proposal", verdict: .duplicate,
                               reason: "\(attempts) proposals in a row were already in the knowledge base (last: \(duplicate.of))",
                               reasonCode: "agent.duplicate", keyNumber: "", testSharpe: nil, score: nil, strategy: nil, strategyFile: nil,
                               trials: 0, seconds: Date().timeIntervalSince(started))
    }

    /// Says a finished iteration, then what it found out beyond its own line; the early stop's
    /// reason when its walk-forward test Sharpe reached `agent.early_stop_sharpe`.
    func announce(_ record: IterationRecord, state: inout LoopState, events: @Sendable (ResearchEvent) -> Void) -> String? {
        events(.finished(record))
        for note in state.pendingNotes { events(.note(note)) }
        state.pendingNotes = []
        guard [.validated, .passed].contains(record.verdict), let sharpe = record.testSharpe, options.agent.earlyStopSharpe > 0,
              sharpe >= options.agent.earlyStopSharpe else { return nil }
        return "early stop: \(record.hypothesis ?? "") reached a walk-forward test Sharpe of "
            + "\(String(format: "%.2f", sharpe)) (agent.early_stop_sharpe \(HypothesisDesign.number(options.agent.earlyStopSharpe)))"
    }

    /// What a source may ask before answering: the static checks, then one sandbox run on the
    /// training bars (no backtest inside the script, as validation runs it). The error's text, or
    /// nil when the script runs.
    func check(_ script: String) async -> String? {
        if let problem = staticProblem(ScriptShape(script)) { return problem }
        let (bars, settings) = (trainingBars, options.evaluation)
        let outcome = try? await OffPool.run { () -> String? in
            do {
                _ = try ScriptRun.execute(source: script, path: "proposal.lua", data: PreparedBars(bars), settings: settings,
                                          scriptBacktests: false, factorReport: false) { _ in }
                return nil
            } catch {
                return String(describing: error)
            }
        }
        return outcome ?? nil
    }

    /// The layers the mode needs, and params declared at top level.
    private func staticProblem(_ shape: ScriptShape) -> String? {
        // Unbalanced code is the parser's to report, as a syntax error with its line.
        guard shape.balanced else { return nil }
        let mode = options.validation.mode
        let defined = shape.functions.union(shape.assigned)
        var missing: [String] = []
        if [.quick, .full].contains(mode), !defined.contains("factor") { missing.append("factor(d)") }
        if !defined.contains("signal") { missing.append("signal(d, f)") }
        if !missing.isEmpty {
            return "static check: --mode \(mode.rawValue) needs \(missing.joined(separator: " and ")) defined at top level"
        }
        if let nested = shape.nestedParameters.first {
            return "static check: param '\(nested)' is declared inside a function; declare every param.* at top level"
        }
        return nil
    }

    /// Records a script that could not be judged: the hypothesis, one sandbox trial with the
    /// error, and the step.
    private func recordInvalid(script: String, name: String, code: String, message: String, step: ResearchStep, runUID: String, started: Date,
                               target: RefinementTarget?, state: inout LoopState, error: ScriptError? = nil,
                               callMark: Int64 = .max) throws(AgentError) -> IterationRecord {
        var step = step
        let info = error?.hypothesis
        do {
            let (hypothesis, _) = try TrialRecording.recordHypothesis(source: script, path: "\(step.run)-\(step.iteration + 1).lua", info: info,
                                                                     origin: source.origin, into: knowledge)
            let line = message.split(separator: "\n").first.map(String.init) ?? message
            let span = TrialRecording.dataSpan(data[0].bars)
            var trial = TrialDraft(hypothesis: hypothesis.id, data: span, stage: .sandbox, passed: false, reasonCode: code,
                                   reasonMessage: line, durationSeconds: Date().timeIntervalSince(started), startedAt: started,
                                   source: "validate")
            trial.uid = "\(runUID)/\(step.iteration)/\(step.attempt)/\(ScriptShape.hash(script))/invalid"   // the trial key + "/invalid"
            try knowledge.recordTrial(trial)
            try knowledge.setStatus(hypothesis.id, .rejected)
            step.hypothesis = hypothesis.id
            try? knowledge.attributeLLMCalls(run: step.run, iteration: step.iteration, after: callMark, to: hypothesis.id)
            step.family = hypothesis.family
            step.outcome = .invalid
            step.stage = TrialStage.sandbox.rawValue
            step.passed = false
            step.reasonCode = code
            step.feedback = line
            step.score = 0
            step.trials = 1
            step.durationSeconds = Date().timeIntervalSince(started)
            if let fp = step.fingerprint { try knowledge.setFingerprint(hypothesis.id, fp) }
            let outcome = ProposerOutcome.failed(hypothesis: hypothesis.id, name: name, category: step.category, template: step.template,
                                                 code: code, message: line)
            try record(step, state: &state, outcome: outcome, validated: false, final: true)
            return IterationRecord(iteration: step.iteration, hypothesis: hypothesis.id, name: name, action: step.action, parent: step.parent,
                                   category: step.category, stage: "sandbox", verdict: .invalid, reason: line, reasonCode: code,
                                   keyNumber: code, testSharpe: nil, score: 0, strategy: nil, strategyFile: nil, trials: 1,
                                   seconds: Date().timeIntervalSince(started))
        } catch let e as KnowledgeError {
            throw .knowledge(e.description)
        } catch let e as AgentError {
            throw e
        } catch {
            throw .knowledge(String(describing: error))
        }
    }

    /// Records a step; an iteration's last one (`final`) waits for ``KnowledgeBase/finishIteration``,
    /// which writes it with the iteration's end in one transaction.
    private func record(_ step: ResearchStep, state: inout LoopState, outcome: ProposerOutcome? = nil,
                        validated: Bool = false, final: Bool = false) throws(AgentError) {
        if final {
            state.pendingStep = step
        } else {
            do { try knowledge.recordStep(step) } catch { throw .knowledge(error.description) }
        }
        state.absorb(step, outcome: outcome, validated: validated)
    }

    /// Hypotheses recorded by `run`, `validate` or an import have no fingerprint yet: the agent
    /// reads their scripts once, so it does not propose their factors again.
    func fingerprintUnmarked() throws(KnowledgeError) {
        for h in try knowledge.hypothesesWithoutFingerprint() {
            guard let text = knowledge.script(of: h), let fp = ScriptShape(text).fingerprint else { continue }
            try knowledge.setFingerprint(h.id, fp)
        }
    }

    /// The seed of one proposal: the run's seed mixed with the iteration and the attempt
    /// (splitmix64), so a resumed run asks exactly what it would have asked.
    static func seed(_ base: UInt64, iteration: Int, attempt: Int) -> UInt64 {
        var z = base &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(iteration * 1024 + attempt + 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The `name` of a script's `hypothesis{}`, read from its text.
    static func name(of script: String) -> String? {
        // `name = "..."` inside hypothesis{...}, on its own line or not.
        guard let open = script.range(of: #"hypothesis\s*[{(]"#, options: .regularExpression),
              let field = script.range(of: #"\bname\s*=\s*["'][^"'\n]*["']"#, options: .regularExpression,
                                       range: open.upperBound..<script.endIndex) else { return nil }
        let text = script[field]
        guard let q = text.firstIndex(where: { $0 == "\"" || $0 == "'" }) else { return nil }
        return String(text[text.index(after: q)..<text.index(before: text.endIndex)])
    }

    /// The failing check's measure, or the backtest Sharpe of a pass.
    static func keyNumber(_ report: ValidationReport) -> String {
        if let f = report.failure { return "\(f.check.label) \(f.check.code.format(f.check.value))" }
        if let s = report.metric("sharpe") { return "in-sample Sharpe \(String(format: "%.2f", s))" }
        return ""
    }
}

/// A flag set from a signal handler's thread and read by the loop.
final class StopFlag: @unchecked Sendable {
    // @unchecked Sendable: `value` and `onSet` are guarded by `lock`.
    private let lock = NSLock()
    private var value = false
    private var onSet: (@Sendable () -> Void)?

    func set() {
        lock.lock()
        value = true
        let action = onSet
        lock.unlock()
        action?()
    }

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }

    /// Runs `body` with `action` called if the flag is set meanwhile (at once if it already is).
    func whileRunning<T>(_ body: () async -> T, onSet action: @escaping @Sendable () -> Void) async -> T {
        if watch(action) { action() }
        let result = await body()
        _ = watch(nil)
        return result
    }

    /// Sets what `set()` calls; true when the flag is already set.
    private func watch(_ action: (@Sendable () -> Void)?) -> Bool {
        lock.withLock {
            onSet = action
            return value
        }
    }
}
