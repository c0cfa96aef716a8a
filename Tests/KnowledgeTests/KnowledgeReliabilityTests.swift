import Foundation
import GRDB
import Testing
@testable import Knowledge

@Suite("Knowledge base: bad files, full disk, concurrent writers")
struct KnowledgeReliabilityTests {
    @Test("A file that is not SQLite is refused and left byte for byte as it was")
    func notSQLite() throws {
        let box = try KnowledgeSandbox()
        defer { box.remove() }
        try FileManager.default.createDirectory(atPath: box.path("data"), withIntermediateDirectories: true)
        let text = "open_time,open,high\n1,2,3\n"
        try text.write(toFile: box.database, atomically: true, encoding: .utf8)
        #expect(throws: KnowledgeError.notADatabase(path: box.database)) { try box.open() }
        #expect(throws: KnowledgeError.notADatabase(path: box.database)) { try box.open(create: false, access: .read) }
        #expect(throws: KnowledgeError.notADatabase(path: box.database)) {
            try KnowledgeBase.initialize(at: box.database, files: box.files, force: false)
        }
        #expect(try String(contentsOfFile: box.database, encoding: .utf8) == text)
        #expect(!FileManager.default.fileExists(atPath: box.database + "-wal"))
        #expect(KnowledgeError.notADatabase(path: "x").description == "x: not a SQLite database; refusing to touch it (choose another file with --kb)")
    }

    @Test("Another program's SQLite database is refused untouched")
    func foreignDatabase() throws {
        let box = try KnowledgeSandbox()
        defer { box.remove() }
        try FileManager.default.createDirectory(atPath: box.path("data"), withIntermediateDirectories: true)
        let other = try DatabaseQueue(path: box.database)
        try other.write { db in try db.execute(sql: "CREATE TABLE cookies (name TEXT); INSERT INTO cookies VALUES ('x')") }
        try other.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: box.database))
        #expect(throws: KnowledgeError.foreign(path: box.database)) { try box.open() }
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.database)) == before)
    }

    @Test("A database from a newer schema is refused with the steps this build lacks", arguments: TestStore.available)
    func newerSchema(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        _ = try kb.recordHypothesis(HypothesisDraft(name: "kept", script: script("kept")))
        let table = box.isPostgres ? "llmalpha_migrations" : "grdb_migrations"
        try kb.write { db in try db.execute(sql: "INSERT INTO \(table) (identifier) VALUES ('v7-future')") }
        #expect(throws: KnowledgeError.newerSchema(path: box.shownName, unknown: ["v7-future"])) { try box.open() }
        #expect(throws: KnowledgeError.newerSchema(path: box.shownName, unknown: ["v7-future"])) { try box.open(access: .read) }
    }

    @Test("Read commands never create a database; init refuses to overwrite, --force backs up")
    func missingAndInit() throws {
        let box = try KnowledgeSandbox()
        defer { box.remove() }
        #expect(throws: KnowledgeError.missing(path: box.database)) { try box.open(create: false, access: .read) }
        #expect(!FileManager.default.fileExists(atPath: box.database))
        let (kb, none) = try KnowledgeBase.initialize(at: box.database, files: box.files, force: false)
        #expect(none == nil)
        _ = try kb.recordHypothesis(HypothesisDraft(name: "kept", script: script("kept")))
        #expect(throws: KnowledgeError.exists(path: box.database)) {
            try KnowledgeBase.initialize(at: box.database, files: box.files, force: false)
        }
        let (fresh, backup) = try KnowledgeBase.initialize(at: box.database, files: box.files, force: true,
                                                           now: { Date(timeIntervalSince1970: 1_764_633_600) })
        #expect(backup == box.database + ".20251202T000000Z.bak")
        #expect(try fresh.search(nil).isEmpty)
        let old = try KnowledgeBase.open(at: backup!, files: box.files)
        #expect(try old.hypothesis("H001").name == "kept")
    }

    @Test("A full disk fails the write with a clear error; everything committed before stays")
    func fullDisk() throws {
        let box = try KnowledgeSandbox()
        defer { box.remove() }
        let kb = try box.open(maximumPages: 160)
        let h = try kb.recordHypothesis(HypothesisDraft(name: "h", script: script("h")))
        var committed = 0
        var failure: KnowledgeError? = nil
        let longMessage = String(repeating: "the factor's rank IC was below the threshold ", count: 20)
        while failure == nil && committed < 10_000 {
            do {
                try kb.recordTrials((0..<20).map { _ in failedTrial(h.id, stage: .factor, code: "factor.ic", message: longMessage) })
                committed += 20
            } catch {
                failure = error
            }
        }
        #expect(failure == .diskFull(path: box.database))
        #expect(committed > 0)
        #expect(try kb.trialCount() == committed)
        // After the failure the database is whole and still answers.
        #expect(try kb.check().ok)
        let reopened = try box.open(create: false)
        #expect(try reopened.trialCount() == committed)
        // A new hypothesis that cannot be committed leaves no orphan script behind.
        #expect(throws: KnowledgeError.diskFull(path: box.database)) {
            try kb.recordHypothesis(HypothesisDraft(name: "too big", rationale: String(repeating: "r", count: 400_000), script: script("big")))
        }
        #expect(!FileManager.default.fileExists(atPath: box.path("hypotheses/H002-too-big.lua")))
    }

    @Test("A damaged database is reported by check, which never writes to it")
    func damaged() throws {
        let box = try KnowledgeSandbox()
        defer { box.remove() }
        do {
            let kb = try box.open()
            let h = try kb.recordHypothesis(HypothesisDraft(name: "h", script: script("h")))
            try kb.recordTrials((0..<400).map { _ in failedTrial(h.id, stage: .factor, code: "factor.ic", message: "x") })
        }
        // Checkpoint, then overwrite pages in the middle of the file with garbage.
        let queue = try DatabaseQueue(path: box.database)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: box.database))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data(repeating: 0x5A, count: 8192))
        try handle.close()
        let damaged = try Data(contentsOf: URL(fileURLWithPath: box.database))
        do {
            let kb = try box.open(create: false, access: .read)   // as `kb check` opens it
            let report = try kb.check()
            #expect(!report.ok)
            #expect(report.findings.allSatisfy { $0.kind == "integrity" })
        } catch let error as KnowledgeError {
            guard case .corrupt = error else { Issue.record("unexpected \(error)"); return }
        }
        let after = try Data(contentsOf: URL(fileURLWithPath: box.database))
        if after != damaged {
            let firstDiff = zip(after, damaged).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            Issue.record("changed: sizes \(after.count) vs \(damaged.count), first difference at \(firstDiff ?? -1)")
        }
    }

    @Test("Two writers on one knowledge base, each with its own connection, lose nothing", arguments: TestStore.available)
    func concurrentWriters(store: TestStore) async throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let first = try box.open()
        let h = try first.recordHypothesis(HypothesisDraft(name: "shared", script: script("shared")))
        let second = try box.open(create: false)
        async let a: Void = Task.detached {
            for i in 0..<100 {
                try first.recordTrial(failedTrial(h.id, stage: .factor, code: "a", message: "a\(i)"))
                _ = try first.recordHypothesis(HypothesisDraft(name: "a\(i)", script: script("a\(i)")))
            }
        }.value
        async let b: Void = Task.detached {
            for i in 0..<100 {
                try second.recordTrial(failedTrial(h.id, stage: .factor, code: "b", message: "b\(i)"))
                _ = try second.recordHypothesis(HypothesisDraft(name: "b\(i)", script: script("b\(i)")))
                _ = try second.stats()
            }
        }.value
        _ = try await (a, b)
        #expect(try first.trialCount() == 200)
        let ids = try first.search(nil, limit: 1000).map(\.hypothesis.id)
        #expect(ids.count == 201)
        #expect(Set(ids).count == 201)
        #expect(try first.check().ok)
    }
}
