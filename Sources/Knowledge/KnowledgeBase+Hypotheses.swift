import Foundation

extension KnowledgeBase {
    /// Records a hypothesis and saves its script as `hypotheses/H0NN-<slug>.lua`.
    ///
    /// A script already recorded (same sha256) returns the existing hypothesis: running the same
    /// file twice adds trials, not hypotheses. The number is reserved, the file written, then the
    /// row committed (see ``reserve(_:slug:record:in:text:)``), so a crash leaves nothing that
    /// `kb check --repair` cannot finish, and no number is handed out twice.
    public func recordHypothesis(_ draft: HypothesisDraft) throws(KnowledgeError) -> Hypothesis {
        let name = draft.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw .invalid("a hypothesis needs a name") }
        let hash = ScriptFiles.sha256(draft.script)
        let tags = Self.normalizedTags(draft.tags)
        let stamp = Timestamp.iso(now())

        enum Step { case existing(Hypothesis), reserved(Reservation, [String: Any]) }
        let step: Step = try write { db in
            if let existing = try Self.hypothesis(scriptSHA256: hash, db) { return .existing(existing) }
            var family: String? = nil
            if let parent = draft.parent {
                family = try String.fetchOne(db, sql: "SELECT family FROM hypothesis WHERE id = ?", arguments: [parent])
                guard family != nil else { throw KnowledgeError.invalid("parent \(parent) is not in the knowledge base") }
            }
            var record: [String: Any] = ["name": name, "slug": ScriptFiles.slug(name), "rationale": draft.rationale,
                                         "tags": tags, "origin": draft.origin, "created_at": stamp]
            if let parent = draft.parent { record["parent"] = parent }
            if let family { record["family"] = family }
            let (reservation, _) = try reserve(.hypothesis, slug: ScriptFiles.slug(name), record: record, in: db) { _ in draft.script }
            return .reserved(reservation, record)
        }
        guard case .reserved(let reservation, let record) = step else {
            if case .existing(let h) = step { return h }
            fatalError("unreachable")
        }
        try writeReserved(reservation, text: draft.script)
        let files = self.files
        do {
            let (hypothesis, duplicate) = try write { db -> (Hypothesis, Bool) in
                // Another process may have recorded the same script meanwhile: one id per script.
                if let existing = try Self.hypothesis(scriptSHA256: hash, db) {
                    try Self.fulfil(reservation, in: db)
                    return (existing, true)
                }
                try Self.insertHypothesisRow(number: reservation.number, record: record, path: files.stored(reservation.path),
                                             sha256: hash, text: draft.script, in: db)
                try Self.fulfil(reservation, in: db)
                return (try Self.hypothesis(SQLRow.fetchOne(db, sql: "SELECT * FROM hypothesis WHERE number = ?",
                                                         arguments: [reservation.number])!, db), false)
            }
            if duplicate { try? FileManager.default.removeItem(atPath: reservation.path) }
            return hypothesis
        } catch {
            // The row did not commit: neither the file nor the reservation may outlive it.
            try? FileManager.default.removeItem(atPath: reservation.path)
            release(reservation)
            throw error
        }
    }

    /// The row, tags and search entry of a hypothesis, from the fields reserved for it.
    static func insertHypothesisRow(number: Int, record: [String: Any], path: String, sha256: String, text: String,
                                    in db: any SQLDatabase) throws {
        let id = ScriptFiles.identifier("H", number)
        let name = record["name"] as? String ?? "untitled"
        let rationale = record["rationale"] as? String ?? ""
        let tags = record["tags"] as? [String] ?? []
        let stamp = record["created_at"] as? String ?? ""
        try db.execute(sql: """
            INSERT INTO hypothesis (number, id, name, slug, rationale, tags, parent, family, status, origin,
                                    script_path, script_sha256, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?)
            """, arguments: [number, id, name, record["slug"] as? String ?? ScriptFiles.slug(name), rationale,
                             tags.joined(separator: ","), record["parent"] as? String, record["family"] as? String ?? id,
                             record["origin"] as? String ?? "user", path, sha256, stamp, stamp])
        for tag in tags {
            try db.execute(sql: "INSERT INTO hypothesis_tag (hypothesis, tag) VALUES (?, ?)", arguments: [id, tag])
        }
        try storeScript(path: path, sha256: sha256, text: text, stamp: stamp, in: db)
        // PostgreSQL indexes the row itself (an expression index); SQLite keeps a separate FTS5 table.
        if db.dialect == .sqlite {
            try db.execute(sql: "INSERT INTO hypothesis_fts (rowid, name, rationale, tags) VALUES (?, ?, ?, ?)",
                           arguments: [number, name, rationale, tags.joined(separator: " ")])
        }
    }

    static func hypothesis(scriptSHA256 hash: String, _ db: any SQLDatabase) throws -> Hypothesis? {
        try SQLRow.fetchOne(db, sql: "SELECT * FROM hypothesis WHERE script_sha256 = ? ORDER BY number LIMIT 1", arguments: [hash])
            .map { try Self.hypothesis($0, db) }
    }

    /// Moves a hypothesis to `status`.
    public func setStatus(_ id: String, _ status: HypothesisStatus) throws(KnowledgeError) {
        let stamp = Timestamp.iso(now())
        try write { db in
            let changed = try db.execute(sql: "UPDATE hypothesis SET status = ?, updated_at = ? WHERE id = ?",
                                         arguments: [status.rawValue, stamp, id])
            if changed == 0 { throw KnowledgeError.notFound("\(id): no such hypothesis") }
        }
    }

    /// The hypothesis with this id (H003; h3 and 3 work too).
    public func hypothesis(_ id: String) throws(KnowledgeError) -> Hypothesis {
        let canonical = Self.canonicalID(id, prefix: "H")
        return try read { db in
            guard let row = try SQLRow.fetchOne(db, sql: "SELECT * FROM hypothesis WHERE id = ?", arguments: [canonical]) else {
                throw KnowledgeError.notFound("\(id): no such hypothesis (see `llmalpha kb search`)")
            }
            return try Self.hypothesis(row, db)
        }
    }

    /// The hypothesis recorded for exactly this script text, if any.
    public func hypothesis(forScript script: String) throws(KnowledgeError) -> Hypothesis? {
        let hash = ScriptFiles.sha256(script)
        return try read { db in try Self.hypothesis(scriptSHA256: hash, db) }
    }

    /// Everything `kb show` prints about one hypothesis.
    public struct Detail: Sendable, Codable {
        public let hypothesis: Hypothesis
        /// Parent, grandparent, ... up to the family's root.
        public let ancestors: [String]
        public let children: [String]
        public let trialCount: Int
        /// The most recent trials first, at most the limit asked for.
        public let trials: [Trial]
        public let strategies: [Strategy]
        /// `ok`, `missing` or `modified` (the file no longer matches the recorded sha256).
        public let fileState: String
        public let script: String?
    }

    public func detail(_ id: String, trialLimit: Int = 20) throws(KnowledgeError) -> Detail {
        let hypothesis = try hypothesis(id)
        let path = files.resolve(hypothesis.scriptPath)
        let script = FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
        let fileState = script == nil ? "missing" : (ScriptFiles.sha256(script!) == hypothesis.scriptSHA256 ? "ok" : "modified")
        return try read { db in
            var ancestors: [String] = []
            var cursor = hypothesis.parent
            while let parent = cursor, !ancestors.contains(parent), ancestors.count < 1000 {
                ancestors.append(parent)
                cursor = try String.fetchOne(db, sql: "SELECT parent FROM hypothesis WHERE id = ?", arguments: [parent])
            }
            let children = try String.fetchAll(db, sql: "SELECT id FROM hypothesis WHERE parent = ? ORDER BY number",
                                               arguments: [hypothesis.id])
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM trial WHERE hypothesis = ?", arguments: [hypothesis.id]) ?? 0
            let trials = try SQLRow.fetchAll(db, sql: "SELECT * FROM trial WHERE hypothesis = ? ORDER BY id DESC LIMIT ?",
                                          arguments: [hypothesis.id, trialLimit]).map(Self.trial)
            let strategies = try SQLRow.fetchAll(db, sql: "SELECT * FROM strategy WHERE hypothesis = ? ORDER BY number",
                                              arguments: [hypothesis.id]).map(Self.strategy)
            return Detail(hypothesis: hypothesis, ancestors: ancestors, children: children, trialCount: count,
                          trials: trials, strategies: strategies, fileState: fileState, script: script)
        }
    }

    // MARK: - Rows to values

    static func hypothesis(_ row: SQLRow, _ db: any SQLDatabase) throws -> Hypothesis {
        let tags: String = row["tags"]
        return Hypothesis(id: row["id"], name: row["name"], rationale: row["rationale"],
                          tags: tags.isEmpty ? [] : tags.split(separator: ",").map(String.init),
                          parent: row["parent"], family: row["family"],
                          status: HypothesisStatus(rawValue: row["status"]) ?? .proposed, origin: row["origin"],
                          scriptPath: row["script_path"], scriptSHA256: row["script_sha256"],
                          createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    static func normalizedTags(_ tags: [String]) -> [String] {
        var seen: [String] = []
        for tag in tags {
            let clean = ScriptFiles.slug(tag)
            if clean != "untitled", !seen.contains(clean) { seen.append(clean) }
        }
        return seen
    }

    /// `h3`, `3`, `H3` and `H003` all name H003.
    static func canonicalID(_ text: String, prefix: String) -> String {
        let upper = text.uppercased()
        let digits = upper.hasPrefix(prefix) ? String(upper.dropFirst(prefix.count)) : upper
        guard let n = Int(digits), n > 0 else { return upper }
        return ScriptFiles.identifier(prefix, n)
    }
}
