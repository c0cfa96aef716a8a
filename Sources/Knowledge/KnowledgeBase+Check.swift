import Foundation
import DurableFiles

extension KnowledgeBase {
    /// What `kb check` found.
    public struct CheckReport: Sendable, Codable {
        public struct Finding: Sendable, Codable, Equatable {
            public enum Severity: String, Sendable, Codable { case error, warning }
            /// `integrity`, `foreign_key`, `search_index`, `interrupted`, `foreign_file`, `leftover`,
            /// `missing_file`, `modified_file`.
            public let kind: String
            public let severity: Severity
            /// The id or path it is about.
            public let subject: String
            public let message: String
            public let repaired: Bool
        }

        public let path: String
        public let schema: [String]
        public let hypotheses: Int
        public let trials: Int
        public let findings: [Finding]

        /// No error is left unrepaired.
        public var ok: Bool { !findings.contains { $0.severity == .error && !$0.repaired } }
    }

    /// Checks the database (SQLite's integrity and foreign-key checks, the search indexes) and
    /// that rows and files agree. With `repair`, rebuilds the search indexes, finishes recordings
    /// a crash interrupted (see ``reserve(_:slug:record:in:text:)``) and removes temporary files of
    /// killed writes; it never deletes a script.
    public func check(repair: Bool = false) throws(KnowledgeError) -> CheckReport {
        var findings: [CheckReport.Finding] = []
        func add(_ kind: String, _ severity: CheckReport.Finding.Severity, _ subject: String, _ message: String, repaired: Bool = false) {
            findings.append(.init(kind: kind, severity: severity, subject: subject, message: message, repaired: repaired))
        }

        // PostgreSQL checks pages and foreign keys as it writes them; SQLite is asked.
        let integrity = try read { db in db.dialect == .sqlite ? try String.fetchAll(db, sql: "PRAGMA integrity_check") : ["ok"] }
        if integrity != ["ok"] {
            for line in integrity.prefix(20) { add("integrity", .error, path, line) }
            // Damaged pages make everything below unreliable.
            return CheckReport(path: path, schema: (try? schemaVersion()) ?? [], hypotheses: 0, trials: 0, findings: findings)
        }
        let foreignKeys = try read { db in db.dialect == .sqlite ? try SQLRow.fetchAll(db, sql: "PRAGMA foreign_key_check") : [] }
        for row in foreignKeys.prefix(20) {
            let table: String = row["table"]
            let rowid: Int64? = row["rowid"]
            add("foreign_key", .error, "\(table) row \(rowid ?? 0)", "refers to a \(row["parent"] as String? ?? "?") row that does not exist")
        }

        // The search indexes: FTS5's own check, and one entry per hypothesis.
        // FTS5's check is spelled as an INSERT, so it needs a write transaction (it changes nothing).
        let canWrite = self.canWrite
        // FTS5's check compares every row, so the trials waiting for their batch are indexed
        // first; on a full disk that cannot be written, and trial_fts goes unchecked.
        var caughtUp = canWrite
        if canWrite, !isShared {
            do { try write { db in try Self.indexFailures(db, minimumBatch: 1) } } catch .diskFull { caughtUp = false }
        }
        func inspectIndexes(_ db: any SQLDatabase) throws -> String? {
            guard db.dialect == .sqlite else { return nil }   // PostgreSQL's indexes are over the rows themselves
            for table in caughtUp ? ["hypothesis_fts", "trial_fts"] : ["hypothesis_fts"] where canWrite {
                do {
                    try db.execute(sql: "INSERT INTO \(table)(\(table)) VALUES ('integrity-check')")
                } catch {
                    return "\(table): \(Self.message(error))"
                }
            }
            let indexed = try Int.fetchOne(db, sql: "SELECT count(*) FROM hypothesis_fts") ?? 0
            let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM hypothesis") ?? 0
            return indexed == rows ? nil : "hypothesis_fts has \(indexed) entries for \(rows) hypotheses"
        }
        let indexProblem = canWrite ? try write(inspectIndexes) : try read(inspectIndexes)
        if let indexProblem {
            if repair, canWrite {
                try rebuildSearchIndexes()
                add("search_index", .error, "search", indexProblem + "; rebuilt", repaired: true)
            } else {
                add("search_index", .error, "search", indexProblem + " (kb check --repair rebuilds it)")
            }
        }

        // Rows against files.
        let hypotheses = try read { db in try SQLRow.fetchAll(db, sql: "SELECT * FROM hypothesis ORDER BY number").map { try Self.hypothesis($0, db) } }
        let strategies = try read { db in try SQLRow.fetchAll(db, sql: "SELECT * FROM strategy ORDER BY number").map(Self.strategy) }
        let unstored = try unstoredScripts()
        // Each script twice: the file here, and the copy in the database that other machines read.
        let recorded = hypotheses.map { ($0.id, $0.scriptPath, $0.scriptSHA256, "was edited after it was recorded; its trials ran the original") }
            + strategies.map { ($0.id, $0.filePath, $0.fileSHA256, "was edited after promotion") }
        for (id, stored, sha, edited) in recorded {
            let file = files.resolve(stored)
            let copy = unstored.contains(stored) ? nil : try storedScript(stored)
            if let copy, ScriptFiles.sha256(copy) != sha {
                add("stored_script", .error, id, "the database's copy of \(stored) does not match its recorded sha256")
            }
            let hash = ScriptFiles.sha256(ofFile: file)
            if copy == nil {
                if hash == sha, repair, canWrite, let text = try? String(contentsOfFile: file, encoding: .utf8) {
                    try write { db in try Self.storeScript(path: stored, sha256: sha, text: text, stamp: Timestamp.iso(now()), in: db) }
                    add("unstored_script", .warning, id, "\(stored) had no copy in the database; stored now", repaired: true)
                } else if hash == sha {
                    add("unstored_script", .warning, id, "\(stored) has no copy in the database (kb check --repair stores it)")
                }
            }
            guard let hash else {
                if let copy, ScriptFiles.sha256(copy) == sha {
                    if repair, (try? ScriptFiles.writeAtomically(copy, to: file)) != nil {
                        add("missing_file", .warning, id, "\(stored) was not here; restored from the knowledge base", repaired: true)
                    } else {
                        add("missing_file", .warning, id, "\(stored) is not here; the knowledge base keeps it (kb check --repair restores it)")
                    }
                } else {
                    add("missing_file", .error, id, "\(stored) is gone; the row keeps its sha256 \(sha.prefix(12))…")
                }
                continue
            }
            if hash != sha { add("modified_file", .warning, id, "\(stored) \(edited)") }
        }

        // Interrupted recordings: a reservation with its file is finished, one without is cleared.
        let pending = try read { db in try SQLRow.fetchAll(db, sql: "SELECT * FROM pending_script ORDER BY kind, number") }
        var reserved: Set<String> = []
        for row in pending {
            let kind = ScriptKind(rawValue: row["kind"]) ?? .hypothesis
            let number: Int = row["number"]
            let stored: String = row["path"]
            let sha: String = row["sha256"]
            let id = ScriptFiles.identifier(kind.prefix, number)
            let reservation = Reservation(kind: kind, number: number, path: files.resolve(stored))
            reserved.insert(reservation.path)
            let record = (try? JSONSerialization.jsonObject(with: Data((row["record"] as String).utf8))) as? [String: Any] ?? [:]
            // On a shared knowledge base a reservation may be a recording in progress, here or on
            // another machine (whose file this one cannot see): left to its writer unless it is
            // this machine's and older than any recording takes.
            if isShared {
                let host = record["host"] as? String
                let age = Timestamp.parse(row["created_at"] as String).map { now().timeIntervalSince($0) } ?? .infinity
                if host != ProcessInfo.processInfo.hostName || age < Self.reservationGrace {
                    add("interrupted", .warning, id, "reserved \(Int(age)) s ago by \(host ?? "another machine"): a recording in progress "
                        + "there, or one its machine's kb check --repair finishes; left alone")
                    continue
                }
            }
            let complete = ScriptFiles.sha256(ofFile: reservation.path) == sha
            switch (complete, repair && canWrite) {
            case (true, true):
                let text = (try? String(contentsOfFile: reservation.path, encoding: .utf8)) ?? ""
                try write { db in
                    if kind == .hypothesis {
                        try Self.insertHypothesisRow(number: number, record: record, path: stored, sha256: sha, text: text, in: db)
                    } else {
                        try Self.insertStrategyRow(number: number, record: record, path: stored, sha256: sha, text: text, in: db)
                    }
                    try Self.fulfil(reservation, in: db)
                }
                add("interrupted", .error, id, "\(stored) was written but its row was not; recorded now", repaired: true)
            case (true, false):
                add("interrupted", .error, id, "\(stored) was written but its row was not (kb check --repair records it)")
            case (false, true):
                try write { db in try Self.fulfil(reservation, in: db) }
                add("interrupted", .warning, id, "a recording stopped before its script was written; its reservation is cleared",
                    repaired: true)
            case (false, false):
                add("interrupted", .warning, id, "a recording stopped before its script was written (kb check --repair clears it)")
            }
        }

        // Files with neither row nor reservation were never this knowledge base's (another
        // knowledge base sharing the folder, or added by hand): reported, never adopted.
        let recordedPaths = Set(hypotheses.map { files.resolve($0.scriptPath) } + strategies.map { files.resolve($0.filePath) })
        for kind in [ScriptKind.hypothesis, .strategy] {
            for (_, file) in files.numberedFiles(prefix: kind.prefix, in: kind.directory(files)).sorted(by: { $0.key < $1.key })
            where !recordedPaths.contains(file) && !reserved.contains(file) {
                add("foreign_file", .warning, files.stored(file), "not recorded in this knowledge base; left alone")
            }
            // Temporary files of a write that was killed before its rename.
            let directory = kind.directory(files)
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() where AtomicFile.isLeftover(name) {
                let path = (directory as NSString).appendingPathComponent(name)
                if repair, (try? FileManager.default.removeItem(atPath: path)) != nil {
                    add("leftover", .warning, files.stored(path), "temporary file of an interrupted write; removed", repaired: true)
                } else {
                    add("leftover", .warning, files.stored(path), "temporary file of an interrupted write (kb check --repair removes it)")
                }
            }
        }

        let counts = try read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM hypothesis") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM trial") ?? 0)
        }
        return CheckReport(path: path, schema: try schemaVersion(), hypotheses: counts.0, trials: counts.1, findings: findings)
    }

    /// How old a reservation of this machine must be before `kb check --repair` on a shared
    /// knowledge base takes it for a crashed recording rather than one in progress.
    static let reservationGrace: TimeInterval = 600

    /// Rebuilds both full-text indexes from the tables.
    func rebuildSearchIndexes() throws(KnowledgeError) {
        try write { db in
            guard db.dialect == .sqlite else { return }
            try db.execute(sql: "DELETE FROM hypothesis_fts")
            try db.execute(sql: """
                INSERT INTO hypothesis_fts (rowid, name, rationale, tags)
                SELECT number, name, rationale, replace(tags, ',', ' ') FROM hypothesis
                """)
            try db.execute(sql: "INSERT INTO trial_fts(trial_fts) VALUES ('rebuild')")
            try db.execute(sql: """
                UPDATE search_progress SET indexed_through = (SELECT coalesce(max(id), 0) FROM trial) WHERE name = 'trial_fts'
                """)
        }
    }
}
