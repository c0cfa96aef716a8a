import Evaluation
import Foundation
public import Knowledge

/// How a worker keeps its claims.
public struct WorkerSettings: Sendable, Equatable {
    /// Seconds between heartbeats.
    public var heartbeat: Double = 5
    /// A claim whose heartbeat is older than this many seconds is taken over by another worker.
    public var grace: Double = 60

    public init(heartbeat: Double = 5, grace: Double = 60) {
        self.heartbeat = heartbeat
        self.grace = grace
    }
}

/// Many workers on one run (DESIGN.md section 11). `plan` makes a run whose iterations are work
/// items; `work` claims them one at a time, in this process or in any number of others on any
/// machine sharing the knowledge base. Each iteration is the same as in ``run(resume:events:)``:
/// its seeds derive from the run's seed and its number, its trials' uids from the run and the
/// iteration, and the proposer sees what every worker has recorded so far.
extension ResearchLoop {
    /// Starts a run whose `options.iterations` iterations are left to workers; `settings` are
    /// recorded with it (the data's hashes, so a worker on other data refuses).
    public func plan(extraSettings: [String: String] = [:]) throws(AgentError) -> ResearchRun {
        do {
            var settings = runSettings
            settings.merge(extraSettings) { _, new in new }
            let run = try knowledge.startRun(provider: source.origin, model: nil, seed: options.seed, offsetSeed: options.offsetSeed,
                                             settings: settings, maxIterations: options.iterations)
            try knowledge.planWork(run: run.id, iterations: 0..<options.iterations)
            // The run is the workers' now: its row says so until the last of them ends it.
            try knowledge.updateRun(run.id, ResearchProgress(stage: "waiting for workers"))
            return run
        } catch {
            throw .knowledge(error.description)
        }
    }

    /// Works on `run`'s items until none is left to claim, then ends the run when it was the
    /// last one working. Ctrl-C gives the claim back (another worker takes it at once) and
    /// throws `.interrupted`.
    /// - Returns: the run's result, with this worker's iterations as its session.
    public func work(run: ResearchRun, settings: WorkerSettings,
                     events: @escaping @Sendable (ResearchEvent) -> Void) async throws(AgentError) -> ResearchResult {
        let profile = DataProfile(bars: trainingBars)
        let worker: String
        do {
            try fingerprintUnmarked()
            worker = try knowledge.registerWorker(run: run.id)
        } catch {
            throw .knowledge(error.description)
        }
        events(.started(run: run, profile: profile, resumed: true))
        events(.note("worker \(worker) on \(run.id)"))
        let beat = Heartbeat(knowledge: (try? knowledge.reopened()) ?? knowledge, worker: worker, interval: settings.heartbeat)
        defer { beat.stop() }
        var records: [IterationRecord] = []
        var stopReason = "completed \(ReportFormat.count(options.iterations, "iteration"))"
        let started = run.startDate ?? Date()
        do {
            while true {
                if stop.isSet { throw AgentError.interrupted }
                // The run's time budget counts from its start, whoever works on it.
                if options.agent.budgetMinutes > 0, Date().timeIntervalSince(started) >= options.agent.budgetMinutes * 60 {
                    stopReason = "time budget of \(HypothesisDesign.number(options.agent.budgetMinutes)) minutes spent"
                    _ = try? knowledge.cancelPendingWork(run: run.id)
                    break
                }
                // The knowledge base's calls wait on the network: off Swift's few cooperative threads.
                let knowledge = self.knowledge, options = self.options, grace = settings.grace
                let claimed = try await OffPool.run { () throws(AgentError) -> WorkClaim? in
                    do throws(KnowledgeError) { return try knowledge.claimWork(run: run.id, worker: worker, grace: grace) } catch {
                        throw AgentError.knowledge(error.description)
                    }
                }
                guard let claim = claimed else { break }
                beat.claim = claim
                if let previous = claim.takenOverFrom {
                    events(.note("iteration \(claim.iteration + 1): taken over from \(previous), quiet for over \(Int(settings.grace)) s"))
                }
                // What every worker has recorded so far, and this iteration's own leftovers dropped
                // (the script its previous holder claimed, if any, is finished as --resume would).
                let (latest, rebuilt) = try await OffPool.run { () throws(AgentError) -> (ResearchRun, LoopState) in
                    let latest: ResearchRun
                    do throws(KnowledgeError) {
                        try knowledge.discardUnfinishedSteps(run: run.id, iteration: claim.iteration)
                        latest = try knowledge.run(run.id)
                    } catch {
                        throw AgentError.knowledge(error.description)
                    }
                    return (latest, try LoopState(run: latest, knowledge: knowledge, options: options))
                }
                var state = rebuilt
                state.iteration = claim.iteration
                let record: IterationRecord
                do {
                    record = try await iteration(claim.iteration, run: latest, profile: profile, state: &state, events: events) { _, _, _ in }
                } catch {
                    guard case .budget(let message) = error else { throw error }
                    stopReason = message
                    try? knowledge.releaseWork(claim, worker: worker)
                    beat.claim = nil
                    _ = try? knowledge.cancelPendingWork(run: run.id)
                    break
                }
                var done = state.progress
                done.elapsedSeconds = Date().timeIntervalSince(started)
                if let spend = try? knowledge.llmSpend(run: run.id) { done.spendUSD = spend.costUSD }
                let (step, finished) = (state.pendingStep, done)
                let kept = try await OffPool.run { () throws(AgentError) -> Bool in
                    do throws(KnowledgeError) { return try knowledge.finishWork(claim, worker: worker, step: step, progress: finished) } catch {
                        throw AgentError.knowledge(error.description)
                    }
                }
                beat.claim = nil
                guard kept else {
                    events(.note("iteration \(claim.iteration + 1): another worker took it over while this one was quiet; "
                                 + "its result is that worker's (the trials recorded here still count)"))
                    continue
                }
                records.append(record)
                if let early = announce(record, state: &state, events: events) {
                    stopReason = early
                    _ = try? knowledge.cancelPendingWork(run: run.id)
                    break
                }
            }
        } catch AgentError.interrupted {
            if let claim = beat.claim { try? knowledge.releaseWork(claim, worker: worker) }
            try? knowledge.stopWorker(worker, state: .stopped, note: "interrupted")
            // The last worker to stop marks the run interrupted (any worker takes it up again), or
            // finished when the Ctrl-C came after the last iteration.
            if let status = try? knowledge.workStatus(run: run.id) {
                if status.isComplete {
                    if (try? knowledge.run(run.id))?.state == .running {
                        try? knowledge.endRun(run.id, state: .finished, reason: Self.completion(status))
                    }
                } else if !status.workers.contains(where: { $0.state == .working && $0.id != worker && status.now - $0.heartbeatAt < settings.grace }) {
                    try? knowledge.endRun(run.id, state: .interrupted,
                                          reason: "interrupted with \(status.pending + status.claimed) iterations left; continue with "
                                            + "llmalpha agent worker --run \(run.id)")
                }
            }
            throw .interrupted
        } catch {
            let failure = (error as? AgentError) ?? .knowledge(String(describing: error))
            if let claim = beat.claim { try? knowledge.releaseWork(claim, worker: worker) }
            try? knowledge.stopWorker(worker, state: .failed, note: failure.description)
            throw failure
        }
        do {
            try knowledge.stopWorker(worker, state: .finished)
            // The last worker out ends the run.
            let status = try knowledge.workStatus(run: run.id)
            if status.isComplete {
                if status.cancelled == 0 { stopReason = Self.completion(status) }
                if (try knowledge.run(run.id)).state == .running { try knowledge.endRun(run.id, state: .finished, reason: stopReason) }
            }
        } catch {
            throw .knowledge(error.description)
        }
        let (session, reason, knowledge) = (records, stopReason, self.knowledge)
        let result = try await OffPool.run { () throws(AgentError) in
            try ResearchResult.load(run: run.id, knowledge: knowledge, session: session, stopReason: reason)
        }
        events(.completed(result))
        return result
    }
}

extension ResearchLoop {
    /// How a run its workers finished says so.
    static func completion(_ status: WorkStatus) -> String {
        let workers = Set(status.workers.map(\.id)).count
        return "completed \(ReportFormat.count(status.done, "iteration")) with \(ReportFormat.count(workers, "worker"))"
    }
}

/// A thread that tells the knowledge base every `interval` seconds that this worker, and its
/// claim, are alive: on its own thread so a validation keeping every core busy cannot starve it.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var current: WorkClaim?
    private var stopped = false
    private let wake = NSCondition()

    var claim: WorkClaim? {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    init(knowledge: KnowledgeBase, worker: String, interval: Double) {
        let thread = Thread { [self] in
            while true {
                wake.lock()
                if !stopped { _ = wake.wait(until: Date().addingTimeInterval(interval)) }
                let done = stopped
                wake.unlock()
                if done { return }
                _ = try? knowledge.heartbeat(worker: worker, claim: claim)
            }
        }
        thread.name = "llmalpha heartbeat"
        thread.start()
    }

    func stop() {
        wake.lock()
        stopped = true
        wake.signal()
        wake.unlock()
    }
}
