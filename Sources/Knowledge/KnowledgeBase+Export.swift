import Foundation

extension KnowledgeBase {
    /// The tables `kb export --format csv` can write, one per file.
    public enum ExportTable: String, Sendable, CaseIterable {
        case trials, hypotheses, strategies, holdouts, llmCalls = "llm_calls"
    }

    /// The whole knowledge base as one JSON document (scripts included), which
    /// ``merge(_:batchSize:progress:)`` reads back into another one.
    public struct Document: Sendable, Codable {
        public struct HypothesisEntry: Sendable, Codable {
            public let hypothesis: Hypothesis
            /// The recorded script text, nil when its file is gone.
            public let script: String?
        }

        public var format = "llmalpha-knowledge"
        public var version = 1
        public let exportedAt: String
        public let schema: [String]
        public let hypotheses: [HypothesisEntry]
        public let trials: [Trial]
        public let strategies: [Strategy]
        public let holdoutOpenings: [HoldoutOpening]
        public let llmCalls: [LLMCallRecord]
    }

    public func exportDocument() throws(KnowledgeError) -> Document {
        let files = self.files
        let schema = try schemaVersion()
        return try read { db in
            let hypotheses = try SQLRow.fetchAll(db, sql: "SELECT * FROM hypothesis ORDER BY number").map { row in
                let h = try Self.hypothesis(row, db)
                // The file here, else the copy the database keeps (a shared knowledge base read
                // from a machine that never had the file).
                // A local file only when it is the recorded script (not an edit, not another
                // knowledge base's file under the same name).
                let local = FileManager.default.contents(atPath: files.resolve(h.scriptPath)).flatMap { String(data: $0, encoding: .utf8) }
                let stored = try String.fetchOne(db, sql: "SELECT text FROM script_file WHERE path = ?", arguments: [h.scriptPath])
                let script = [local, stored].compactMap { $0 }.first { ScriptFiles.sha256($0) == h.scriptSHA256 } ?? local
                return Document.HypothesisEntry(hypothesis: h, script: script)
            }
            let calls = try SQLRow.fetchAll(db, sql: "SELECT * FROM llm_call ORDER BY id").map(Self.llmCall)
            return Document(exportedAt: Timestamp.iso(now()), schema: schema, hypotheses: hypotheses,
                            trials: try SQLRow.fetchAll(db, sql: "SELECT * FROM trial ORDER BY id").map(Self.trial),
                            strategies: try SQLRow.fetchAll(db, sql: "SELECT * FROM strategy ORDER BY number").map(Self.strategy),
                            holdoutOpenings: try SQLRow.fetchAll(db, sql: "SELECT * FROM holdout_opening ORDER BY id").map(Self.holdoutOpening),
                            llmCalls: calls)
        }
    }

    /// One table as CSV (RFC 4180 quoting). Trials get one column per parameter (`param.x`) and
    /// per metric (`metric.sharpe`), the union over all rows, so the file opens straight into a
    /// spreadsheet or pandas.
    public func exportCSV(_ table: ExportTable, write emit: (String) -> Void) throws(KnowledgeError) {
        switch table {
        case .trials:
            let trials = try read { db in try SQLRow.fetchAll(db, sql: "SELECT * FROM trial ORDER BY id").map(Self.trial) }
            let names = try read { db in
                Dictionary(try SQLRow.fetchAll(db, sql: "SELECT id, name FROM hypothesis").map { ($0["id"] as String, $0["name"] as String) },
                           uniquingKeysWith: { a, _ in a })
            }
            let parameterKeys = Set(trials.flatMap(\.parameters.keys)).sorted()
            let metricKeys = Set(trials.flatMap(\.metrics.keys)).sorted()
            emit(CSV.line(["id", "uid", "hypothesis", "name", "family", "stage", "passed", "reason_code", "reason_message",
                           "symbols", "interval", "data_from", "data_to", "bars", "data_hash", "seed", "duration_s",
                           "started_at", "finished_at", "source"]
                          + parameterKeys.map { "param.\($0)" } + metricKeys.map { "metric.\($0)" }))
            for t in trials {
                var fields = [String(t.id), t.uid, t.hypothesis, names[t.hypothesis] ?? "", t.family, t.stage.rawValue,
                              t.passed.map { $0 ? "1" : "0" } ?? "", t.reasonCode ?? "", t.reasonMessage ?? "",
                              t.data.symbols.joined(separator: " "), t.data.interval, String(t.data.from), String(t.data.to),
                              String(t.data.bars), t.data.hash, t.seed.map(String.init) ?? "", "\(t.durationSeconds)",
                              t.startedAt, t.finishedAt, t.source]
                fields += parameterKeys.map { t.parameters[$0].map(JSONNumbers.format) ?? "" }
                fields += metricKeys.map { t.metrics[$0].map { "\($0)" } ?? "" }
                emit(CSV.line(fields))
            }
        case .hypotheses:
            emit(CSV.line(["id", "name", "status", "tags", "parent", "family", "origin", "rationale", "script_path",
                           "script_sha256", "created_at", "updated_at", "trials"]))
            let rows = try read { db in
                try SQLRow.fetchAll(db, sql: """
                    SELECT h.*, (SELECT count(*) FROM trial t WHERE t.hypothesis = h.id) AS trials FROM hypothesis h ORDER BY number
                    """).map { (try Self.hypothesis($0, db), Int($0["trials"] as Int)) }
            }
            for (h, trials) in rows {
                emit(CSV.line([h.id, h.name, h.status.rawValue, h.tags.joined(separator: " "), h.parent ?? "", h.family, h.origin,
                               h.rationale, h.scriptPath, h.scriptSHA256, h.createdAt, h.updatedAt, String(trials)]))
            }
        case .strategies:
            let strategies = try read { db in try SQLRow.fetchAll(db, sql: "SELECT * FROM strategy ORDER BY number").map(Self.strategy) }
            let keys = Set(strategies.flatMap(\.validation.keys)).sorted()
            emit(CSV.line(["id", "hypothesis", "name", "file_path", "file_sha256", "data_hash", "lifetime_trials", "created_at",
                           "holdout_passed"] + keys.map { "metric.\($0)" }))
            for s in strategies {
                emit(CSV.line([s.id, s.hypothesis, s.name, s.filePath, s.fileSHA256, s.dataHash, String(s.lifetimeTrials),
                               s.createdAt, s.holdout?["passed"].map { $0 == 1 ? "1" : "0" } ?? ""]
                              + keys.map { s.validation[$0].map { "\($0)" } ?? "" }))
            }
        case .holdouts:
            emit(CSV.line(["id", "strategy", "opened_at", "passed", "symbols", "interval", "data_from", "data_to", "bars", "note", "metrics"]))
            for o in try holdoutOpenings() {
                emit(CSV.line([String(o.id), o.strategy, o.openedAt, o.passed ? "1" : "0", o.data.symbols.joined(separator: " "),
                               o.data.interval, String(o.data.from), String(o.data.to), String(o.data.bars), o.note ?? "",
                               JSONNumbers.encode(o.metrics)]))
            }
        case .llmCalls:
            emit(CSV.line(["id", "created_at", "provider", "model", "purpose", "hypothesis", "prompt_tokens", "completion_tokens",
                           "latency_s", "cost_usd", "request_hash", "status", "error", "run"]))
            let rows = try read { db in try SQLRow.fetchAll(db, sql: "SELECT * FROM llm_call ORDER BY id") }
            for row in rows {
                let cost: Double? = row["cost_usd"]
                emit(CSV.line([String(row["id"] as Int64), row["created_at"], row["provider"], row["model"], row["purpose"],
                               row["hypothesis"] ?? "", String(row["prompt_tokens"] as Int), String(row["completion_tokens"] as Int),
                               "\(row["latency_s"] as Double)", cost.map { "\($0)" } ?? "", row["request_hash"], row["status"],
                               row["error"] ?? "", row["run"] ?? ""]))
            }
        }
    }

    /// What ``merge(_:batchSize:progress:)`` did.
    public struct MergeSummary: Sendable, Codable {
        public var hypothesesAdded = 0
        public var hypothesesMatched = 0
        public var trialsAdded = 0
        public var trialsAlreadyPresent = 0
        public var skipped: [String] = []
    }

    /// Merges another knowledge base's export: hypotheses by script (the same script is the same
    /// hypothesis; new ones get fresh ids here, lineage remapped), trials by uid, in transactions
    /// of `batchSize`. Interrupted, it keeps every committed batch, and running it again finishes
    /// the job without duplicates. Strategies, holdout openings and LLM calls stay with the
    /// knowledge base that made them.
    public func merge(_ document: Document, batchSize: Int = 1000,
                      progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws(KnowledgeError) -> MergeSummary {
        guard document.format == "llmalpha-knowledge" else { throw .invalid("not an llmalpha knowledge export (format '\(document.format)')") }
        guard document.version <= 1 else { throw .invalid("export format version \(document.version) is newer than this llmalpha reads (1)") }
        var summary = MergeSummary()
        var mapping: [String: String] = [:]
        for entry in document.hypotheses {
            let h = entry.hypothesis
            guard let script = entry.script else {
                summary.skipped.append("\(h.id): its script was missing from the export; its trials are skipped too")
                continue
            }
            if let existing = try hypothesis(forScript: script) {
                mapping[h.id] = existing.id
                summary.hypothesesMatched += 1
                continue
            }
            let recorded = try recordHypothesis(HypothesisDraft(name: h.name, rationale: h.rationale, tags: h.tags,
                                                                parent: h.parent.flatMap { mapping[$0] }, origin: h.origin, script: script))
            if h.status != .proposed { try setStatus(recorded.id, h.status) }
            mapping[h.id] = recorded.id
            summary.hypothesesAdded += 1
        }
        let trials = document.trials.compactMap { t -> TrialDraft? in
            guard let id = mapping[t.hypothesis] else { return nil }
            return TrialDraft(hypothesis: id, parameters: t.parameters, data: t.data, stage: t.stage, passed: t.passed,
                              reasonCode: t.reasonCode, reasonMessage: t.reasonMessage, metrics: t.metrics, shortfall: t.shortfall,
                              seed: t.seed, durationSeconds: t.durationSeconds, startedAt: Timestamp.parse(t.startedAt) ?? now(),
                              source: t.source, uid: t.uid, finishedAt: Timestamp.parse(t.finishedAt))
        }
        var done = 0
        progress(0, trials.count)
        while done < trials.count {
            let batch = Array(trials[done..<min(done + batchSize, trials.count)])
            summary.trialsAdded += try insertTrials(batch).inserted
            done += batch.count
            progress(done, trials.count)
        }
        summary.trialsAlreadyPresent = trials.count - summary.trialsAdded
        return summary
    }
}
