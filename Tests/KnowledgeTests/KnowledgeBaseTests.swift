import Foundation
import GRDB
import Testing
@testable import Knowledge

@Suite("Knowledge base: hypotheses, trials, strategies")
struct KnowledgeBaseTests {
    @Test("A new database is WAL, tagged as ours, on the current schema")
    func newDatabase() throws {
        let box = try KnowledgeSandbox()
        defer { box.remove() }
        let kb = try box.open()
        #expect(try kb.schemaVersion() == ["v1", "v2-holdout-lock", "v3-research", "v4-llm-replies", "v5-workers"])
        let queue = try DatabaseQueue(path: box.database)
        let (mode, app) = try queue.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int32.fetchOne(db, sql: "PRAGMA application_id"))
        }
        #expect(mode == "wal")
        #expect(app == 0x4C4C_4D41)
    }

    @Test("Hypotheses get H001, H002 in order, their exact script on disk, and one id per script", arguments: TestStore.available)
    func hypothesisIDs(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let text = script("Funding fade", "return -d.funding")
        let first = try kb.recordHypothesis(HypothesisDraft(name: "Funding fade!", rationale: "crowded longs pay", tags: ["Funding", "funding", "mean reversion"], script: text))
        #expect(first.id == "H001")
        #expect(first.scriptPath == "hypotheses/H001-funding-fade.lua")
        #expect(first.tags == ["funding", "mean-reversion"])
        #expect(first.family == "H001")
        #expect(try String(contentsOfFile: box.path(first.scriptPath), encoding: .utf8) == text)
        #expect(first.scriptSHA256 == "a16b9eff1c25bb496d47841a2222bfca9f23eb0e87a097fa527feb5b47e7c961")   // sha256sum

        let again = try kb.recordHypothesis(HypothesisDraft(name: "other name", script: text))
        #expect(again.id == "H001")

        let child = try kb.recordHypothesis(HypothesisDraft(name: "Funding fade v2", parent: "H001", script: script("v2")))
        let grandchild = try kb.recordHypothesis(HypothesisDraft(name: "Funding fade v3", parent: "H002", script: script("v3")))
        #expect(child.id == "H002")
        #expect(grandchild.family == "H001")
        let detail = try kb.detail("h3")
        #expect(detail.ancestors == ["H002", "H001"])
        #expect(try kb.detail("H001").children == ["H002"])
        #expect(detail.fileState == "ok")

        #expect(throws: KnowledgeError.invalid("parent H042 is not in the knowledge base")) {
            try kb.recordHypothesis(HypothesisDraft(name: "orphan", parent: "H042", script: script("x")))
        }
        #expect(throws: KnowledgeError.self) { try kb.hypothesis("H999") }
        try kb.setStatus("H002", .rejected)
        #expect(try kb.hypothesis("H002").status == .rejected)
    }

    @Test("Trial counts overall and per family; near misses rank by stage, then shortfall", arguments: TestStore.available)
    func trialLedger(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let a = try kb.recordHypothesis(HypothesisDraft(name: "a", script: script("a")))
        let a2 = try kb.recordHypothesis(HypothesisDraft(name: "a refined", parent: a.id, script: script("a2")))
        let b = try kb.recordHypothesis(HypothesisDraft(name: "b", script: script("b")))
        try kb.recordTrials([
            failedTrial(a.id, stage: .factor, code: "factor.ic", message: "|IC| 0.011 below 0.02", shortfall: 0.45),
            failedTrial(a.id, stage: .factor, code: "factor.ic", message: "|IC| 0.019 below 0.02", shortfall: 0.05),
            failedTrial(a2.id, stage: .signal, code: "signal.win_rate", message: "win rate 38% below 40%", shortfall: 0.05, sharpe: 0.2),
            failedTrial(b.id, stage: .backtest, code: "backtest.sharpe", message: "Sharpe 0.25 below 0.3", shortfall: 0.17, sharpe: 0.25),
            failedTrial(b.id, stage: .factor, code: "factor.ic", message: "|IC| 0.002 below 0.02", shortfall: 0.9),
        ])
        #expect(try kb.trialCount() == 5)
        #expect(try kb.trialCount(family: "H001") == 3)
        #expect(try kb.trialCount(family: b.id) == 2)

        let misses = try kb.nearMisses(limit: 3)
        #expect(misses.map(\.reasonCode) == ["backtest.sharpe", "signal.win_rate", "factor.ic"])
        #expect(misses[2].reasonMessage == "|IC| 0.019 below 0.02")
        #expect(misses[0].metrics["sharpe"] == 0.25)
        #expect(misses[0].data == sampleSpan)

        let reasons = try kb.failureReasons()
        #expect(reasons.map(\.code) == ["factor.ic", "backtest.sharpe", "signal.win_rate"])
        #expect(reasons[0].count == 3)
        #expect(reasons[0].example == "|IC| 0.002 below 0.02")
        let summary = try kb.failureSummary()
        #expect(summary.hasPrefix("5 trials recorded so far."))
        #expect(summary.contains("- factor.ic (3 trials), e.g. H003 \"b\": |IC| 0.002 below 0.02"))
        #expect(summary.contains("Closest to passing:\n- H003 \"b\" reached backtest, stopped by backtest.sharpe"))
    }

    @Test("A trial's uid is recorded once; a batch with a bad trial commits none of it", arguments: TestStore.available)
    func trialBatches(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let h = try kb.recordHypothesis(HypothesisDraft(name: "h", script: script("h")))
        let t = failedTrial(h.id, stage: .factor, code: "factor.ic", message: "low", uid: "fixed-uid")
        let first = try kb.recordTrial(t)
        #expect(try kb.recordTrial(t) == first)
        #expect(try kb.trialCount() == 1)
        #expect(throws: KnowledgeError.invalid("trial for H404: no such hypothesis")) {
            try kb.recordTrials([failedTrial(h.id, stage: .factor, code: "x", message: "y"),
                                 failedTrial("H404", stage: .factor, code: "x", message: "y")])
        }
        #expect(try kb.trialCount() == 1)
        // Non-finite metrics are left out rather than stored as text.
        var odd = failedTrial(h.id, stage: .factor, code: "x", message: "y")
        odd.metrics = ["a": .nan, "b": .infinity, "c": 1.5, "d": 3]
        try kb.recordTrial(odd)
        #expect(try kb.nearMisses(limit: 1)[0].metrics == ["c": 1.5, "d": 3])
    }

    @Test("Search finds names, rationales, tags and failure messages; text is never FTS syntax", arguments: TestStore.available)
    func search(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let fade = try kb.recordHypothesis(HypothesisDraft(name: "Funding fade", rationale: "crowded longs pay funding and unwind",
                                                           tags: ["funding"], script: script("fade")))
        let breakout = try kb.recordHypothesis(HypothesisDraft(name: "Volume breakout", rationale: "range expansion on volume",
                                                               tags: ["momentum"], script: script("breakout")))
        try kb.recordTrial(failedTrial(breakout.id, stage: .signal, code: "signal.frequency", message: "only 0.4 signals per 1000 bars"))
        try kb.setStatus(fade.id, .validated)

        #expect(try kb.search("funding").map(\.hypothesis.id) == ["H001"])
        #expect(try kb.search("fund").map(\.hypothesis.id) == ["H001"])            // prefix
        #expect(try kb.search("unwinding").map(\.hypothesis.id) == ["H001"])       // stem
        #expect(try kb.search("signals per").map(\.hypothesis.id) == ["H002"])
        #expect(try kb.search("signals per")[0].matchedIn == ["failures"])
        #expect(try kb.search("frequency")[0].trials == 1)
        #expect(try kb.search(nil, status: .validated).map(\.hypothesis.id) == ["H001"])
        #expect(try kb.search(nil, tag: "momentum").map(\.hypothesis.id) == ["H002"])
        #expect(try kb.search(nil).map(\.hypothesis.id) == ["H002", "H001"])
        #expect(try kb.search(nil, limit: 1).count == 1)
        #expect(try kb.search("volume", status: .validated).isEmpty)
        #expect(try kb.search("h2").map(\.hypothesis.id) == ["H002"])
        // FTS5 operators and quotes in the user's text are plain words, not syntax errors.
        #expect(try kb.search("\"funding* OR NEAR(").map(\.hypothesis.id) == [])
        #expect(try kb.search("funding and").map(\.hypothesis.id) == ["H001"])   // "and" is a word of its rationale
        #expect(try kb.search("and").map(\.hypothesis.id) == ["H001"])           // common words are words too, on both stores
        #expect(try kb.search("on volume").map(\.hypothesis.id) == ["H002"])
        #expect(try kb.search("funding xyzzy").isEmpty)
        #expect(try kb.search("()*:^").isEmpty)
    }

    @Test("Promotion writes a self-describing strategy file and marks the hypothesis validated", arguments: TestStore.available)
    func promotion(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let text = script("Funding fade")
        let h = try kb.recordHypothesis(HypothesisDraft(name: "Funding fade", script: text))
        try kb.recordTrial(failedTrial(h.id, stage: .factor, code: "factor.ic", message: "low"))
        let validation = StrategyValidation(data: sampleSpan, metrics: ["sharpe": 1.4213, "trades": 183, "deflated_sharpe": 0.97],
                                            parameters: ["lookback": 96], version: "0.1.0")
        let s = try kb.promote(h.id, script: text, validation: validation)
        #expect(s.id == "S001")
        #expect(s.filePath == "strategies/S001-funding-fade.lua")
        #expect(s.lifetimeTrials == 1)
        let file = try String(contentsOfFile: box.path(s.filePath), encoding: .utf8)
        let expectedHeader = """
            -- llmalpha strategy S001: Funding fade
            -- promoted 2025-12-02 by llmalpha 0.1.0 from hypothesis H001
            -- data: BTCUSDT 1h 2024-01-01T00:00..2024-12-31T23:00 UTC, 8784 bars, sha256 \(sampleSpan.hash)
            -- metrics: deflated_sharpe=0.97 sharpe=1.421 trades=183
            -- parameters: lookback=96
            -- trials: 1 in the knowledge base, 1 in this family (the deflated Sharpe counts them)
            -- rerun: llmalpha run strategies/S001-funding-fade.lua --symbol BTCUSDT --interval 1h --from 2024-01-01T00:00 --to 2024-12-31T23:00 --param lookback=96


            """
        #expect(file == expectedHeader + text)
        #expect(try kb.hypothesis(h.id).status == .validated)

        // Promoting the promoted file again replaces its header instead of stacking a second one.
        let s2 = try kb.promote(h.id, script: file, validation: validation)
        #expect(s2.id == "S002")
        let file2 = try String(contentsOfFile: box.path(s2.filePath), encoding: .utf8)
        #expect(file2.components(separatedBy: KnowledgeBase.headerMarker).count == 2)
        #expect(file2.hasSuffix("\n\n" + text))

        let opening = try kb.recordHoldoutOpening(strategy: "s1", data: sampleSpan, metrics: ["sharpe": 0.8], passed: true, note: "first look")
        #expect(opening.strategy == "S001")
        #expect(try kb.strategy("S001").holdout == ["sharpe": 0.8, "passed": 1])
        try kb.recordHoldoutOpening(strategy: "S001", data: sampleSpan, metrics: ["sharpe": 0.1], passed: false)
        #expect(try kb.holdoutOpenings(strategy: "S001").count == 2)
        #expect(throws: KnowledgeError.self) { try kb.recordHoldoutOpening(strategy: "S009", data: sampleSpan, metrics: [:], passed: true) }
    }

    @Test("Stats count statuses, stages, reasons, the best trials and LLM spend", arguments: TestStore.available)
    func stats(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let a = try kb.recordHypothesis(HypothesisDraft(name: "a", script: script("a")))
        let b = try kb.recordHypothesis(HypothesisDraft(name: "b", parent: a.id, script: script("b")))
        try kb.setStatus(b.id, .rejected)
        try kb.recordTrials([
            failedTrial(a.id, stage: .factor, code: "factor.ic", message: "low"),
            failedTrial(b.id, stage: .backtest, code: "backtest.sharpe", message: "low", sharpe: 0.2),
            TrialDraft(hypothesis: a.id, parameters: ["n": 14], data: sampleSpan, stage: .holdout, passed: true,
                       metrics: ["sharpe": 1.3], durationSeconds: 1, startedAt: Date(timeIntervalSince1970: 1_764_600_000)),
            TrialDraft(hypothesis: a.id, data: sampleSpan, stage: .backtest, passed: nil, metrics: ["sharpe": -0.5],
                       durationSeconds: 1, startedAt: Date(timeIntervalSince1970: 1_764_600_000)),
        ])
        try kb.recordLLMCall(LLMCallRecord(provider: "openai", model: "gpt-x", purpose: "propose", promptTokens: 1200,
                                           completionTokens: 300, latencySeconds: 2.5, costUSD: 0.0123, requestHash: "h", status: "ok"))
        let s = try kb.stats()
        #expect(s.hypotheses == 2)
        #expect(s.hypothesesByStatus["rejected"] == 1)
        #expect(s.hypothesesByStatus["proposed"] == 1)
        #expect(s.families == 1)
        #expect(s.trials == 4 && s.passedTrials == 1 && s.failedTrials == 2 && s.unjudgedTrials == 1)
        #expect(s.stages.first { $0.stage == "backtest" }?.failed == 1)
        #expect(s.stages.first { $0.stage == "backtest" }?.reached == 2)
        #expect(s.bestBySharpe.map(\.sharpe) == [1.3, 0.2, -0.5])
        #expect(s.bestBySharpe[0].parameters == ["n": 14])
        #expect(s.failureReasons.map(\.code).sorted() == ["backtest.sharpe", "factor.ic"])
        #expect(s.llmCalls == 1 && s.llmTokens == 1500 && s.llmCostUSD == 0.0123)
        #expect(s.firstTrial == "2025-12-02T00:00:00.000Z")
    }

    @Test("Export and merge: same scripts match, new ones get fresh ids, trials merge once", arguments: TestStore.available)
    func exportAndMerge(store: TestStore) throws {
        let source = try KnowledgeSandbox(), target = try KnowledgeSandbox(store)
        defer { source.remove(); target.remove() }
        let kbA = try source.open(), kbB = try target.open()
        let shared = script("shared")
        let a1 = try kbA.recordHypothesis(HypothesisDraft(name: "shared", script: shared))
        let a2 = try kbA.recordHypothesis(HypothesisDraft(name: "child", tags: ["t"], parent: a1.id, script: script("child")))
        try kbA.recordTrials((0..<25).map { i in failedTrial(i % 2 == 0 ? a1.id : a2.id, stage: .factor, code: "factor.ic", message: "m\(i)") })
        _ = try kbB.recordHypothesis(HypothesisDraft(name: "mine", script: script("mine")))
        _ = try kbB.recordHypothesis(HypothesisDraft(name: "shared here", script: shared))

        let document = try kbA.exportDocument()
        let data = try JSONEncoder().encode(document)
        let decoded = try JSONDecoder().decode(KnowledgeBase.Document.self, from: data)
        var batches: [Int] = []
        let summary = try kbB.merge(decoded, batchSize: 10) { done, _ in batches.append(done) }
        #expect(summary.hypothesesMatched == 1 && summary.hypothesesAdded == 1)
        #expect(summary.trialsAdded == 25)
        #expect(batches == [0, 10, 20, 25])
        let child = try kbB.hypothesis("H003")
        #expect(child.name == "child" && child.parent == "H002" && child.tags == ["t"])
        #expect(try kbB.trialCount(family: "H002") == 25)
        let again = try kbB.merge(decoded)
        #expect(again.trialsAdded == 0 && again.trialsAlreadyPresent == 25)

        var csv = ""
        try kbB.exportCSV(.trials) { csv += $0 }
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 26)
        #expect(lines[0].hasSuffix("source,metric.ic_1"))
        #expect(lines[1].contains(",H002,shared here,H002,factor,0,factor.ic,m0,BTCUSDT,1h,"))
    }

    @Test("Check finishes a recording a crash interrupted, clears an empty reservation, leaves foreign files alone", arguments: TestStore.available)
    func checkAndRepair(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let h = try kb.recordHypothesis(HypothesisDraft(name: "kept", script: script("kept")))
        try kb.recordTrial(TrialDraft(hypothesis: h.id, data: sampleSpan, stage: .holdout, passed: true, metrics: ["sharpe": 1],
                                      durationSeconds: 1, startedAt: Date(timeIntervalSince1970: 0)))
        #expect(try kb.check(repair: true).findings.isEmpty)   // a passed trial (no message) is a valid index entry

        // Crash 1: H002's number was reserved and its file renamed into place; the row never committed.
        let lost = script("lost")
        let (reservation, _) = try kb.write { db in
            try kb.reserve(.hypothesis, slug: "lost-one", record: ["name": "lost one", "slug": "lost-one", "rationale": "r",
                                                                   "tags": ["t"], "origin": "offline", "created_at": "x"],
                           in: db) { _ in lost }
        }
        try lost.write(toFile: reservation.path, atomically: true, encoding: .utf8)
        // Crash 2: H003 reserved, killed before its file was written.
        _ = try kb.write { db in try kb.reserve(.hypothesis, slug: "never", record: ["name": "never"], in: db) { _ in "x" } }
        // Another knowledge base's script in the same folder.
        try script("theirs").write(toFile: box.path("hypotheses/H007-theirs.lua"), atomically: true, encoding: .utf8)
        // A temporary file of a killed write.
        try "partial".write(toFile: box.path("hypotheses/.H009-x.lua.part-1234abcd"), atomically: true, encoding: .utf8)
        if box.isPostgres {
            // A shared knowledge base leaves a fresh reservation to its writer, which may be at work.
            let fresh = try kb.check().findings.filter { $0.kind == "interrupted" }
            #expect(fresh.count == 2 && fresh.allSatisfy { $0.severity == .warning && $0.message.contains("left alone") })
            // An hour later they are crashed recordings of this machine, as on SQLite.
            try kb.write { db in try db.execute(sql: "UPDATE pending_script SET created_at = '2020-01-01T00:00:00.000Z'") }
        }

        let before = try kb.check()
        #expect(!before.ok)
        #expect(before.findings.map(\.kind) == ["interrupted", "interrupted", "foreign_file", "leftover"])
        #expect(before.findings.map(\.severity) == [.error, .warning, .warning, .warning])
        // No number is handed out twice, nor any file overwritten.
        #expect(try kb.recordHypothesis(HypothesisDraft(name: "next", script: script("next"))).id == "H008")

        let repaired = try kb.check(repair: true)
        #expect(repaired.ok)
        #expect(repaired.findings.map(\.repaired) == [true, true, false, true])
        let recovered = try kb.hypothesis("H002")
        #expect(recovered.name == "lost one" && recovered.tags == ["t"] && recovered.origin == "offline")
        #expect(recovered.scriptSHA256 == ScriptFiles.sha256(lost))
        #expect(throws: KnowledgeError.self) { try kb.hypothesis("H007") }
        #expect(FileManager.default.fileExists(atPath: box.path("hypotheses/H007-theirs.lua")))
        #expect(try kb.check().findings.map(\.kind) == ["foreign_file"])

        try "-- edited\n".write(toFile: box.path(h.scriptPath), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: box.path("hypotheses/H008-next.lua"))
        // SQLite's search index is a table of its own that can fall out of step; PostgreSQL's is
        // an index over the rows, which the server keeps.
        if !box.isPostgres { try kb.write { db in try db.execute(sql: "DELETE FROM hypothesis_fts WHERE rowid = 1") } }
        let later = try kb.check()
        #expect(Set(later.findings.map(\.kind))
                == Set(["modified_file", "missing_file", "foreign_file"] + (box.isPostgres ? [] : ["search_index"])))
        #expect(later.ok == box.isPostgres)   // SQLite's damaged index is an error
        // The database keeps every script: a file gone here is restored from it.
        #expect(later.findings.first { $0.kind == "missing_file" }?.severity == .warning)
        let fixed = try kb.check(repair: true)
        #expect(FileManager.default.fileExists(atPath: box.path("hypotheses/H008-next.lua")))
        if !box.isPostgres { #expect(fixed.findings.first { $0.kind == "search_index" }?.repaired == true) }
        #expect(try kb.search("kept").map(\.hypothesis.id) == ["H001"])
    }

    @Test("Failure search is exact on both sides of the batched index", arguments: TestStore.available)
    func searchAcrossIndexBatches(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let a = try kb.recordHypothesis(HypothesisDraft(name: "a", script: script("a")))
        let b = try kb.recordHypothesis(HypothesisDraft(name: "b", script: script("b")))
        // 300 single trials: the first 256 are indexed together, the last 44 wait in the tail.
        for i in 0..<300 {
            let message = i == 3 ? "zebra crossing" : (i == 290 ? "yak shaving" : "plain failure \(i)")
            try kb.recordTrial(failedTrial(i == 290 ? b.id : a.id, stage: .factor, code: "factor.ic", message: message))
        }
        #expect(try kb.search("zebra").map(\.hypothesis.id) == ["H001"])
        #expect(try kb.search("yak").map(\.hypothesis.id) == ["H002"])
        #expect(try kb.search("shave").map(\.hypothesis.id) == ["H002"])   // stemmed in the tail as in the index
        #expect(try kb.search("plain failure").count == 1)
        let reader = try box.open(create: false, access: .read)
        #expect(try reader.search("yak").map(\.hypothesis.id) == ["H002"])
        #expect(try kb.check(repair: true).findings.isEmpty)
    }

    @Test("Small pieces: slugs, ids, timestamps, number JSON")
    func pieces() {
        #expect(ScriptFiles.slug("  RSI(14) < 30 → buy!  ") == "rsi-14-30-buy")
        #expect(ScriptFiles.slug("???") == "untitled")
        #expect(ScriptFiles.slug(String(repeating: "word ", count: 30)).count <= 48)
        #expect(KnowledgeBase.canonicalID("h7", prefix: "H") == "H007")
        #expect(KnowledgeBase.canonicalID("1234", prefix: "H") == "H1234")
        #expect(ScriptFiles.identifier("H", 1000) == "H1000")
        let date = Date(timeIntervalSince1970: 1_764_633_600.25)
        #expect(Timestamp.iso(date) == "2025-12-02T00:00:00.250Z")
        #expect(Timestamp.parse(Timestamp.iso(date)) == date)
        let values: [String: Double] = ["b": 0.1, "a": -3, "q\"uote": 1e-300, "big": 123456789012345678]
        #expect(JSONNumbers.encode(values) == "{\"a\":-3,\"b\":0.1,\"big\":1.2345678901234568e+17,\"q\\\"uote\":1e-300}")
        #expect(JSONNumbers.decode(JSONNumbers.encode(values)) == values)
    }
}
