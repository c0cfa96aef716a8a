import Foundation
internal import GRDB

extension KnowledgeBase {
    /// Records a hypothesis and saves its script as `hypotheses/H0NN-<slug>.lua`.
    ///
    /// A script already recorded (same sha256) returns the existing hypothesis: running the same
    /// file twice adds trials, not hypotheses. The file is written first, under the write lock,
    /// then the row; a crash between the two leaves a file `kb check --repair` adopts, and its
    /// number is never handed out again.
    public func recordHypothesis(_ draft: HypothesisDraft) throws(KnowledgeError) -> Hypothesis {
        let name = draft.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw .invalid("a hypothesis needs a name") }
        let hash = ScriptFiles.sha256(draft.script)
        let tags = Self.normalizedTags(draft.tags)
        let files = self.files
        let stamp = Timestamp.iso(now())
        var written: String? = nil
        do {
            return try write { db in
                if let existing = try Row.fetchOne(db, sql: "SELECT * FROM hypothesis WHERE script_sha256 = ? ORDER BY number LIMIT 1",
                                                   arguments: [hash]) {
                    return try Self.hypothesis(existing, db)
                }
                var family: String? = nil
                if let parent = draft.parent {
                    family = try String.fetchOne(db, sql: "SELECT family FROM hypothesis WHERE id = ?", arguments: [parent])
                    guard family != nil else { throw KnowledgeError.invalid("parent \(parent) is not in the knowledge base") }
                }
                let inDatabase = try Int.fetchOne(db, sql: "SELECT max(number) FROM hypothesis") ?? 0
                let onDisk = files.numberedFiles(prefix: "H", in: files.hypothesesDirectory).keys.max() ?? 0
                let number = max(inDatabase, onDisk) + 1
                let id = ScriptFiles.identifier("H", number)
                let slug = ScriptFiles.slug(name)
                let path = (files.hypothesesDirectory as NSString).appendingPathComponent("\(id)-\(slug).lua")
                try ScriptFiles.writeAtomically(draft.script, to: path)
                written = path
                try db.execute(sql: """
                    INSERT INTO hypothesis (number, id, name, slug, rationale, tags, parent, family, status, origin,
                                            script_path, script_sha256, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?)
                    """, arguments: [number, id, name, slug, draft.rationale, tags.joined(separator: ","), draft.parent,
                                     family ?? id, draft.origin, files.stored(path), hash, stamp, stamp])
                for tag in tags {
                    try db.execute(sql: "INSERT INTO hypothesis_tag (hypothesis, tag) VALUES (?, ?)", arguments: [id, tag])
                }
                try db.execute(sql: "INSERT INTO hypothesis_fts (rowid, name, rationale, tags) VALUES (?, ?, ?, ?)",
                               arguments: [number, name, draft.rationale, tags.joined(separator: " ")])
                return try Self.hypothesis(Row.fetchOne(db, sql: "SELECT * FROM hypothesis WHERE id = ?", arguments: [id])!, db)
            }
        } catch {
            // The row did not commit: the file must not outlive it as an orphan.
            if let written { try? FileManager.default.removeItem(atPath: written) }
            throw error
        }
    }

    /// Moves a hypothesis to `status`.
    public func setStatus(_ id: String, _ status: HypothesisStatus) throws(KnowledgeError) {
        let stamp = Timestamp.iso(now())
        try write { db in
            try db.execute(sql: "UPDATE hypothesis SET status = ?, updated_at = ? WHERE id = ?",
                           arguments: [status.rawValue, stamp, id])
            if db.changesCount == 0 { throw KnowledgeError.notFound("\(id): no such hypothesis") }
        }
    }

    /// The hypothesis with this id (H003; h3 and 3 work too).
    public func hypothesis(_ id: String) throws(KnowledgeError) -> Hypothesis {
        let canonical = Self.canonicalID(id, prefix: "H")
        return try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM hypothesis WHERE id = ?", arguments: [canonical]) else {
                throw KnowledgeError.notFound("\(id): no such hypothesis (see `llmalpha kb search`)")
            }
            return try Self.hypothesis(row, db)
        }
    }

    /// The hypothesis recorded for exactly this script text, if any.
    public func hypothesis(forScript script: String) throws(KnowledgeError) -> Hypothesis? {
        let hash = ScriptFiles.sha256(script)
        return try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM hypothesis WHERE script_sha256 = ? ORDER BY number LIMIT 1", arguments: [hash])
                .map { try Self.hypothesis($0, db) }
        }
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
            let trials = try Row.fetchAll(db, sql: "SELECT * FROM trial WHERE hypothesis = ? ORDER BY id DESC LIMIT ?",
                                          arguments: [hypothesis.id, trialLimit]).map(Self.trial)
            let strategies = try Row.fetchAll(db, sql: "SELECT * FROM strategy WHERE hypothesis = ? ORDER BY number",
                                              arguments: [hypothesis.id]).map(Self.strategy)
            return Detail(hypothesis: hypothesis, ancestors: ancestors, children: children, trialCount: count,
                          trials: trials, strategies: strategies, fileState: fileState, script: script)
        }
    }

    // MARK: - Rows to values

    static func hypothesis(_ row: Row, _ db: Database) throws -> Hypothesis {
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
