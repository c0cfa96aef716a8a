import Foundation
internal import GRDB

extension KnowledgeBase {
    /// What `kb check` found.
    public struct CheckReport: Sendable, Codable {
        public struct Finding: Sendable, Codable, Equatable {
            public enum Severity: String, Sendable, Codable { case error, warning }
            /// `integrity`, `foreign_key`, `search_index`, `orphan_file`, `missing_file`, `modified_file`.
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
    /// that rows and files agree. With `repair`, rebuilds the search indexes and adopts
    /// hypothesis files that lost their row in a crash (as `origin = recovered`); it never
    /// deletes anything.
    public func check(repair: Bool = false) throws(KnowledgeError) -> CheckReport {
        var findings: [CheckReport.Finding] = []
        func add(_ kind: String, _ severity: CheckReport.Finding.Severity, _ subject: String, _ message: String, repaired: Bool = false) {
            findings.append(.init(kind: kind, severity: severity, subject: subject, message: message, repaired: repaired))
        }

        let integrity = try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        if integrity != ["ok"] {
            for line in integrity.prefix(20) { add("integrity", .error, path, line) }
            // Damaged pages make everything below unreliable.
            return CheckReport(path: path, schema: (try? schemaVersion()) ?? [], hypotheses: 0, trials: 0, findings: findings)
        }
        let foreignKeys = try read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }
        for row in foreignKeys.prefix(20) {
            let table: String = row["table"]
            let rowid: Int64? = row["rowid"]
            add("foreign_key", .error, "\(table) row \(rowid ?? 0)", "refers to a \(row["parent"] as String? ?? "?") row that does not exist")
        }

        // The search indexes: FTS5's own check, and one entry per hypothesis.
        // FTS5's check is spelled as an INSERT, so it needs a write transaction (it changes nothing).
        let canWrite = writer != nil
        let indexProblem: String? = try (canWrite ? write : read) { db in
            if canWrite { try Self.indexFailures(db, minimumBatch: 1) }   // the check compares every row
            for table in ["hypothesis_fts", "trial_fts"] where canWrite {
                do {
                    try db.execute(sql: "INSERT INTO \(table)(\(table)) VALUES ('integrity-check')")
                } catch {
                    return "\(table): \((error as? DatabaseError)?.message ?? "\(error)")"
                }
            }
            let indexed = try Int.fetchOne(db, sql: "SELECT count(*) FROM hypothesis_fts") ?? 0
            let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM hypothesis") ?? 0
            return indexed == rows ? nil : "hypothesis_fts has \(indexed) entries for \(rows) hypotheses"
        }
        if let indexProblem {
            if repair, writer != nil {
                try rebuildSearchIndexes()
                add("search_index", .error, "search", indexProblem + "; rebuilt", repaired: true)
            } else {
                add("search_index", .error, "search", indexProblem + " (kb check --repair rebuilds it)")
            }
        }

        // Rows against files.
        let hypotheses = try read { db in try Row.fetchAll(db, sql: "SELECT * FROM hypothesis ORDER BY number").map { try Self.hypothesis($0, db) } }
        for h in hypotheses {
            let file = files.resolve(h.scriptPath)
            guard let hash = ScriptFiles.sha256(ofFile: file) else {
                add("missing_file", .error, h.id, "\(h.scriptPath) is gone; the row keeps its sha256 \(h.scriptSHA256.prefix(12))…")
                continue
            }
            if hash != h.scriptSHA256 {
                add("modified_file", .warning, h.id, "\(h.scriptPath) was edited after it was recorded; its trials ran the original")
            }
        }
        let strategies = try read { db in try Row.fetchAll(db, sql: "SELECT * FROM strategy ORDER BY number").map(Self.strategy) }
        for s in strategies {
            let file = files.resolve(s.filePath)
            guard let hash = ScriptFiles.sha256(ofFile: file) else {
                add("missing_file", .error, s.id, "\(s.filePath) is gone")
                continue
            }
            if hash != s.fileSHA256 { add("modified_file", .warning, s.id, "\(s.filePath) was edited after promotion") }
        }

        // Files without rows: what a crash between writing a file and committing its row leaves.
        let known = Set(hypotheses.compactMap { ScriptFiles.number(of: $0.id, prefix: "H") })
        let byHash = Dictionary(hypotheses.map { ($0.scriptSHA256, $0.id) }, uniquingKeysWith: { a, _ in a })
        for (number, file) in files.numberedFiles(prefix: "H", in: files.hypothesesDirectory).sorted(by: { $0.key < $1.key })
        where !known.contains(number) {
            let stored = files.stored(file)
            guard let text = FileManager.default.contents(atPath: file).flatMap({ String(data: $0, encoding: .utf8) }) else {
                add("orphan_file", .error, stored, "no row and not readable as text")
                continue
            }
            if let twin = byHash[ScriptFiles.sha256(text)] {
                add("orphan_file", .warning, stored, "no row; the same script is recorded as \(twin)")
            } else if repair, writer != nil {
                let id = try adopt(file: file, number: number, script: text)
                add("orphan_file", .error, stored, "no row; adopted as \(id)", repaired: true)
            } else {
                add("orphan_file", .error, stored, "no row (kb check --repair adopts it)")
            }
        }
        let knownStrategies = Set(strategies.compactMap { ScriptFiles.number(of: $0.id, prefix: "S") })
        for (number, file) in files.numberedFiles(prefix: "S", in: files.strategiesDirectory).sorted(by: { $0.key < $1.key })
        where !knownStrategies.contains(number) {
            add("orphan_file", .warning, files.stored(file), "looks like a promoted strategy but has no row (promotion was interrupted?)")
        }

        let counts = try read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM hypothesis") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM trial") ?? 0)
        }
        return CheckReport(path: path, schema: try schemaVersion(), hypotheses: counts.0, trials: counts.1, findings: findings)
    }

    /// Records a hypothesis file that has no row, under its own number.
    private func adopt(file: String, number: Int, script: String) throws(KnowledgeError) -> String {
        let id = ScriptFiles.identifier("H", number)
        let base = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let slug = base.split(separator: "-", maxSplits: 1).dropFirst().first.map(String.init) ?? "untitled"
        let name = slug.replacingOccurrences(of: "-", with: " ")
        let stamp = Timestamp.iso(now())
        let stored = files.stored(file)
        try write { db in
            try db.execute(sql: """
                INSERT INTO hypothesis (number, id, name, slug, rationale, tags, parent, family, status, origin,
                                        script_path, script_sha256, created_at, updated_at)
                VALUES (?, ?, ?, ?, '', '', NULL, ?, 'proposed', 'recovered', ?, ?, ?, ?)
                """, arguments: [number, id, name, slug, id, stored, ScriptFiles.sha256(script), stamp, stamp])
            try db.execute(sql: "INSERT INTO hypothesis_fts (rowid, name, rationale, tags) VALUES (?, ?, '', '')",
                           arguments: [number, name])
        }
        return id
    }

    /// Rebuilds both full-text indexes from the tables.
    func rebuildSearchIndexes() throws(KnowledgeError) {
        try write { db in
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
