public import Foundation

/// A research run of the agent: its settings, where it stands, and its counts.
public struct ResearchRun: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case running, interrupted, finished, failed
    }

    /// R001, R002, ... in the order runs were started.
    public let id: String
    /// Unique across knowledge bases (R001 is not): what the run's trial uids derive from, so
    /// merging another knowledge base's history drops nothing.
    public let uid: String
    public let state: State
    public let provider: String
    public let model: String?
    public let seed: UInt64
    /// The run's resolved settings (direction, category, mode, symbols, ...) as the agent wrote
    /// them, so `--resume` continues with exactly the same ones.
    public let settings: [String: String]
    public let maxIterations: Int
    /// Iterations finished.
    public let iteration: Int
    /// What the run is doing now ("validating: walk-forward"), while it runs.
    public let stage: String?
    /// The hypothesis (or proposal) being worked on.
    public let current: String?
    public let hypotheses: Int
    public let trials: Int
    public let validated: Int
    public let duplicates: Int
    public let consecutiveFailures: Int
    /// The validated hypothesis with the best walk-forward test Sharpe.
    public let bestHypothesis: String?
    public let bestTestSharpe: Double?
    /// Seconds of work over every session of the run.
    public let elapsedSeconds: Double
    public let spendUSD: Double
    public let stopReason: String?
    public let host: String
    public let pid: Int
    public let startedAt: String
    public let updatedAt: String
    public let finishedAt: String?

    /// When the run started, as a date.
    public var startDate: Date? { Timestamp.parse(startedAt) }
}

/// A run's progress, written after each step and at each stage change.
public struct ResearchProgress: Sendable, Equatable {
    public var iteration: Int
    public var stage: String?
    public var current: String?
    public var hypotheses: Int
    public var trials: Int
    public var validated: Int
    public var duplicates: Int
    public var consecutiveFailures: Int
    public var bestHypothesis: String?
    public var bestTestSharpe: Double?
    public var elapsedSeconds: Double
    public var spendUSD: Double

    public init(iteration: Int = 0, stage: String? = nil, current: String? = nil, hypotheses: Int = 0, trials: Int = 0,
                validated: Int = 0, duplicates: Int = 0, consecutiveFailures: Int = 0, bestHypothesis: String? = nil,
                bestTestSharpe: Double? = nil, elapsedSeconds: Double = 0, spendUSD: Double = 0) {
        self.iteration = iteration
        self.stage = stage
        self.current = current
        self.hypotheses = hypotheses
        self.trials = trials
        self.validated = validated
        self.duplicates = duplicates
        self.consecutiveFailures = consecutiveFailures
        self.bestHypothesis = bestHypothesis
        self.bestTestSharpe = bestTestSharpe
        self.elapsedSeconds = elapsedSeconds
        self.spendUSD = spendUSD
    }
}

/// What one attempt of one iteration came to.
public struct ResearchStep: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        /// Being evaluated now: the run's claim on the hypothesis, replaced by the outcome.
        case running
        /// Validated (passed or not).
        case evaluated
        /// The same script, or the same factor up to parameter values, as a recorded hypothesis.
        case duplicate
        /// Failed the static checks or its first sandbox run; recorded with its error.
        case invalid
        /// The proposer itself failed (a provider error); nothing was evaluated.
        case error
    }

    public enum Action: String, Sendable, Codable {
        case new, refine
    }

    public var run: String
    public var iteration: Int
    /// 0 for the first proposal of the iteration; duplicates make the proposer try again.
    public var attempt: Int
    public var outcome: Outcome
    public var action: Action
    public var hypothesis: String?
    public var parent: String?
    public var family: String?
    public var category: String?
    /// The generator's name for the shape of the proposal (`ema_spread+threshold`).
    public var template: String?
    public var fingerprint: String?
    /// The furthest stage reached, as the ledger names it.
    public var stage: String?
    public var passed: Bool?
    public var reasonCode: String?
    /// What the proposer may see of the outcome: the failure reason and train/validation numbers,
    /// never a walk-forward test or holdout number.
    public var feedback: String
    /// The train-and-validation numbers behind `feedback` (`factor_ic_24`, `sharpe`, ...).
    public var metrics: [String: Double]
    /// The proposer's measure of promise, from train and validation numbers only.
    public var score: Double?
    /// The walk-forward test Sharpe, for the user and the early stop only.
    public var testSharpe: Double?
    /// Trials the step recorded in the ledger.
    public var trials: Int
    /// The strategy it was promoted to.
    public var strategy: String?
    public var durationSeconds: Double
    public var createdAt: String

    public init(run: String, iteration: Int, attempt: Int, outcome: Outcome, action: Action, hypothesis: String? = nil,
                parent: String? = nil, family: String? = nil, category: String? = nil, template: String? = nil,
                fingerprint: String? = nil, stage: String? = nil, passed: Bool? = nil, reasonCode: String? = nil,
                feedback: String = "", metrics: [String: Double] = [:], score: Double? = nil, testSharpe: Double? = nil, trials: Int = 0, strategy: String? = nil,
                durationSeconds: Double = 0, createdAt: String = "") {
        self.run = run
        self.iteration = iteration
        self.attempt = attempt
        self.outcome = outcome
        self.action = action
        self.hypothesis = hypothesis
        self.parent = parent
        self.family = family
        self.category = category
        self.template = template
        self.fingerprint = fingerprint
        self.stage = stage
        self.passed = passed
        self.reasonCode = reasonCode
        self.feedback = feedback
        self.metrics = metrics
        self.score = score
        self.testSharpe = testSharpe
        self.trials = trials
        self.strategy = strategy
        self.durationSeconds = durationSeconds
        self.createdAt = createdAt
    }
}

/// Research runs and their steps (the agent's memory of what it did), and factor fingerprints.
extension KnowledgeBase {
    /// Starts a run and returns it.
    /// - Parameter offsetSeed: add the run's number minus one to `seed` (each run of a knowledge
    ///   base takes the next seed), decided in the transaction that numbers the run, so runs
    ///   started at once never share one.
    public func startRun(provider: String, model: String?, seed: UInt64, offsetSeed: Bool = false, settings: [String: String],
                         maxIterations: Int) throws(KnowledgeError) -> ResearchRun {
        let stamp = Timestamp.iso(now())
        let json = Self.encodeSettings(settings)
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        return try write { db in
            let number = (try Int.fetchOne(db, sql: "SELECT max(number) FROM research_run") ?? 0) + 1
            let id = String(format: "R%03d", number)
            let seed = offsetSeed ? seed &+ UInt64(number - 1) : seed
            try db.execute(sql: """
                INSERT INTO research_run (number, id, uid, state, provider, model, seed, settings, max_iterations, host, pid,
                                          started_at, updated_at)
                VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [number, id, UUID().uuidString.lowercased(), provider, model, Int64(bitPattern: seed), json, maxIterations,
                                 host, pid, stamp, stamp])
            return try Self.run(SQLRow.fetchOne(db, sql: "SELECT * FROM research_run WHERE id = ?", arguments: [id])!)
        }
    }

    /// Takes an interrupted (or finished) run up again in this process: state `running`, a new
    /// iteration budget when one is given.
    public func resumeRun(_ id: String, maxIterations: Int? = nil) throws(KnowledgeError) -> ResearchRun {
        let canonical = Self.canonicalID(id, prefix: "R")
        let stamp = Timestamp.iso(now())
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        // Checked and taken in one transaction: two processes cannot both resume one run.
        return try write { db in
            guard let row = try SQLRow.fetchOne(db, sql: "SELECT * FROM research_run WHERE id = ?", arguments: [canonical]) else {
                throw KnowledgeError.notFound("\(id): no such research run (llmalpha agent status without a run shows the newest)")
            }
            let run = Self.run(row)
            if run.state == .running, run.pid != pid || run.host != host, run.host != host || Self.processAlive(run.pid) {
                throw KnowledgeError.invalid("\(run.id) is running now (pid \(run.pid) on \(run.host)); stop it first or start a new run")
            }
            try db.execute(sql: """
                UPDATE research_run SET state = 'running', host = ?, pid = ?, updated_at = ?, finished_at = NULL, stop_reason = NULL,
                       max_iterations = coalesce(?, max_iterations)
                WHERE id = ?
                """, arguments: [host, pid, stamp, maxIterations, run.id])
            return try Self.run(SQLRow.fetchOne(db, sql: "SELECT * FROM research_run WHERE id = ?", arguments: [run.id])!)
        }
    }

    /// Writes a run's progress.
    public func updateRun(_ id: String, _ p: ResearchProgress) throws(KnowledgeError) {
        let stamp = Timestamp.iso(now())
        try write { db in try Self.update(id, p, stamp: stamp, db) }
    }

    /// Ends an iteration in one transaction: its last step, the release of its claim and the
    /// run's progress (the iteration counted done). A process killed at any point leaves either
    /// all of it or none, so `--resume` never mistakes a finished iteration for an unfinished one.
    public func finishIteration(run id: String, iteration: Int, step: ResearchStep?, progress p: ResearchProgress) throws(KnowledgeError) {
        let stamp = Timestamp.iso(now())
        try write { db in
            if let step { try Self.insert(step, stamp: stamp, db) }
            try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration = ? AND outcome = 'running'", arguments: [id, iteration])
            try Self.update(id, p, stamp: stamp, db)
        }
    }

    static func update(_ id: String, _ p: ResearchProgress, stamp: String, _ db: any SQLDatabase) throws {
        try db.execute(sql: """
            UPDATE research_run SET iteration = ?, stage = ?, current = ?, hypotheses = ?, trials = ?, validated = ?,
                   duplicates = ?, consecutive_failures = ?, best_hypothesis = ?, best_test_sharpe = ?, elapsed_s = ?,
                   spend_usd = ?, updated_at = ?
            WHERE id = ?
            """, arguments: [p.iteration, p.stage, p.current, p.hypotheses, p.trials, p.validated, p.duplicates,
                             p.consecutiveFailures, p.bestHypothesis, p.bestTestSharpe.flatMap { $0.isFinite ? $0 : nil },
                             p.elapsedSeconds, p.spendUSD, stamp, id])
    }

    /// Ends a run: finished (a stop condition), interrupted (Ctrl-C) or failed (an error).
    public func endRun(_ id: String, state: ResearchRun.State, reason: String) throws(KnowledgeError) {
        let stamp = Timestamp.iso(now())
        try write { db in
            try db.execute(sql: """
                UPDATE research_run SET state = ?, stop_reason = ?, stage = NULL, current = NULL, updated_at = ?, finished_at = ?
                WHERE id = ?
                """, arguments: [state.rawValue, reason, stamp, stamp, id])
            // An interrupted run keeps its claim: --resume finishes that script.
            if state != .interrupted { try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND outcome = 'running'", arguments: [id]) }
        }
    }

    /// One run by id (R003, r3 or 3).
    public func run(_ id: String) throws(KnowledgeError) -> ResearchRun {
        let canonical = Self.canonicalID(id, prefix: "R")
        return try read { db in
            guard let row = try SQLRow.fetchOne(db, sql: "SELECT * FROM research_run WHERE id = ?", arguments: [canonical]) else {
                throw KnowledgeError.notFound("\(id): no such research run (llmalpha agent status without a run shows the newest)")
            }
            return Self.run(row)
        }
    }

    /// Runs, newest first.
    public func runs(limit: Int = 20) throws(KnowledgeError) -> [ResearchRun] {
        try read { db in
            try SQLRow.fetchAll(db, sql: "SELECT * FROM research_run ORDER BY number DESC LIMIT ?", arguments: [limit]).map(Self.run)
        }
    }

    /// Records a step; recording the same (run, iteration, attempt) again replaces it, so a
    /// resumed iteration leaves one row.
    public func recordStep(_ step: ResearchStep) throws(KnowledgeError) {
        let stamp = Timestamp.iso(now())
        try write { db in try Self.insert(step, stamp: stamp, db) }
    }

    static func insert(_ step: ResearchStep, stamp: String, _ db: any SQLDatabase) throws {
        try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration = ? AND attempt = ?",
                       arguments: [step.run, step.iteration, step.attempt])
        try db.execute(sql: """
            INSERT INTO research_step (run, iteration, attempt, outcome, action, hypothesis, parent, family, category,
                template, fingerprint, stage, passed, reason_code, feedback, metrics, score, test_sharpe, trials, strategy, duration_s,
                created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [step.run, step.iteration, step.attempt, step.outcome.rawValue, step.action.rawValue, step.hypothesis,
                             step.parent, step.family, step.category, step.template, step.fingerprint, step.stage, step.passed,
                             step.reasonCode, step.feedback, JSONNumbers.encode(step.metrics.filter { $0.value.isFinite }),
                             step.score.flatMap { $0.isFinite ? $0 : nil }, step.testSharpe.flatMap { $0.isFinite ? $0 : nil },
                             step.trials, step.strategy, step.durationSeconds, step.createdAt.isEmpty ? stamp : step.createdAt])
    }

    /// A run's finished steps in order, or every run's (`run` nil), oldest first; claims
    /// (`running` steps) are left out.
    public func steps(run: String? = nil) throws(KnowledgeError) -> [ResearchStep] {
        try read { db in
            let rows: [SQLRow]
            if let run {
                rows = try SQLRow.fetchAll(db, sql: "SELECT * FROM research_step WHERE run = ? AND outcome != 'running' ORDER BY iteration, attempt",
                                        arguments: [Self.canonicalID(run, prefix: "R")])
            } else {
                rows = try SQLRow.fetchAll(db, sql: "SELECT * FROM research_step WHERE outcome != 'running' ORDER BY created_at, run, iteration, attempt")
            }
            return rows.map(Self.step)
        }
    }

    /// What ``claim(script:for:)`` found.
    public enum Claim: Sendable, Equatable {
        /// The script is this step's to evaluate.
        case claimed
        /// Another run that is still alive is evaluating it.
        case heldBy(run: String)
        /// It has been judged already (between the caller's duplicate check and now).
        case judged(hypothesis: String)
    }

    /// Claims a script for evaluation by one iteration of a run: a `running` step holding the
    /// script, replaced by the step's outcome. In one transaction it checks that the script was
    /// not judged meanwhile and that no other live run is evaluating it, so two runs never
    /// evaluate one script; the claim of a run that is gone (interrupted, or its process dead)
    /// does not hold. An interrupted run's claim tells `--resume` which script to finish.
    public func claim(script: String, for step: ResearchStep) throws(KnowledgeError) -> Claim {
        let stamp = Timestamp.iso(now())
        let host = ProcessInfo.processInfo.hostName
        let hash = ScriptFiles.sha256(script)
        return try write { db -> Claim in
            if let judged = try String.fetchOne(db, sql: "SELECT h.id FROM hypothesis h WHERE h.script_sha256 = ? AND \(Self.judged)",
                                                arguments: [hash]) {
                return .judged(hypothesis: judged)
            }
            // Another run's claim holds while its process lives. In a run shared by workers (this
            // one's other iterations too) it holds while that iteration's work item is claimed.
            let holders = try SQLRow.fetchAll(db, sql: """
                SELECT r.id, r.host, r.pid, s.run = ? AS same_run,
                       EXISTS (SELECT 1 FROM work_item w WHERE w.run = s.run) AS shared,
                       EXISTS (SELECT 1 FROM work_item w WHERE w.run = s.run AND w.iteration = s.iteration AND w.state = 'claimed') AS worked
                FROM research_step s JOIN research_run r ON r.id = s.run
                WHERE s.script_sha256 = ? AND s.outcome = 'running' AND NOT (s.run = ? AND s.iteration = ?) AND r.state = 'running'
                """, arguments: [step.run, hash, step.run, step.iteration])
            for row in holders {
                let runHost: String = row["host"]
                let (sameRun, shared, worked): (Bool, Bool, Bool) = (row["same_run"], row["shared"], row["worked"])
                let held = shared ? worked : (!sameRun && (runHost != host || Self.processAlive(row["pid"])))
                if held { return .heldBy(run: row["id"]) }
            }
            try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration = ? AND outcome = 'running'",
                           arguments: [step.run, step.iteration])
            try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration = ? AND attempt = ?",
                           arguments: [step.run, step.iteration, step.attempt])
            try db.execute(sql: """
                INSERT INTO research_step (run, iteration, attempt, outcome, action, script_sha256, script, parent, category,
                    template, fingerprint, feedback, duration_s, created_at)
                VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, '', 0, ?)
                """, arguments: [step.run, step.iteration, step.attempt, step.action.rawValue, hash, script, step.parent, step.category,
                                 step.template, step.fingerprint, stamp])
            return .claimed
        }
    }

    /// The script a run had claimed in `iteration` when it stopped, with the claim's step.
    public func claimedScript(run: String, iteration: Int) throws(KnowledgeError) -> (step: ResearchStep, script: String)? {
        try read { db in
            guard let row = try SQLRow.fetchOne(db, sql: """
                SELECT * FROM research_step WHERE run = ? AND iteration = ? AND outcome = 'running' AND script IS NOT NULL
                ORDER BY attempt DESC LIMIT 1
                """, arguments: [run, iteration]) else { return nil }
            return (Self.step(row), row["script"])
        }
    }

    /// Before a run resumes: the steps of iterations it had not finished are dropped (they are
    /// done again), except the claim of the interrupted iteration, which says what to finish.
    /// Before a worker takes up one iteration of a run (first or again, after its previous
    /// holder stopped): that iteration's steps past its claim are dropped; other iterations,
    /// other workers' own, are left alone.
    public func discardUnfinishedSteps(run: String, iteration: Int) throws(KnowledgeError) {
        try write { db in
            let claimed = try Int.fetchOne(db, sql: "SELECT max(attempt) FROM research_step WHERE run = ? AND iteration = ? AND outcome = 'running'",
                                           arguments: [run, iteration])
            try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration = ? AND outcome != 'running' AND attempt >= ?",
                           arguments: [run, iteration, claimed ?? 0])
        }
    }

    public func discardUnfinishedSteps(run: String, from iteration: Int) throws(KnowledgeError) {
        try write { db in
            // The interrupted iteration keeps the attempts before its claim (duplicates already
            // thrown back); everything later is done again.
            let claimed = try Int.fetchOne(db, sql: "SELECT max(attempt) FROM research_step WHERE run = ? AND iteration = ? AND outcome = 'running'",
                                           arguments: [run, iteration])
            try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration > ? AND outcome != 'running'", arguments: [run, iteration])
            try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration = ? AND outcome != 'running' AND attempt >= ?",
                           arguments: [run, iteration, claimed ?? 0])
            try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration > ? AND outcome = 'running'",
                           arguments: [run, iteration])
        }
    }

    /// Sets a hypothesis's factor fingerprint.
    public func setFingerprint(_ hypothesis: String, _ fingerprint: String) throws(KnowledgeError) {
        try write { db in
            try db.execute(sql: "UPDATE hypothesis SET fingerprint = ? WHERE id = ?",
                           arguments: [fingerprint, Self.canonicalID(hypothesis, prefix: "H")])
        }
    }

    /// The first judged hypothesis recorded with this fingerprint.
    public func hypothesis(fingerprint: String) throws(KnowledgeError) -> Hypothesis? {
        try read { db in
            try SQLRow.fetchOne(db, sql: "SELECT * FROM hypothesis h WHERE fingerprint = ? AND \(Self.judged) ORDER BY number LIMIT 1",
                             arguments: [fingerprint]).map { try Self.hypothesis($0, db) }
        }
    }

    /// The fingerprints of judged hypotheses (see ``isJudged(_:)``).
    public func fingerprints() throws(KnowledgeError) -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT DISTINCT h.fingerprint FROM hypothesis h WHERE h.fingerprint IS NOT NULL AND \(Self.judged)"))
        }
    }

    /// True when a hypothesis has a trial other than an optimizer's: a verdict, a run, an error.
    /// One recorded by a validation that was interrupted before its verdict is not judged, and
    /// the agent evaluates it again when it comes back.
    public func isJudged(_ hypothesis: String) throws(KnowledgeError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM hypothesis h WHERE h.id = ? AND \(Self.judged))",
                              arguments: [Self.canonicalID(hypothesis, prefix: "H")]) ?? false
        }
    }

    private static let judged = "EXISTS (SELECT 1 FROM trial t WHERE t.hypothesis = h.id AND t.source != 'optimizer')"

    /// Hypotheses without a fingerprint yet (recorded by `run`, `validate` or an import), with
    /// their script paths, so the agent can fingerprint them.
    public func hypothesesWithoutFingerprint() throws(KnowledgeError) -> [Hypothesis] {
        try read { db in
            try SQLRow.fetchAll(db, sql: "SELECT * FROM hypothesis WHERE fingerprint IS NULL ORDER BY number").map { try Self.hypothesis($0, db) }
        }
    }

    /// Every hypothesis, oldest first.
    public func hypotheses() throws(KnowledgeError) -> [Hypothesis] {
        try read { db in try SQLRow.fetchAll(db, sql: "SELECT * FROM hypothesis ORDER BY number").map { try Self.hypothesis($0, db) } }
    }

    /// Each hypothesis's verdict trial (the last `validate` trial), for analysis.
    public func verdicts() throws(KnowledgeError) -> [Trial] {
        try read { db in
            try SQLRow.fetchAll(db, sql: """
                SELECT * FROM trial WHERE id IN (SELECT max(id) FROM trial WHERE source = 'validate' GROUP BY hypothesis) ORDER BY id
                """).map(Self.trial)
        }
    }

    static func run(_ row: SQLRow) -> ResearchRun {
        let seed: Int64 = row["seed"]
        return ResearchRun(id: row["id"], uid: row["uid"], state: ResearchRun.State(rawValue: row["state"]) ?? .failed, provider: row["provider"],
                           model: row["model"], seed: UInt64(bitPattern: seed), settings: decodeSettings(row["settings"]),
                           maxIterations: row["max_iterations"], iteration: row["iteration"], stage: row["stage"], current: row["current"],
                           hypotheses: row["hypotheses"], trials: row["trials"], validated: row["validated"], duplicates: row["duplicates"],
                           consecutiveFailures: row["consecutive_failures"], bestHypothesis: row["best_hypothesis"],
                           bestTestSharpe: row["best_test_sharpe"], elapsedSeconds: row["elapsed_s"], spendUSD: row["spend_usd"],
                           stopReason: row["stop_reason"], host: row["host"], pid: row["pid"], startedAt: row["started_at"],
                           updatedAt: row["updated_at"], finishedAt: row["finished_at"])
    }

    static func step(_ row: SQLRow) -> ResearchStep {
        let passed: Int? = row["passed"]
        return ResearchStep(run: row["run"], iteration: row["iteration"], attempt: row["attempt"],
                            outcome: ResearchStep.Outcome(rawValue: row["outcome"]) ?? .error,
                            action: ResearchStep.Action(rawValue: row["action"]) ?? .new, hypothesis: row["hypothesis"],
                            parent: row["parent"], family: row["family"], category: row["category"], template: row["template"],
                            fingerprint: row["fingerprint"], stage: row["stage"], passed: passed.map { $0 == 1 },
                            reasonCode: row["reason_code"], feedback: row["feedback"], metrics: JSONNumbers.decode(row["metrics"]),
                            score: row["score"], testSharpe: row["test_sharpe"],
                            trials: row["trials"], strategy: row["strategy"], durationSeconds: row["duration_s"], createdAt: row["created_at"])
    }

    static func encodeSettings(_ settings: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeSettings(_ text: String) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
    }

    static func processAlive(_ pid: Int) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }
}
