import Foundation

extension KnowledgeBase {
    /// Promotes a validated hypothesis: writes `strategies/S0NN-<slug>.lua` (the script under a
    /// comment header recording its validation, so the file alone can be mailed and rerun with
    /// `llmalpha run`), records the strategy and marks the hypothesis validated.
    ///
    /// With `validation.holdout`, the holdout opening is recorded in the same transaction as the
    /// strategy, the hypothesis's holdout claim (``openHoldout(of:trial:)``) points at it, and the
    /// hypothesis is marked rejected instead when the holdout failed: the file stays, its header
    /// saying so, because an opened holdout is knowledge too.
    ///
    /// - Parameter script: the final, self-contained script (chosen parameters already set as
    ///   the `param.*` defaults).
    public func promote(_ hypothesisID: String, script: String, validation: StrategyValidation) throws(KnowledgeError) -> Strategy {
        let hypothesis = try hypothesis(hypothesisID)
        let files = self.files
        let date = now()
        // The trial counts are read under the write lock: with other workers recording, the
        // count the header states is the ledger's at the moment the strategy is numbered.
        let (reservation, text, record) = try write { db -> (Reservation, String, [String: Any]) in
            let lifetime = try Int.fetchOne(db, sql: "SELECT count(*) FROM trial") ?? 0
            let familyTrials = try Int.fetchOne(db, sql: "SELECT count(*) FROM trial WHERE family = ?", arguments: [hypothesis.family]) ?? 0
            let record: [String: Any] = ["hypothesis": hypothesis.id, "name": hypothesis.name,
                                         "validation": JSONNumbers.encode(validation.metrics), "data_hash": validation.data.hash,
                                         "lifetime_trials": lifetime, "created_at": Timestamp.iso(date)]
            let (reservation, text) = try reserve(.strategy, slug: ScriptFiles.slug(hypothesis.name), record: record, in: db) { reservation in
                Self.strategyHeader(id: reservation.id, hypothesis: hypothesis, validation: validation, lifetimeTrials: lifetime,
                                    familyTrials: familyTrials, date: date, fileName: files.stored(reservation.path))
                    + Self.withoutStrategyHeader(script)
            }
            return (reservation, text, record)
        }
        try writeReserved(reservation, text: text)
        do {
            return try write { db in
                try Self.insertStrategyRow(number: reservation.number, record: record, path: files.stored(reservation.path),
                                           sha256: ScriptFiles.sha256(text), text: text, in: db)
                try Self.fulfil(reservation, in: db)
                let id = ScriptFiles.identifier("S", reservation.number)
                if let holdout = validation.holdout {
                    try Self.insertHoldoutOpening(strategy: id, data: holdout.data, metrics: holdout.metrics, passed: holdout.passed,
                                                  note: holdout.note, stamp: Timestamp.iso(date), in: db)
                    try db.execute(sql: "UPDATE holdout_lock SET strategy = ? WHERE hypothesis = ?", arguments: [id, hypothesis.id])
                    if !holdout.passed {
                        try db.execute(sql: "UPDATE hypothesis SET status = 'rejected' WHERE id = ?", arguments: [hypothesis.id])
                    }
                }
                return Self.strategy(try SQLRow.fetchOne(db, sql: "SELECT * FROM strategy WHERE number = ?", arguments: [reservation.number])!)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: reservation.path)
            release(reservation)
            throw error
        }
    }

    /// Claims a hypothesis's locked holdout, once: the claim is committed before the caller
    /// evaluates a single holdout bar, so a second promotion (in this process or another) is
    /// refused even if the first never finishes.
    /// - Throws: ``KnowledgeError/holdoutOpened(hypothesis:openedAt:strategy:)`` when it was
    ///   opened before; `.notFound` for an unknown hypothesis.
    @discardableResult
    public func openHoldout(of hypothesisID: String, trial: Int64?) throws(KnowledgeError) -> HoldoutLock {
        let canonical = Self.canonicalID(hypothesisID, prefix: "H")
        let stamp = Timestamp.iso(now())
        return try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM hypothesis WHERE id = ?", arguments: [canonical]) != nil else {
                throw KnowledgeError.notFound("\(hypothesisID): no such hypothesis")
            }
            if let row = try SQLRow.fetchOne(db, sql: "SELECT * FROM holdout_lock WHERE hypothesis = ?", arguments: [canonical]) {
                throw KnowledgeError.holdoutOpened(hypothesis: canonical, openedAt: row["opened_at"], strategy: row["strategy"])
            }
            try db.execute(sql: "INSERT INTO holdout_lock (hypothesis, trial, opened_at) VALUES (?, ?, ?)",
                           arguments: [canonical, trial, stamp])
            return HoldoutLock(hypothesis: canonical, trial: trial, openedAt: stamp, strategy: nil, note: nil)
        }
    }

    /// The hypothesis's holdout claim, if its holdout has been opened.
    public func holdoutLock(of hypothesisID: String) throws(KnowledgeError) -> HoldoutLock? {
        try read { db in
            try SQLRow.fetchOne(db, sql: "SELECT * FROM holdout_lock WHERE hypothesis = ?",
                             arguments: [Self.canonicalID(hypothesisID, prefix: "H")]).map(Self.holdoutLock)
        }
    }

    /// Every holdout claim in a hypothesis family (its lineage), oldest first: refined children
    /// that open their own holdout see the same bars again, which the promotion reports.
    public func holdoutLocks(family: String) throws(KnowledgeError) -> [HoldoutLock] {
        try read { db in
            try SQLRow.fetchAll(db, sql: """
                SELECT l.* FROM holdout_lock l JOIN hypothesis h ON h.id = l.hypothesis
                WHERE h.family = ? ORDER BY l.opened_at
                """, arguments: [Self.canonicalID(family, prefix: "H")]).map(Self.holdoutLock)
        }
    }

    /// Notes why a promotion stopped after it claimed the holdout (the claim stays: the holdout
    /// may have been seen).
    public func noteHoldout(of hypothesisID: String, _ note: String) throws(KnowledgeError) {
        try write { db in
            try db.execute(sql: "UPDATE holdout_lock SET note = ? WHERE hypothesis = ?",
                           arguments: [note, Self.canonicalID(hypothesisID, prefix: "H")])
        }
    }

    static func holdoutLock(_ row: SQLRow) -> HoldoutLock {
        HoldoutLock(hypothesis: row["hypothesis"], trial: row["trial"], openedAt: row["opened_at"], strategy: row["strategy"],
                    note: row["note"])
    }

    /// Every strategy, oldest first.
    public func strategies() throws(KnowledgeError) -> [Strategy] {
        try read { db in try SQLRow.fetchAll(db, sql: "SELECT * FROM strategy ORDER BY number").map(Self.strategy) }
    }

    /// The strategy's row, and its hypothesis marked validated, from the fields reserved for it.
    static func insertStrategyRow(number: Int, record: [String: Any], path: String, sha256: String, text: String,
                                  in db: any SQLDatabase) throws {
        let hypothesis = record["hypothesis"] as? String ?? ""
        let stamp = record["created_at"] as? String ?? ""
        try db.execute(sql: """
            INSERT INTO strategy (number, id, hypothesis, name, file_path, file_sha256, validation, data_hash, lifetime_trials, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [number, ScriptFiles.identifier("S", number), hypothesis, record["name"] as? String ?? "",
                             path, sha256, record["validation"] as? String ?? "{}", record["data_hash"] as? String ?? "",
                             record["lifetime_trials"] as? Int ?? 0, stamp])
        try db.execute(sql: "UPDATE hypothesis SET status = 'validated', updated_at = ? WHERE id = ?", arguments: [stamp, hypothesis])
        try storeScript(path: path, sha256: sha256, text: text, stamp: stamp, in: db)
    }

    /// The strategy with this id (S001; s1 and 1 work too).
    public func strategy(_ id: String) throws(KnowledgeError) -> Strategy {
        let canonical = Self.canonicalID(id, prefix: "S")
        return try read { db in
            guard let row = try SQLRow.fetchOne(db, sql: "SELECT * FROM strategy WHERE id = ?", arguments: [canonical]) else {
                throw KnowledgeError.notFound("\(id): no such strategy")
            }
            return Self.strategy(row)
        }
    }

    /// Records one opening of a strategy's locked holdout. Every opening is kept; the strategy
    /// shows the latest result.
    @discardableResult
    public func recordHoldoutOpening(strategy id: String, data: DataSpan, metrics: [String: Double], passed: Bool,
                                     note: String? = nil) throws(KnowledgeError) -> HoldoutOpening {
        let canonical = Self.canonicalID(id, prefix: "S")
        let stamp = Timestamp.iso(now())
        return try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM strategy WHERE id = ?", arguments: [canonical]) != nil else {
                throw KnowledgeError.notFound("\(id): no such strategy")
            }
            let rowID = try Self.insertHoldoutOpening(strategy: canonical, data: data, metrics: metrics, passed: passed, note: note,
                                                      stamp: stamp, in: db)
            return try Self.holdoutOpening(SQLRow.fetchOne(db, sql: "SELECT * FROM holdout_opening WHERE id = ?", arguments: [rowID])!)
        }
    }

    /// The opening's row, and the strategy's latest holdout result.
    @discardableResult
    static func insertHoldoutOpening(strategy: String, data: DataSpan, metrics: [String: Double], passed: Bool, note: String?,
                                     stamp: String, in db: any SQLDatabase) throws -> Int64 {
        let span = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
        let rowID = try Int64.fetchOne(db, sql: """
            INSERT INTO holdout_opening (strategy, opened_at, data, metrics, passed, note) VALUES (?, ?, ?, ?, ?, ?) RETURNING id
            """, arguments: [strategy, stamp, span, JSONNumbers.encode(metrics), passed, note]) ?? 0
        var holdout = metrics
        holdout["passed"] = passed ? 1 : 0
        try db.execute(sql: "UPDATE strategy SET holdout = ? WHERE id = ?", arguments: [JSONNumbers.encode(holdout), strategy])
        return rowID
    }

    /// Every holdout opening of one strategy, or of all, oldest first.
    public func holdoutOpenings(strategy id: String? = nil) throws(KnowledgeError) -> [HoldoutOpening] {
        try read { db in
            if let id {
                return try SQLRow.fetchAll(db, sql: "SELECT * FROM holdout_opening WHERE strategy = ? ORDER BY id",
                                        arguments: [Self.canonicalID(id, prefix: "S")]).map(Self.holdoutOpening)
            }
            return try SQLRow.fetchAll(db, sql: "SELECT * FROM holdout_opening ORDER BY id").map(Self.holdoutOpening)
        }
    }

    /// Records one language-model request.
    public func recordLLMCall(_ call: LLMCallRecord) throws(KnowledgeError) {
        let stamp = Timestamp.iso(now())
        try write { db in
            try db.execute(sql: """
                INSERT INTO llm_call (provider, model, purpose, hypothesis, prompt_tokens, completion_tokens, latency_s,
                                      cost_usd, request_hash, status, error, created_at, run, iteration)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [call.provider, call.model, call.purpose, call.hypothesis, call.promptTokens,
                                 call.completionTokens, call.latencySeconds, call.costUSD, call.requestHash, call.status,
                                 call.error, stamp, call.run, call.iteration])
        }
    }

    /// The newest call's row id (0 without any): a mark to attribute later calls from.
    public func lastLLMCallID() throws(KnowledgeError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM llm_call") ?? 0 }
    }

    /// Names `hypothesis` as what `run`'s calls after row `mark` produced: what a hypothesis cost.
    /// - Parameter iteration: only that iteration's calls (several workers share a run, and their
    ///   calls interleave).
    public func attributeLLMCalls(run: String, iteration: Int? = nil, after mark: Int64, to hypothesis: String) throws(KnowledgeError) {
        try write { db in
            var sql = "UPDATE llm_call SET hypothesis = ? WHERE run = ? AND id > ? AND hypothesis IS NULL"
            var arguments: SQLArguments = [hypothesis, run, mark]
            if let iteration {
                sql += " AND iteration = ?"
                arguments += [iteration]
            }
            try db.execute(sql: sql, arguments: arguments)
        }
    }

    /// Language-model calls, oldest first; of one run when `run` is given.
    public func llmCalls(run: String? = nil) throws(KnowledgeError) -> [LLMCallRecord] {
        try read { db in
            let filter = run == nil ? "" : "WHERE run = ?"
            return try SQLRow.fetchAll(db, sql: "SELECT * FROM llm_call \(filter) ORDER BY id", arguments: run.map { [$0] } ?? [])
                .map(Self.llmCall)
        }
    }

    static func llmCall(_ row: SQLRow) -> LLMCallRecord {
        LLMCallRecord(provider: row["provider"], model: row["model"], purpose: row["purpose"], hypothesis: row["hypothesis"],
                      promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                      latencySeconds: row["latency_s"], costUSD: row["cost_usd"], requestHash: row["request_hash"],
                      status: row["status"], error: row["error"], run: row["run"], iteration: row["iteration"])
    }

    /// What language models cost `run`, or `hypothesis` (the calls that produced it), or
    /// everything when both are `nil`.
    public func llmSpend(run: String? = nil, hypothesis: String? = nil) throws(KnowledgeError) -> LLMSpend {
        let hypothesisID = hypothesis.map { Self.canonicalID($0, prefix: "H") }
        return try read { db in
            let conditions = [run.map { _ in "run = ?" }, hypothesisID.map { _ in "hypothesis = ?" }].compactMap { $0 }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let row = try SQLRow.fetchOne(db, sql: """
                SELECT count(*) AS n, coalesce(sum(CASE WHEN status = 'cached' THEN 1 ELSE 0 END), 0) AS cached,
                       coalesce(sum(CASE WHEN status NOT IN ('ok', 'cached') THEN 1 ELSE 0 END), 0) AS failed,
                       coalesce(sum(prompt_tokens), 0) AS p, coalesce(sum(completion_tokens), 0) AS c,
                       coalesce(sum(cost_usd), 0) AS cost, coalesce(sum(CASE WHEN cost_usd IS NULL AND status = 'ok' THEN 1 ELSE 0 END), 0) AS unpriced
                FROM llm_call \(filter)
                """, arguments: SQLArguments([run, hypothesisID].compactMap { $0 }))!
            var spend = LLMSpend()
            spend.calls = row["n"]
            spend.cached = row["cached"]
            spend.failed = row["failed"]
            spend.promptTokens = row["p"]
            spend.completionTokens = row["c"]
            spend.costUSD = row["cost"]
            spend.unpriced = row["unpriced"]
            return spend
        }
    }

    /// The reply kept for `requestHash`, if any.
    public func cachedReply(_ requestHash: String) throws(KnowledgeError) -> CachedReply? {
        try read { db in
            try SQLRow.fetchOne(db, sql: "SELECT * FROM llm_reply WHERE request_hash = ?", arguments: [requestHash]).map { row in
                CachedReply(requestHash: row["request_hash"], provider: row["provider"], model: row["model"], text: row["text"],
                            reasoning: row["reasoning"], promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                            finishReason: row["finish_reason"])
            }
        }
    }

    /// Keeps a reply for its request's hash (the first one kept stays).
    public func cacheReply(_ reply: CachedReply) throws(KnowledgeError) {
        let stamp = Timestamp.iso(now())
        try write { db in
            try db.execute(sql: """
                INSERT INTO llm_reply (request_hash, provider, model, text, reasoning, prompt_tokens, completion_tokens,
                                                 finish_reason, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, arguments: [reply.requestHash, reply.provider, reply.model, reply.text, reply.reasoning, reply.promptTokens,
                                 reply.completionTokens, reply.finishReason, stamp])
        }
    }

    // MARK: - The strategy file's header

    /// Marks the header so promoting a file that already has one replaces it.
    static let headerMarker = "-- llmalpha strategy "

    static func strategyHeader(id: String, hypothesis: Hypothesis, validation: StrategyValidation, lifetimeTrials: Int,
                               familyTrials: Int, date: Date, fileName: String) -> String {
        let span = validation.data
        let from = Timestamp.iso(Date(timeIntervalSince1970: Double(span.from) / 1000)).prefix(16)
        let to = Timestamp.iso(Date(timeIntervalSince1970: Double(span.to) / 1000)).prefix(16)
        let metrics = validation.metrics.keys.sorted().map { "\($0)=\(Self.short(validation.metrics[$0]!))" }
        var lines = [
            "\(headerMarker)\(id): \(hypothesis.name)",
            "-- promoted \(Timestamp.iso(date).prefix(10)) by llmalpha \(validation.version) from hypothesis \(hypothesis.id)"
                + (hypothesis.parent.map { " (refines \($0))" } ?? ""),
            "-- data: \(span.symbols.joined(separator: ",")) \(span.interval) \(from)..\(to) UTC, \(span.bars) bars, sha256 \(span.hash)",
        ]
        var chunk: [String] = []
        for m in metrics {
            if chunk.joined(separator: " ").count + m.count > 80 {
                lines.append("-- metrics: " + chunk.joined(separator: " "))
                chunk = []
            }
            chunk.append(m)
        }
        if !chunk.isEmpty { lines.append("-- metrics: " + chunk.joined(separator: " ")) }
        let texts = validation.parameterTexts.isEmpty
            ? validation.parameters.mapValues { JSONNumbers.format($0) } : validation.parameterTexts
        if !texts.isEmpty {
            lines.append("-- parameters: " + texts.keys.sorted().map { "\($0)=\(texts[$0]!)" }.joined(separator: " "))
        }
        if let h = validation.holdout {
            let hFrom = Timestamp.iso(Date(timeIntervalSince1970: Double(h.data.from) / 1000)).prefix(16)
            let hTo = Timestamp.iso(Date(timeIntervalSince1970: Double(h.data.to) / 1000)).prefix(16)
            let numbers = h.metrics.keys.sorted().map { "\($0)=\(Self.short(h.metrics[$0]!))" }.joined(separator: " ")
            lines.append("-- holdout: opened \(Timestamp.iso(date).prefix(10)), \(hFrom)..\(hTo) UTC, \(h.data.bars) bars, never seen before: "
                         + (h.passed ? "PASSED" : "FAILED"))
            lines.append("--   \(numbers)")
            if let note = h.note { lines.append("--   \(note)") }
        }
        lines.append("-- trials: \(lifetimeTrials) in the knowledge base, \(familyTrials) in this family (the deflated Sharpe counts them)")
        let source = validation.dataFile.map { "--data \($0)" } ?? "--symbol \(span.symbols.first ?? "BTCUSDT") --interval \(span.interval)"
        var rerun = "llmalpha run \(fileName) \(source) --from \(from) --to \(to)"
        for name in texts.keys.sorted() { rerun += " --param \(name)=\(texts[name]!)" }
        lines.append("-- rerun: \(rerun)")
        if span.symbols.count > 1, validation.dataFile == nil {
            lines.append("--   (validated on \(span.symbols.joined(separator: ", ")): repeat --symbol for each)")
        }
        return lines.joined(separator: "\n") + "\n\n"
    }

    /// The script without a header an earlier promotion wrote.
    static func withoutStrategyHeader(_ script: String) -> String {
        guard script.hasPrefix(headerMarker) else { return script }
        var lines = script.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let first = lines.first, first.hasPrefix("--") { lines = lines.dropFirst() }
        if lines.first == "" { lines = lines.dropFirst() }
        return lines.joined(separator: "\n")
    }

    private static func short(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e9 { return String(Int64(value)) }
        return String(format: "%.4g", value)
    }

    static func strategy(_ row: SQLRow) -> Strategy {
        let holdout: String? = row["holdout"]
        return Strategy(id: row["id"], hypothesis: row["hypothesis"], name: row["name"], filePath: row["file_path"],
                        fileSHA256: row["file_sha256"], validation: JSONNumbers.decode(row["validation"]),
                        dataHash: row["data_hash"], lifetimeTrials: row["lifetime_trials"],
                        holdout: holdout.map { JSONNumbers.decode($0) }, createdAt: row["created_at"])
    }

    static func holdoutOpening(_ row: SQLRow) -> HoldoutOpening {
        let span: String = row["data"]
        let data = (try? JSONDecoder().decode(DataSpan.self, from: Data(span.utf8)))
            ?? DataSpan(symbols: [], interval: "", from: 0, to: 0, bars: 0, hash: "")
        let passed: Int = row["passed"]
        return HoldoutOpening(id: row["id"], strategy: row["strategy"], openedAt: row["opened_at"], data: data,
                              metrics: JSONNumbers.decode(row["metrics"]), passed: passed == 1, note: row["note"])
    }
}
