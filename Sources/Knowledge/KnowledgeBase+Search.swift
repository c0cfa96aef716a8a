import Foundation

extension KnowledgeBase {
    /// One hypothesis found by ``search(_:status:tag:limit:)``, with its trial record at a glance.
    public struct SearchHit: Sendable, Codable {
        public let hypothesis: Hypothesis
        public let trials: Int
        public let passedTrials: Int
        public let bestSharpe: Double?
        /// Where the text matched: `hypothesis` (name, rationale, tags), `failures`, or both.
        public let matchedIn: [String]
    }

    /// Full-text search over names, rationales, tags and failure messages, newest first.
    /// Words match by English stem and as prefixes ("fund" finds "funding", "reverting" finds
    /// "reverts"); all words must occur. Without text, lists hypotheses by the filters alone.
    public func search(_ text: String? = nil, status: HypothesisStatus? = nil, tag: String? = nil,
                       limit: Int = 20) throws(KnowledgeError) -> [SearchHit] {
        let query = text.flatMap(Self.ftsQuery)
        if let text, query == nil, !text.trimmingCharacters(in: .whitespaces).isEmpty {
            return []   // only punctuation: nothing can match
        }
        return try scratchRead { db in
            var conditions: [String] = []
            var arguments: SQLArguments = []
            if let status {
                conditions.append("h.status = ?")
                arguments += [status.rawValue]
            }
            if let tag {
                conditions.append("EXISTS (SELECT 1 FROM hypothesis_tag t WHERE t.hypothesis = h.id AND t.tag = ?)")
                arguments += [ScriptFiles.slug(tag)]
            }
            var byHypothesis: Set<String> = []
            var byFailure: Set<String> = []
            if let query, let text {
                let exactID = Self.canonicalID(text.trimmingCharacters(in: .whitespaces), prefix: "H")
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM hypothesis WHERE id = ?", arguments: [exactID]) != nil {
                    byHypothesis.insert(exactID)
                }
                switch db.dialect {
                case .sqlite:
                    byHypothesis.formUnion(try String.fetchAll(db, sql: """
                        SELECT h.id FROM hypothesis_fts f JOIN hypothesis h ON h.number = f.rowid WHERE hypothesis_fts MATCH ?
                        """, arguments: [query]))
                    byFailure = Set(try String.fetchAll(db, sql: """
                        SELECT DISTINCT t.hypothesis FROM trial_fts f JOIN trial t ON t.id = f.rowid WHERE trial_fts MATCH ?
                        """, arguments: [query]))
                    byFailure.formUnion(try Self.recentFailures(db, matching: query))
                    guard !byHypothesis.isEmpty || !byFailure.isEmpty else { return [] }
                    // The matches go through a temporary table: a long ledger can match more ids than
                    // SQLite takes as statement arguments.
                    try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS search_hits (id TEXT PRIMARY KEY); DELETE FROM temp.search_hits")
                    for id in byHypothesis.union(byFailure) {
                        try db.execute(sql: "INSERT OR IGNORE INTO temp.search_hits (id) VALUES (?)", arguments: [id])
                    }
                    conditions.append("h.id IN (SELECT id FROM temp.search_hits)")
                case .postgres:
                    // The same English stemming and prefix matching, through the expression indexes
                    // the schema keeps over the rows themselves.
                    let (match, words) = Self.tsQuery(query)
                    byHypothesis.formUnion(try String.fetchAll(db, sql: """
                        SELECT id FROM hypothesis WHERE \(Self.hypothesisDocument) @@ \(match)
                        """, arguments: words))
                    byFailure = Set(try String.fetchAll(db, sql: """
                        SELECT DISTINCT hypothesis FROM trial WHERE \(Self.failureDocument) @@ \(match)
                        """, arguments: words))
                    guard !byHypothesis.isEmpty || !byFailure.isEmpty else { return [] }
                    conditions.append("""
                        (h.id = ? OR h.id IN (SELECT id FROM hypothesis WHERE \(Self.hypothesisDocument) @@ \(match))
                         OR h.id IN (SELECT hypothesis FROM trial WHERE \(Self.failureDocument) @@ \(match)))
                        """)
                    arguments += [exactID]
                    arguments += words
                    arguments += words
                }
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [limit]
            let rows = try SQLRow.fetchAll(db, sql: """
                SELECT h.*,
                       (SELECT count(*) FROM trial t WHERE t.hypothesis = h.id) AS trials,
                       (SELECT count(*) FROM trial t WHERE t.hypothesis = h.id AND t.passed = 1) AS passed_trials,
                       (SELECT max(sharpe) FROM trial t WHERE t.hypothesis = h.id) AS best_sharpe
                FROM hypothesis h \(whereClause) ORDER BY h.number DESC LIMIT ?
                """, arguments: arguments)
            return try rows.map { row in
                let h = try Self.hypothesis(row, db)
                var matched: [String] = []
                if byHypothesis.contains(h.id) { matched.append("hypothesis") }
                if byFailure.contains(h.id) { matched.append("failures") }
                return SearchHit(hypothesis: h, trials: row["trials"], passedTrials: row["passed_trials"],
                                 bestSharpe: row["best_sharpe"], matchedIn: matched)
            }
        }
    }

    /// Hypotheses whose trials past the indexed batch (at most a few hundred) failed with a
    /// message matching `query`: indexed on the spot in a temporary table of this connection, so
    /// they match exactly as indexed ones do.
    static func recentFailures(_ db: any SQLDatabase, matching query: String) throws -> Set<String> {
        let through = try Int64.fetchOne(db, sql: "SELECT indexed_through FROM search_progress WHERE name = 'trial_fts'") ?? 0
        try db.execute(sql: """
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.recent_failures USING fts5(
                hypothesis UNINDEXED, reason_code, reason_message, tokenize = 'porter unicode61 remove_diacritics 2');
            DELETE FROM temp.recent_failures;
            """)
        try db.execute(sql: """
            INSERT INTO temp.recent_failures (hypothesis, reason_code, reason_message)
            SELECT hypothesis, reason_code, reason_message FROM trial WHERE id > ? AND reason_message IS NOT NULL
            """, arguments: [through])
        return Set(try String.fetchAll(db, sql: "SELECT DISTINCT hypothesis FROM temp.recent_failures WHERE recent_failures MATCH ?",
                                       arguments: [query]))
    }

    /// What PostgreSQL's search matches a hypothesis by; the schema's index is on exactly this.
    /// Every run of other characters is a space first, as FTS5's unicode61 tokenizer sees text
    /// (PostgreSQL's parser would keep `signal.frequency` or `0.4` as one token).
    /// English stems, plus every word as written (the `simple` dictionary), which keeps the
    /// common words English drops, as FTS5's porter tokenizer keeps them.
    static let hypothesisDocument = document("name || ' ' || rationale || ' ' || tags")
    /// What it matches a trial's failure by (indexed likewise).
    static let failureDocument = document("coalesce(reason_code, '') || ' ' || coalesce(reason_message, '')")

    static func document(_ text: String) -> String {
        let words = "regexp_replace(\(text), '[^[:alnum:]]+', ' ', 'g')"
        return "(to_tsvector('english', \(words)) || to_tsvector('simple', \(words)))"
    }

    /// An FTS5 query from ``ftsQuery(_:)`` in PostgreSQL's spelling: every word as a prefix, by
    /// its English stem or as written; the SQL and its arguments (two a word).
    static func tsQuery(_ ftsQuery: String) -> (sql: String, arguments: SQLArguments) {
        let words = ftsQuery.split(separator: " ").map { "'\($0.dropFirst().dropLast(2))':*" }
        let sql = words.map { _ in "(to_tsquery('english', ?) || to_tsquery('simple', ?))" }.joined(separator: " && ")
        return ("(\(sql))", SQLArguments(words.flatMap { [$0, $0] }))
    }

    /// The user's words as an FTS5 query: each word quoted (so FTS syntax in the text is inert)
    /// and matched as a prefix; nil when no word is left.
    static func ftsQuery(_ text: String) -> String? {
        var words: [String] = []
        var word = ""
        for scalar in text.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                word.unicodeScalars.append(scalar)
            } else if !word.isEmpty {
                words.append(word)
                word = ""
            }
        }
        if !word.isEmpty { words.append(word) }
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"*" }.joined(separator: " ")
    }
}
