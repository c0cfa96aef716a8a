import Foundation

/// A research worker: one process working on one run's items.
public struct ResearchWorker: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case working, finished, stopped, failed
    }

    /// `host:pid:xxxx`, unique across machines and restarts.
    public let id: String
    public let run: String
    public let host: String
    public let pid: Int
    public let state: State
    /// The iteration it holds now.
    public let iteration: Int?
    public let itemsDone: Int
    /// Epoch seconds of the database's clock.
    public let startedAt: Double
    public let heartbeatAt: Double
    public let stoppedAt: Double?
    public let note: String?
}

/// One iteration of a run, as workers see it.
public struct WorkClaim: Sendable, Equatable {
    public let run: String
    public let iteration: Int
    /// The previous holder's heartbeat had gone quiet past the grace period.
    public let takenOverFrom: String?
}

/// Where a run's work stands.
public struct WorkStatus: Sendable, Equatable, Codable {
    public var pending = 0
    public var claimed = 0
    public var done = 0
    public var cancelled = 0
    /// Claims taken over from a worker that stopped heartbeating.
    public var takeovers = 0
    public var workers: [ResearchWorker] = []
    /// Epoch seconds (the database's clock) now, and of the first claim and the last finish.
    public var now: Double = 0
    public var firstClaim: Double?
    public var lastFinish: Double?

    public var total: Int { pending + claimed + done + cancelled }
    /// Nothing left to claim or finish.
    public var isComplete: Bool { pending == 0 && claimed == 0 }
    /// Iterations finished per minute since the first claim.
    public var perMinute: Double? {
        guard let first = firstClaim, let last = lastFinish, last > first, done > 0 else { return nil }
        return Double(done) / (last - first) * 60
    }
}

/// Many workers on one run (DESIGN.md section 11): the run's iterations are work items that
/// workers claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so claims never wait on each other),
/// heartbeat while they work, and finish in the same transaction as the iteration's step. A
/// claim whose heartbeat is older than the grace period is taken over by the next worker to ask
/// (counted); the trials its first holder recorded stay, and the taker's trials carry the same
/// uids where it repeats the same work, so nothing is counted twice.
extension KnowledgeBase {
    /// Adds the run's iterations `range` as pending items (those already there stay as they are).
    public func planWork(run: String, iterations range: Range<Int>) throws(KnowledgeError) {
        let id = Self.canonicalID(run, prefix: "R")
        try write(serialized: false) { db in
            for i in range {
                try db.execute(sql: "INSERT INTO work_item (run, iteration, state) VALUES (?, ?, 'pending') ON CONFLICT DO NOTHING",
                               arguments: [id, i])
            }
        }
    }

    /// True when the run's iterations are work items (a `--workers` or `--distributed` run).
    public func hasWork(run: String) throws(KnowledgeError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM work_item WHERE run = ?)",
                              arguments: [Self.canonicalID(run, prefix: "R")]) ?? false
        }
    }

    /// Registers this process as a worker of `run`; returns its id.
    public func registerWorker(run: String) throws(KnowledgeError) -> String {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let id = "\(host):\(pid):\(UUID().uuidString.prefix(4).lowercased())"
        try write(serialized: false) { db in
            try db.execute(sql: """
                INSERT INTO research_worker (id, run, host, pid, state, started_at, heartbeat_at)
                VALUES (?, ?, ?, ?, 'working', \(db.dialect.now), \(db.dialect.now))
                """, arguments: [id, Self.canonicalID(run, prefix: "R"), host, pid])
            // A run every worker had left (Ctrl-C) is taken up again.
            try db.execute(sql: """
                UPDATE research_run SET state = 'running', stop_reason = NULL, finished_at = NULL WHERE id = ? AND state = 'interrupted'
                """, arguments: [Self.canonicalID(run, prefix: "R")])
        }
        return id
    }

    /// Claims the run's next pending iteration, or one whose holder has been quiet for longer
    /// than `grace` seconds; nil when there is nothing left to claim.
    public func claimWork(run: String, worker: String, grace: Double) throws(KnowledgeError) -> WorkClaim? {
        let id = Self.canonicalID(run, prefix: "R")
        return try write(serialized: false) { db -> WorkClaim? in
            let skipLocked = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            guard let row = try SQLRow.fetchOne(db, sql: """
                SELECT iteration, state, worker FROM work_item
                WHERE run = ? AND (state = 'pending' OR (state = 'claimed' AND heartbeat_at < \(db.dialect.now) - ?))
                ORDER BY iteration LIMIT 1\(skipLocked)
                """, arguments: [id, grace]) else { return nil }
            let iteration: Int = row["iteration"]
            let state: String = row["state"]
            let previous: String? = state == "claimed" ? row["worker"] : nil
            try db.execute(sql: """
                UPDATE work_item SET state = 'claimed', worker = ?, claims = claims + 1, takeovers = takeovers + ?,
                       claimed_at = \(db.dialect.now), heartbeat_at = \(db.dialect.now)
                WHERE run = ? AND iteration = ?
                """, arguments: [worker, previous == nil ? 0 : 1, id, iteration])
            try db.execute(sql: "UPDATE research_worker SET iteration = ?, heartbeat_at = \(db.dialect.now), state = 'working' WHERE id = ?",
                           arguments: [iteration, worker])
            return WorkClaim(run: id, iteration: iteration, takenOverFrom: previous)
        }
    }

    /// Says the worker is alive, and so is its claim. False when the claim was taken over
    /// meanwhile (the worker was quiet too long): it should drop that iteration.
    @discardableResult
    public func heartbeat(worker: String, claim: WorkClaim?) throws(KnowledgeError) -> Bool {
        try write(serialized: false) { db -> Bool in
            try db.execute(sql: "UPDATE research_worker SET heartbeat_at = \(db.dialect.now) WHERE id = ?", arguments: [worker])
            guard let claim else { return true }
            return try db.execute(sql: """
                UPDATE work_item SET heartbeat_at = \(db.dialect.now) WHERE run = ? AND iteration = ? AND worker = ? AND state = 'claimed'
                """, arguments: [claim.run, claim.iteration, worker]) == 1
        }
    }

    /// Gives a claim back (Ctrl-C on a worker): the next worker takes it at once.
    public func releaseWork(_ claim: WorkClaim, worker: String) throws(KnowledgeError) {
        try write(serialized: false) { db in
            try db.execute(sql: """
                UPDATE work_item SET state = 'pending', worker = NULL WHERE run = ? AND iteration = ? AND worker = ? AND state = 'claimed'
                """, arguments: [claim.run, claim.iteration, worker])
            try db.execute(sql: "UPDATE research_worker SET iteration = NULL WHERE id = ?", arguments: [worker])
        }
    }

    /// Ends an iteration of a worked run in one transaction: its step, the release of its script
    /// claim, the item done, and the run's counts. The run's iteration count is its items done.
    /// - Returns: false, recording nothing, when the claim is no longer this worker's (it was
    ///   quiet past the grace period and another worker took the iteration over): that worker's
    ///   step is the iteration's, and the trials this one recorded stay counted.
    @discardableResult
    public func finishWork(_ claim: WorkClaim, worker: String, step: ResearchStep?, progress p: ResearchProgress) throws(KnowledgeError) -> Bool {
        let stamp = Timestamp.iso(now())
        return try write { db -> Bool in
            let held = try Bool.fetchOne(db, sql: """
                SELECT 1 FROM work_item WHERE run = ? AND iteration = ? AND worker = ? AND state = 'claimed'
                """, arguments: [claim.run, claim.iteration, worker]) ?? false
            guard held else { return false }
            if let step { try Self.insert(step, stamp: stamp, db) }
            try db.execute(sql: "DELETE FROM research_step WHERE run = ? AND iteration = ? AND outcome = 'running'",
                           arguments: [claim.run, claim.iteration])
            try db.execute(sql: """
                UPDATE work_item SET state = 'done', finished_at = \(db.dialect.now), worker = ? WHERE run = ? AND iteration = ?
                """, arguments: [worker, claim.run, claim.iteration])
            try db.execute(sql: "UPDATE research_worker SET items_done = items_done + 1, iteration = NULL, heartbeat_at = \(db.dialect.now) WHERE id = ?",
                           arguments: [worker])
            // Every worker's steps, counted here: a worker's own view lags the others' commits.
            var progress = p
            progress.iteration = try Int.fetchOne(db, sql: "SELECT count(*) FROM work_item WHERE run = ? AND state = 'done'",
                                                  arguments: [claim.run]) ?? p.iteration
            let evaluated = "outcome IN ('evaluated', 'invalid')"
            let validated = "\(evaluated) AND passed = 1 AND stage = 'holdout'"
            if let counts = try SQLRow.fetchOne(db, sql: """
                SELECT coalesce(sum(CASE WHEN \(evaluated) THEN 1 ELSE 0 END), 0) AS hypotheses,
                       coalesce(sum(CASE WHEN \(evaluated) THEN trials ELSE 0 END), 0) AS trials,
                       coalesce(sum(CASE WHEN \(validated) THEN 1 ELSE 0 END), 0) AS validated,
                       coalesce(sum(CASE WHEN outcome = 'duplicate' THEN 1 ELSE 0 END), 0) AS duplicates
                FROM research_step WHERE run = ?
                """, arguments: [claim.run]) {
                progress.hypotheses = counts["hypotheses"]
                progress.trials = counts["trials"]
                progress.validated = counts["validated"]
                progress.duplicates = counts["duplicates"]
            }
            if let best = try SQLRow.fetchOne(db, sql: """
                SELECT hypothesis, test_sharpe FROM research_step WHERE run = ? AND \(validated) AND test_sharpe IS NOT NULL
                ORDER BY test_sharpe DESC LIMIT 1
                """, arguments: [claim.run]) {
                progress.bestHypothesis = best["hypothesis"]
                progress.bestTestSharpe = best["test_sharpe"]
            }
            try Self.update(claim.run, progress, stamp: stamp, db)
            return true
        }
    }

    /// Cancels what no worker has claimed (an early stop); returns how many.
    @discardableResult
    public func cancelPendingWork(run: String) throws(KnowledgeError) -> Int {
        try write(serialized: false) { db in
            try db.execute(sql: "UPDATE work_item SET state = 'cancelled' WHERE run = ? AND state = 'pending'",
                           arguments: [Self.canonicalID(run, prefix: "R")])
        }
    }

    /// Marks a worker done (`finished`: no work left; `stopped`: Ctrl-C; `failed`: an error).
    public func stopWorker(_ worker: String, state: ResearchWorker.State, note: String? = nil) throws(KnowledgeError) {
        try write(serialized: false) { db in
            try db.execute(sql: "UPDATE research_worker SET state = ?, note = ?, iteration = NULL, stopped_at = \(db.dialect.now) WHERE id = ?",
                           arguments: [state.rawValue, note, worker])
        }
    }

    /// The run's items by state, its workers (newest heartbeat first), and its pace.
    public func workStatus(run: String) throws(KnowledgeError) -> WorkStatus {
        let id = Self.canonicalID(run, prefix: "R")
        return try read { db in
            var status = WorkStatus()
            for row in try SQLRow.fetchAll(db, sql: "SELECT state, count(*) AS n FROM work_item WHERE run = ? GROUP BY state", arguments: [id]) {
                let n: Int = row["n"]
                switch row["state"] as String {
                case "pending": status.pending = n
                case "claimed": status.claimed = n
                case "done": status.done = n
                default: status.cancelled = n
                }
            }
            let summary = try SQLRow.fetchOne(db, sql: """
                SELECT coalesce(sum(takeovers), 0) AS takeovers, min(claimed_at) AS first, max(finished_at) AS last, \(db.dialect.now) AS now
                FROM work_item WHERE run = ?
                """, arguments: [id])
            status.takeovers = summary?["takeovers"] ?? 0
            status.firstClaim = summary?["first"]
            status.lastFinish = summary?["last"]
            status.now = summary?["now"] ?? 0
            status.workers = try SQLRow.fetchAll(db, sql: "SELECT * FROM research_worker WHERE run = ? ORDER BY heartbeat_at DESC",
                                                 arguments: [id]).map(Self.worker)
            return status
        }
    }

    /// The newest run with work left to claim (for `agent worker` without `--run`).
    public func runWithOpenWork(grace: Double) throws(KnowledgeError) -> String? {
        try read { db in
            try String.fetchOne(db, sql: """
                SELECT w.run FROM work_item w JOIN research_run r ON r.id = w.run
                WHERE r.state IN ('running', 'interrupted') AND (w.state = 'pending' OR (w.state = 'claimed' AND w.heartbeat_at < \(db.dialect.now) - ?))
                ORDER BY r.number DESC LIMIT 1
                """, arguments: [grace])
        }
    }

    static func worker(_ row: SQLRow) -> ResearchWorker {
        ResearchWorker(id: row["id"], run: row["run"], host: row["host"], pid: row["pid"],
                       state: ResearchWorker.State(rawValue: row["state"]) ?? .failed, iteration: row["iteration"],
                       itemsDone: row["items_done"], startedAt: row["started_at"], heartbeatAt: row["heartbeat_at"],
                       stoppedAt: row["stopped_at"], note: row["note"])
    }
}
