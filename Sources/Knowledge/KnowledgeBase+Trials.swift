import Foundation

/// The trial ledger: every configuration ever evaluated, passed or not. Its lifetime count is
/// what the deflated Sharpe ratio deflates by, so nothing is ever left out of it.
extension KnowledgeBase {
    /// Records one trial; returns its row id.
    @discardableResult
    public func recordTrial(_ trial: TrialDraft) throws(KnowledgeError) -> Int64 {
        try recordTrials([trial])[0]
    }

    /// Records trials in one transaction: all of them or, on any failure, none.
    /// A trial whose `uid` is already recorded is skipped (its existing id is returned), which
    /// makes merging an export twice harmless.
    @discardableResult
    public func recordTrials(_ trials: [TrialDraft]) throws(KnowledgeError) -> [Int64] {
        try insertTrials(trials).ids
    }

    /// The trials' ids, and how many of them were new.
    func insertTrials(_ trials: [TrialDraft]) throws(KnowledgeError) -> (ids: [Int64], inserted: Int) {
        guard !trials.isEmpty else { return ([], 0) }
        let finished = Timestamp.iso(now())
        return try write { db in
            var families: [String: String] = [:]
            var rows: [SQLArguments] = []
            rows.reserveCapacity(trials.count)
            for t in trials {
                let family: String
                if let known = families[t.hypothesis] {
                    family = known
                } else {
                    guard let found = try String.fetchOne(db, sql: "SELECT family FROM hypothesis WHERE id = ?",
                                                          arguments: [t.hypothesis]) else {
                        throw KnowledgeError.invalid("trial for \(t.hypothesis): no such hypothesis")
                    }
                    families[t.hypothesis] = found
                    family = found
                }
                let sharpe = t.metrics["sharpe"].flatMap { $0.isFinite ? $0 : nil }
                rows.append([
                    t.uid, t.hypothesis, family, JSONNumbers.encode(t.parameters), t.data.symbols.joined(separator: ","),
                    t.data.interval, t.data.from, t.data.to, t.data.bars, t.data.hash, t.stage.rawValue, t.stage.rank,
                    t.passed, t.reasonCode, t.reasonMessage, JSONNumbers.encode(t.metrics), sharpe,
                    t.shortfall.flatMap { $0.isFinite ? $0 : nil }, t.seed.map { Int64(bitPattern: $0) },
                    t.durationSeconds, Timestamp.iso(t.startedAt), t.finishedAt.map(Timestamp.iso) ?? finished, t.source,
                ])
            }
            // SQLite: one cached statement per row, no round trip. PostgreSQL: many rows per
            // statement, since each statement is a round trip to the server.
            let perStatement = db.dialect == .postgres ? Self.trialsPerStatement : 1
            var newIDs: [String: Int64] = [:]
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + perStatement, rows.count)]
                var arguments: SQLArguments = []
                for row in chunk { arguments += row }
                // RETURNING names the new rows; a uid already recorded returns nothing.
                let placeholders = Array(repeating: "(" + Array(repeating: "?", count: 23).joined(separator: ", ") + ")", count: chunk.count)
                for row in try SQLRow.fetchAll(db, sql: """
                    INSERT INTO trial (uid, hypothesis, family, params, symbols, interval, data_from, data_to, bars, data_hash,
                                       stage, stage_rank, passed, reason_code, reason_message, metrics, sharpe, shortfall, seed,
                                       duration_s, started_at, finished_at, source)
                    VALUES \(placeholders.joined(separator: ", "))
                    ON CONFLICT(uid) DO NOTHING RETURNING id, uid
                    """, arguments: arguments) {
                    newIDs[row["uid"] as String] = row["id"] as Int64
                }
                start += chunk.count
            }
            var ids: [Int64] = []
            ids.reserveCapacity(trials.count)
            for t in trials {
                if let id = newIDs[t.uid] {
                    ids.append(id)
                } else {
                    ids.append(try Int64.fetchOne(db, sql: "SELECT id FROM trial WHERE uid = ?", arguments: [t.uid]) ?? 0)
                }
            }
            let inserted = newIDs.count
            try Self.indexFailures(db, minimumBatch: Self.failureIndexBatch)
            return (ids, inserted)
        }
    }

    /// Rows per INSERT on PostgreSQL: 23 values each, well under its 65,535 parameters.
    static let trialsPerStatement = 500

    /// Trials whose failure messages wait for the search index; searches read them directly.
    static let failureIndexBatch: Int64 = 256

    /// Adds the trials recorded since the last batch to `trial_fts`, when at least `minimumBatch`
    /// are waiting. Every row goes in, messages or not: SQLite 3.40's FTS5 integrity check
    /// expects an entry for each row of the content table.
    static func indexFailures(_ db: any SQLDatabase, minimumBatch: Int64) throws {
        // PostgreSQL's index over the messages is kept by the server as rows commit.
        guard db.dialect == .sqlite else { return }
        let through = try Int64.fetchOne(db, sql: "SELECT indexed_through FROM search_progress WHERE name = 'trial_fts'") ?? 0
        let last = try Int64.fetchOne(db, sql: "SELECT max(id) FROM trial") ?? 0
        guard last - through >= max(minimumBatch, 1) else { return }
        try db.execute(sql: """
            INSERT INTO trial_fts (rowid, reason_code, reason_message)
            SELECT id, reason_code, reason_message FROM trial WHERE id > ? AND id <= ?
            """, arguments: [through, last])
        try db.execute(sql: "UPDATE search_progress SET indexed_through = ? WHERE name = 'trial_fts'", arguments: [last])
    }

    /// Every trial ever recorded, or those of one hypothesis family (the lineage root's id).
    public func trialCount(family: String? = nil) throws(KnowledgeError) -> Int {
        try read { db in
            if let family {
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM trial WHERE family = ?",
                                        arguments: [Self.canonicalID(family, prefix: "H")]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM trial") ?? 0
        }
    }

    /// The trial with this row id.
    public func trial(_ id: Int64) throws(KnowledgeError) -> Trial {
        try read { db in
            guard let row = try SQLRow.fetchOne(db, sql: "SELECT * FROM trial WHERE id = ?", arguments: [id]) else {
                throw KnowledgeError.notFound("trial \(id): no such trial")
            }
            return Self.trial(row)
        }
    }

    /// A hypothesis's trials, newest first, optionally of one source (`validate`, `optimizer`,
    /// `run`), outcome and stage reached.
    public func trials(of hypothesisID: String, source: String? = nil, passed: Bool? = nil, stage: TrialStage? = nil,
                       limit: Int = 100) throws(KnowledgeError) -> [Trial] {
        try read { db in
            var sql = "SELECT * FROM trial WHERE hypothesis = ?"
            var arguments: SQLArguments = [Self.canonicalID(hypothesisID, prefix: "H")]
            if let source {
                sql += " AND source = ?"
                arguments += [source]
            }
            if let passed {
                sql += " AND passed = ?"
                arguments += [passed]
            }
            if let stage {
                sql += " AND stage = ?"
                arguments += [stage.rawValue]
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [limit]
            return try SQLRow.fetchAll(db, sql: sql, arguments: arguments).map(Self.trial)
        }
    }

    /// Failed trials closest to passing: furthest stage reached first, then the smallest
    /// shortfall on the gate that stopped them. What refinement starts from.
    /// - Parameter codes: only failures with one of these reason codes (the research agent
    ///   passes the in-sample gates' codes, so its proposer never sees a test result).
    ///   - throughStage: only trials stopped at this stage or before (an optimizer trial's sandbox
    ///     error in a rolling window would otherwise tell that the walk-forward test passed).
    public func nearMisses(limit: Int = 10, family: String? = nil, codes: Set<String>? = nil,
                           throughStage: TrialStage? = nil) throws(KnowledgeError) -> [Trial] {
        try read { db in
            var sql = "SELECT * FROM trial WHERE passed = 0"
            var arguments: SQLArguments = []
            if let throughStage {
                sql += " AND stage_rank <= ?"
                arguments += [throughStage.rank]
            }
            if let codes {
                sql += " AND reason_code IN (\(codes.map { _ in "?" }.joined(separator: ",")))"
                arguments += SQLArguments(codes.sorted())
            }
            if let family {
                sql += " AND family = ?"
                arguments += [Self.canonicalID(family, prefix: "H")]
            }
            sql += " ORDER BY stage_rank DESC, shortfall IS NULL, shortfall ASC, sharpe DESC NULLS LAST, id DESC LIMIT ?"
            arguments += [limit]
            return try SQLRow.fetchAll(db, sql: sql, arguments: arguments).map(Self.trial)
        }
    }

    /// One failure cause and how often it stopped a trial.
    public struct FailureReason: Sendable, Equatable, Codable {
        public let code: String
        public let count: Int
        /// The most recent message with this code.
        public let example: String
        /// The hypothesis that example came from.
        public let exampleHypothesis: String
    }

    /// Failure causes, most frequent first.
    public func failureReasons(limit: Int = 10, codes: Set<String>? = nil, throughStage: TrialStage? = nil) throws(KnowledgeError) -> [FailureReason] {
        try read { db in
            var filter = codes.map { " AND reason_code IN (\($0.map { _ in "?" }.joined(separator: ",")))" } ?? ""
            var arguments = SQLArguments((codes ?? []).sorted())
            if let throughStage {
                filter += " AND stage_rank <= ?"
                arguments += [throughStage.rank]
            }
            arguments += [limit]
            return try SQLRow.fetchAll(db, sql: """
                SELECT reason_code, count(*) AS n, max(id) AS last FROM trial
                WHERE passed = 0 AND reason_code IS NOT NULL\(filter)
                GROUP BY reason_code ORDER BY n DESC, reason_code LIMIT ?
                """, arguments: arguments).map { row in
                let last: Int64 = row["last"]
                let example = try SQLRow.fetchOne(db, sql: "SELECT reason_message, hypothesis FROM trial WHERE id = ?", arguments: [last])
                return FailureReason(code: row["reason_code"], count: row["n"],
                                     example: example?["reason_message"] ?? "", exampleHypothesis: example?["hypothesis"] ?? "")
            }
        }
    }

    /// "Learn from failures": a short text for the model's prompt, naming what failed most and
    /// the nearest misses, so it does not propose the same dead ends again.
    /// - Parameter codes: only these reason codes (see ``nearMisses(limit:family:codes:)``).
    public func failureSummary(reasons: Int = 8, nearMisses count: Int = 5, codes: Set<String>? = nil,
                               throughStage: TrialStage? = nil) throws(KnowledgeError) -> String {
        let total = try trialCount()
        guard total > 0 else { return "No trials recorded yet." }
        let reasons = try failureReasons(limit: reasons, codes: codes, throughStage: throughStage)
        let misses = try nearMisses(limit: count, codes: codes, throughStage: throughStage)
        let names = try read { db in
            try Dictionary(SQLRow.fetchAll(db, sql: "SELECT id, name FROM hypothesis").map { ($0["id"] as String, $0["name"] as String) },
                           uniquingKeysWith: { a, _ in a })
        }
        var lines = ["\(total) trials recorded so far. Most frequent reasons for failing:"]
        for r in reasons {
            let name = names[r.exampleHypothesis].map { " \"\($0)\"" } ?? ""
            lines.append("- \(r.code) (\(r.count) trials), e.g. \(r.exampleHypothesis)\(name): \(r.example)")
        }
        if !misses.isEmpty {
            lines.append("Closest to passing:")
            for t in misses {
                let name = names[t.hypothesis].map { " \"\($0)\"" } ?? ""
                let params = t.parameters.keys.sorted().map { "\($0)=\(JSONNumbers.format(t.parameters[$0]!))" }.joined(separator: " ")
                lines.append("- \(t.hypothesis)\(name) \(params.isEmpty ? "" : "[\(params)] ")reached \(t.stage.rawValue), "
                             + "stopped by \(t.reasonCode ?? "?"): \(t.reasonMessage ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func trial(_ row: SQLRow) -> Trial {
        let symbols: String = row["symbols"]
        let passed: Int? = row["passed"]
        let seed: Int64? = row["seed"]
        return Trial(id: row["id"], uid: row["uid"], hypothesis: row["hypothesis"], family: row["family"],
                     parameters: JSONNumbers.decode(row["params"]),
                     data: DataSpan(symbols: symbols.split(separator: ",").map(String.init), interval: row["interval"],
                                    from: row["data_from"], to: row["data_to"], bars: row["bars"], hash: row["data_hash"]),
                     stage: TrialStage(rawValue: row["stage"]) ?? .sandbox, passed: passed.map { $0 == 1 },
                     reasonCode: row["reason_code"], reasonMessage: row["reason_message"],
                     metrics: JSONNumbers.decode(row["metrics"]), shortfall: row["shortfall"],
                     seed: seed.map { UInt64(bitPattern: $0) }, durationSeconds: row["duration_s"],
                     startedAt: row["started_at"], finishedAt: row["finished_at"], source: row["source"])
    }
}
