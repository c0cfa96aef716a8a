import Backtest
public import Evaluation
import Foundation
public import Knowledge
import MarketData
import Scripting

/// What validation is doing, for a progress line.
public struct ValidationProgress: Sendable {
    public let symbol: String
    public let stage: ValidationStage
    /// Units done and in all (trials, windows, truncations); 0 of 0 for a stage starting.
    public let done: Int
    public let total: Int
}

/// The judge (DESIGN.md section 5): runs a hypothesis script through the gates of a mode on the
/// visible bars of each symbol, optimizes its parameters where a stage asks for it, and records
/// every trial and the verdict in the knowledge base.
///
/// ```swift
/// let validator = Validator(settings: configuration.validation, evaluation: configuration.evaluation,
///                           jobs: 2, knowledge: kb, record: true)
/// let report = try validator.validate(source: text, path: "h.lua", data: [VisibleBars(bars: visible, holdoutFrom: t)])
/// print(report.passed, report.failure?.check.message ?? "validated")
/// ```
///
/// Stages run in order and a symbol stops at its first failing stage (the funnel of the seed);
/// the lookahead check runs first in every mode. Walk-forward optimizes one parameter set for
/// all symbols together (mean Sharpe on each symbol's training window); rolling windows
/// re-optimize per symbol and window. The locked holdout never reaches this type: callers cut it
/// off (``LockedHoldout``) before building ``VisibleBars``.
public final class Validator: Sendable {
    public let settings: ValidationSettings
    public let evaluation: EvaluationSettings
    public let jobs: Int
    public let knowledge: KnowledgeBase?
    /// Write trials and the verdict to `knowledge` (false: read its trial count only).
    public let record: Bool
    /// Run every stage of the mode even after one fails (the verdict still names the first
    /// failure): to see how far a near-miss is from the rest.
    public let allStages: Bool
    private let running = RunningValidations()

    public init(settings: ValidationSettings, evaluation: EvaluationSettings, jobs: Int, knowledge: KnowledgeBase?, record: Bool,
                allStages: Bool = false) {
        self.settings = settings
        self.evaluation = evaluation
        self.jobs = max(1, jobs)
        self.knowledge = knowledge
        self.record = record && knowledge != nil
        self.allStages = allStages
    }

    /// Stops the validations in progress; each `validate` then throws ``ValidatorError/interrupted``.
    /// Later calls start afresh.
    public func interrupt() { running.interruptAll() }

    /// Validates one script on the visible bars of one or more symbols.
    /// - Parameters:
    ///   - origin: who wrote the script, for a new hypothesis (`user`, `offline`, `llm:<model>`).
    ///   - trialKey: names this validation's trials in the ledger (the research agent passes its
    ///     run and iteration): validating again under the same key, after an interruption, adds
    ///     no trial twice. Nil gives every trial a fresh uid.
    /// - Throws: ``ValidatorError`` when it cannot be judged (missing layers, span too short,
    ///   a script error with its defaults, the knowledge base refusing, Ctrl-C). A hypothesis
    ///   that fails a gate is no error: it is a report with `passed == false`.
    public func validate(source: String, path: String, data: [VisibleBars], origin: String = "user", trialKey: String? = nil,
                         progress: @escaping @Sendable (ValidationProgress) -> Void = { _ in }) throws(ValidatorError) -> ValidationReport {
        precondition(!data.isEmpty, "validate needs at least one symbol")
        let generation = running.generation
        let startedAt = Date()
        let mode = settings.mode
        let stages = ValidationStage.stages(for: mode)
        let rules = ScriptEvaluator.Rules(settings)
        let cuts = WalkForwardStage.cuts(data.map(\.bars), settings.walkForward)
        let contexts = data.map { SymbolContext(data: $0, evaluator: ScriptEvaluator(source: source, path: path, visible: $0.bars,
                                                                                      settings: evaluation, rules: rules, jobs: jobs),
                                                split: WalkForwardStage.split($0.bars, cuts: cuts)) }
        for context in contexts { try checkSpan(context, mode: mode, stages: stages) }
        let state = ValidatorState(contexts.map(\.evaluator))
        running.add(state, startedAt: generation)
        defer { running.remove(state) }

        // The script with its defaults, on each symbol: its layers, declarations and lookahead
        // calls. Its reports cover the in-sample bars only (train + validation of the walk-forward
        // split), in every mode: the walk-forward test window stays out of sample for everything
        // but the walk-forward test itself and the rolling windows' own out-of-sample tests.
        var bases: [ScriptRun] = []
        for context in contexts {
            do {
                bases.append(try context.evaluator.run(context.evaluator.visible, judged: context.inSample))
            } catch {
                if case .resourceLimit(.interrupt) = error.kind { throw .interrupted }
                throw .script(error)
            }
        }
        let result = bases[0].result
        try checkLayers(result, mode: mode, path: path)
        let space = try ParameterSpace(result.parameters)

        var hypothesis: Hypothesis? = nil
        if record, let kb = knowledge {
            do {
                hypothesis = try TrialRecording.recordHypothesis(source: source, path: path, info: result.hypothesis, origin: origin,
                                                                 into: kb).0
            } catch {
                throw .knowledge(error)
            }
        }
        var recorder = TrialRecorder(knowledge: record ? knowledge : nil, counter: knowledge, hypothesis: hypothesis?.id, space: space,
                                     contexts: contexts, trialKey: trialKey)

        var verdicts = contexts.map { c in
            SymbolVerdict(symbol: c.data.bars.symbol, interval: c.data.bars.interval, bars: c.data.bars.count,
                          from: c.data.bars.time.first ?? 0, to: c.data.bars.time.last ?? 0, holdoutFrom: c.data.holdoutFrom)
        }
        var chosen = space.defaults
        var walkForwardTrials: [OptimizerTrial] = []
        /// Each symbol's place in the walk-forward trials' outcomes.
        var walkForwardIndex: [Int: Int] = [:]
        var alive = Array(contexts.indices)
        let needed = max(1, Int((settings.symbolsPassShare * Double(contexts.count)).rounded(.up)))

        for stage in stages {
            guard allStages ? !alive.isEmpty : alive.count >= needed else { break }
            if state.cancelled { throw .interrupted }
            progress(ValidationProgress(symbol: alive.map { contexts[$0].symbol }.joined(separator: ","), stage: stage, done: 0, total: 0))
            var results: [Int: StageResult] = [:]
            switch stage {
            case .lookahead:
                for i in alive {
                    results[i] = LookaheadCheck.judge(contexts[i].evaluator, base: bases[i], parameters: [:],
                                                      points: settings.honesty.lookaheadPoints, warmup: settings.warmupBars) { done, total in
                        progress(ValidationProgress(symbol: contexts[i].symbol, stage: .lookahead, done: done, total: total))
                    }
                }
            case .factor:
                for i in alive {
                    let inSample = contexts[i].inSample
                    results[i] = QuickGates.factor(Array((bases[i].result.factor ?? [])[inSample]),
                                                   close: Array(contexts[i].data.bars.close[inSample]),
                                                   horizons: evaluation.factorHorizons, barMilliseconds: contexts[i].barMilliseconds,
                                                   thresholds: settings.factor)
                }
            case .signal:
                for i in alive { results[i] = QuickGates.signal(bases[i].signalReport!, thresholds: settings.signal) }
            case .backtest:
                for i in alive {
                    results[i] = QuickGates.backtest(bases[i].metrics!, thresholds: settings.backtest)
                    verdicts[i].backtest = bases[i].backtest
                }
            case .walkForward:
                let outcome = WalkForwardStage.run(contexts: alive.map { contexts[$0] }, space: space, settings: settings,
                                                   seed: UInt64(settings.seed), state: state, progress: progress)
                if state.cancelled { throw .interrupted }
                walkForwardTrials = outcome.trials
                chosen = outcome.chosen
                for (k, i) in alive.enumerated() {
                    var r = outcome.results[k]
                    // The lookahead check again, when the chosen parameters are not the defaults it ran with.
                    if chosen != space.defaults {
                        switch Result(catching: { () throws(ScriptError) in
                            try contexts[i].evaluator.run(contexts[i].evaluator.visible, parameters: space.overrides(chosen))
                        }) {
                        case .success(let base):
                            let again = LookaheadCheck.judge(contexts[i].evaluator, base: base, parameters: space.overrides(chosen),
                                                             points: settings.honesty.lookaheadPoints, warmup: settings.warmupBars) { done, total in
                                progress(ValidationProgress(symbol: contexts[i].symbol, stage: .lookahead, done: done, total: total))
                            }
                            r.checks += again.checks.filter { !$0.passed }
                        case .failure(let error):
                            r.checks.append(Check(.lookahead, "runs with the chosen parameters", value: 1, .atMost, 0,
                                                  failure: "the lookahead check cannot rerun with the chosen parameters: \(error.description)"))
                        }
                    }
                    results[i] = r
                    verdicts[i].walkForward = outcome.details[k]
                    walkForwardIndex[i] = k
                }
                try recorder.recordOptimizerTrials(outcome.trials, stage: .walkForward, symbols: alive, windows: outcome.trainWindows,
                                                   seed: UInt64(settings.seed))
            case .rolling:
                for i in alive {
                    let outcome = RollingStage.run(contexts[i], space: space, settings: settings, seed: UInt64(settings.seed),
                                                   state: state) { done, total in
                        progress(ValidationProgress(symbol: contexts[i].symbol, stage: .rolling, done: done, total: total))
                    }
                    if state.cancelled { throw .interrupted }
                    results[i] = outcome.result
                    verdicts[i].rolling = outcome.windows
                    for (w, trials) in outcome.trials.enumerated() {
                        try recorder.recordOptimizerTrials(trials, stage: .rolling, symbols: [i], windows: [outcome.trainWindows[w]],
                                                           seed: UInt64(settings.seed) &+ UInt64(w + 1))
                    }
                    contexts[i].evaluator.releaseSlices()
                }
            case .honesty:
                let lifetime = try recorder.lifetimeTrials()
                // The hypothesis's own strategy is no rival, recorded this time or not.
                let own = hypothesis?.id ?? (try? knowledge?.hypothesis(forScript: source))??.id
                let strategies = savedStrategies(excluding: own)
                for i in alive {
                    let outcome = HonestyStage.run(contexts[i], chosen: space.overrides(chosen), space: space,
                                                   trials: walkForwardTrials, symbolIndex: walkForwardIndex[i],
                                                   lifetimeTrials: lifetime, strategies: strategies, settings: settings)
                    if state.cancelled { throw .interrupted }
                    results[i] = outcome.result
                    if let backtest = outcome.backtest { verdicts[i].backtest = backtest }
                }
            }
            if state.cancelled { throw .interrupted }
            for i in alive {
                guard let r = results[i] else { continue }
                verdicts[i].stages.append(r)
            }
            // A lookahead leak makes every later number meaningless, whatever --all-stages says.
            alive = alive.filter { i in
                guard let last = verdicts[i].stages.last else { return false }
                if !allStages { return last.passed }
                return !last.checks.contains { $0.code == .lookahead && !$0.passed }
            }
        }
        for i in verdicts.indices {
            let ran = Set(verdicts[i].stages.map(\.stage))
            verdicts[i].notRun = stages.filter { !ran.contains($0) }
        }
        var report = ValidationReport(scriptPath: path, mode: mode, hypothesis: result.hypothesis, parameters: result.parameters,
                                      chosen: space.overrides(chosen), symbols: verdicts, symbolsNeeded: needed,
                                      runTrials: recorder.runTrials + 1, lifetimeTrials: (try? recorder.lifetimeTrials()) ?? recorder.runTrials + 1)
        if mode == .full {
            for c in contexts where c.data.holdoutDays < settings.honesty.holdoutMinDays {
                report.warnings.append("\(c.symbol): the locked holdout covers \(ReportFormat.plain(c.data.holdoutDays, 1)) days, fewer than "
                                       + "validation.honesty.holdout_min_days (\(ReportFormat.plain(settings.honesty.holdoutMinDays, 0))): "
                                       + "a pass cannot be promoted until newer bars arrive")
            }
        }
        if let hypothesis {
            let trial = try recorder.recordVerdict(report, parameters: space.values(chosen), startedAt: startedAt)
            report.recorded = (hypothesis.id, trial)
        }
        return report
    }

    /// The same, for async callers (the research agent): the CPU-bound work runs on a thread of
    /// its own, never blocking Swift's cooperative pool, and the caller awaits the report.
    public func validate(source: String, path: String, data: [VisibleBars], origin: String = "user", trialKey: String? = nil,
                         progress: @escaping @Sendable (ValidationProgress) -> Void = { _ in }) async throws(ValidatorError) -> ValidationReport {
        let result: Result<ValidationReport, ValidatorError> = await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                continuation.resume(returning: Result { () throws(ValidatorError) -> ValidationReport in
                    try validate(source: source, path: path, data: data, origin: origin, trialKey: trialKey, progress: progress)
                })
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        return try result.get()
    }

    /// The layers the mode needs are there.
    private func checkLayers(_ result: ScriptResult, mode: ValidationSettings.Mode, path: String) throws(ValidatorError) {
        var missing: [String] = []
        if [.quick, .full].contains(mode), result.factor == nil { missing.append("factor(d)") }
        if result.signal == nil { missing.append("signal(d, f)") }
        guard !missing.isEmpty else { return }
        let needs = [.quick, .full].contains(mode) ? "factor(d) and signal(d, f)" : "signal(d, f)"
        throw .missingLayers("\(path): validate --mode \(mode.rawValue) needs \(needs); the script defines no \(missing.joined(separator: " and ")) "
                             + "(hint: strategies/rsi_mr.lua has every layer; validate --mode wf_only needs only signal)")
    }

    /// The visible span can hold the mode's windows.
    private func checkSpan(_ context: SymbolContext, mode: ValidationSettings.Mode, stages: [ValidationStage]) throws(ValidatorError) {
        let n = context.data.bars.count
        var needs: [(bars: Int, why: String)] = [(200, "the factor and signal reports")]
        let perDay = 86_400_000 / context.barMilliseconds
        if stages.contains(.walkForward) {
            let bars = Int((settings.walkForward.minTestDays * perDay / settings.walkForward.test).rounded(.up))
            needs.append((bars, "a walk-forward test window of \(ReportFormat.plain(settings.walkForward.minTestDays, 0)) days"))
        }
        if stages.contains(.rolling) {
            let r = RollingStage.windowBars(settings.rolling, barMilliseconds: context.barMilliseconds)
            let bars = r.train + r.test + (settings.rolling.minWindows - 1) * r.step
            needs.append((bars, "\(settings.rolling.minWindows) rolling windows of \(ReportFormat.plain(settings.rolling.trainHours, 0)) h train + "
                          + "\(ReportFormat.plain(settings.rolling.testHours, 0)) h test"))
        }
        guard let most = needs.max(by: { $0.bars < $1.bars }), n < most.bars else { return }
        let bars = context.data.bars
        let span = bars.time.first.map { "\(TimeBound.format($0)) → \(TimeBound.format(bars.time.last!))" } ?? "no bars"
        throw .spanTooShort("\(bars.symbol) \(bars.interval): validate --mode \(mode.rawValue) needs at least \(ReportFormat.grouped(most.bars)) bars "
                            + "before the locked holdout (\(most.why)); \(span) has \(ReportFormat.grouped(n)) "
                            + "(hint: widen --from/--to, or use --mode quick)")
    }

    /// The knowledge base's saved strategies' scripts, for the originality check (a hypothesis
    /// validated again is not compared with its own strategy).
    private func savedStrategies(excluding hypothesis: String?) -> [(id: String, name: String, source: String)] {
        guard let kb = knowledge, let list = try? kb.strategies() else { return [] }
        return list.filter { $0.hypothesis != hypothesis }.compactMap { s in
            guard let text = kb.script(of: s) else { return nil }
            return (s.id, s.name, text)
        }
    }
}

/// One symbol under validation.
package struct SymbolContext: Sendable {
    package let data: VisibleBars
    package let evaluator: ScriptEvaluator
    package var symbol: String { data.bars.symbol }
    /// The walk-forward windows of this symbol (cut at the same times as every other symbol's).
    package let split: WalkForwardSplit
    /// The bars before the walk-forward test window: what the quick gates, the deflated Sharpe
    /// and the lag check judge.
    package var inSample: Range<Int> { 0..<split.validation.upperBound }
    package var barMilliseconds: Double { Interval.milliseconds(data.bars.interval) ?? BacktestMetrics.medianSpacing(data.bars.time) }
}

/// One validation in flight: its evaluators, and whether it was interrupted.
package final class ValidatorState: @unchecked Sendable {
    // @unchecked Sendable: `interrupted` is guarded by `lock`; the evaluators never change.
    private let lock = NSLock()
    private let evaluators: [ScriptEvaluator]
    private var interrupted = false

    init(_ evaluators: [ScriptEvaluator]) { self.evaluators = evaluators }

    func interrupt() {
        lock.lock()
        interrupted = true
        lock.unlock()
        evaluators.forEach { $0.interrupt() }
    }

    package var cancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return interrupted
    }
}

/// The validations a ``Validator`` is running, so one Ctrl-C stops them all and the next starts clean.
final class RunningValidations: @unchecked Sendable {
    // @unchecked Sendable: `states` and `generation` are guarded by `lock`.
    private let lock = NSLock()
    private var states: [ObjectIdentifier: ValidatorState] = [:]
    /// Counts interrupts, so one arriving between a validation's start and its registration still stops it.
    private var interrupts = 0

    var generation: Int {
        lock.lock()
        defer { lock.unlock() }
        return interrupts
    }

    /// Registers a validation that began when ``generation`` was `startedAt`.
    func add(_ state: ValidatorState, startedAt: Int) {
        lock.lock()
        states[ObjectIdentifier(state)] = state
        let missed = interrupts != startedAt
        lock.unlock()
        if missed { state.interrupt() }
    }

    func remove(_ state: ValidatorState) {
        lock.lock()
        states[ObjectIdentifier(state)] = nil
        lock.unlock()
    }

    func interruptAll() {
        lock.lock()
        interrupts += 1
        let all = Array(states.values)
        lock.unlock()
        all.forEach { $0.interrupt() }
    }
}
