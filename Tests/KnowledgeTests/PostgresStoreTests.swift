import Foundation
import Testing
@testable import Knowledge

/// What only the shared store has: addresses, a server's refusals, and connections that drop.
@Suite("Knowledge base on PostgreSQL: addresses, errors, dropped connections",
       .enabled(if: TestStore.available.contains(.postgres)))
struct PostgresStoreTests {
    @Test("A URL's parts, and a password never shown")
    func urls() throws {
        let location = try PostgresLocation(url: "postgres://team:s3cr%40t@db.internal:6543/research?sslmode=require")
        #expect(location.user == "team" && location.password == "s3cr@t" && location.host == "db.internal")
        #expect(location.port == 6543 && location.database == "research" && location.tls == .require)
        #expect(location.description == "postgres://team@db.internal:6543/research")
        #expect(PostgresLocation.redacted("postgres://team:s3cret@h/db") == "postgres://team:***@h/db")
        #expect(throws: KnowledgeError.invalid("postgres://team:***@h: the URL names no database (postgres://user@host/DATABASE)")) {
            try PostgresLocation(url: "postgres://team:s3cret@h")
        }
        #expect(throws: KnowledgeError.self) { try PostgresLocation(url: "postgres://u@h/db?sslmode=sometimes") }
        #expect(throws: KnowledgeError.self) { try PostgresLocation(url: "postgres://u@h/db?poolsize=3") }
        #expect(PostgresStatementText.numbered("a = ? AND b = '?' AND c = ?") == "a = $1 AND b = '?' AND c = $2")
    }

    @Test("A wrong password, a missing database and a closed port each say what to fix, never the password")
    func refusals() throws {
        let url = try #require(TestStore.postgresURL)
        let good = try PostgresLocation(url: url)
        let files = ScriptFiles(hypothesesDirectory: "/nonexistent/h", strategiesDirectory: "/nonexistent/s", root: "/nonexistent")
        func failure(_ url: String) -> String {
            do { _ = try KnowledgeBase.open(at: url, files: files, create: true) } catch { return "\(error)" }
            return "opened"
        }
        let wrong = failure("postgres://\(good.user):not-the-password@\(good.host):\(good.port)/\(good.database)")
        #expect(wrong.hasPrefix("postgres://\(good.user)@\(good.host):\(good.port)/\(good.database): authentication failed"))
        #expect(!wrong.contains("not-the-password"))
        let missing = failure("postgres://\(good.user):\(good.password ?? "")@\(good.host):\(good.port)/no_such_db")
        #expect(missing.contains("database no_such_db does not exist; create it with `createdb"))
        #expect(!missing.contains(good.password ?? "\u{0}"))
        let closed = failure("postgres://\(good.user):\(good.password ?? "")@127.0.0.1:1/x")
        #expect(closed.hasPrefix("postgres://\(good.user)@127.0.0.1:1/x: cannot reach the PostgreSQL server"))
    }

    @Test("Read commands never create the tables; another program's database is refused untouched")
    func missingAndForeign() throws {
        let box = try KnowledgeSandbox(.postgres)
        defer { box.remove() }
        let name = try PostgresLocation(url: box.database).description
        #expect(throws: KnowledgeError.missing(path: name)) { try box.open(create: false, access: .read) }
        let admin = PostgresStore(location: try PostgresLocation(url: box.database))
        defer { admin.close() }
        try admin.executeOutsideTransaction("CREATE TABLE cookies (name TEXT)")
        #expect(throws: KnowledgeError.foreign(path: name)) { try box.open() }
        try admin.executeOutsideTransaction("DROP TABLE cookies")
        let (kb, backup) = try KnowledgeBase.initialize(at: box.database, files: box.files, force: false)
        #expect(backup == nil && kb.isShared)
        #expect(throws: KnowledgeError.exists(path: name)) { try KnowledgeBase.initialize(at: box.database, files: box.files, force: false) }
        #expect(throws: KnowledgeError.self) { try KnowledgeBase.initialize(at: box.database, files: box.files, force: true) }
        #expect(try kb.schemaVersion() == ["v1", "v2-holdout-lock", "v3-research", "v4-llm-replies", "v5-workers"])
    }

    @Test("A connection the server drops is opened again and the work goes on")
    func droppedConnection() throws {
        let box = try KnowledgeSandbox(.postgres)
        defer { box.remove() }
        let kb = try box.open()
        let h = try kb.recordHypothesis(HypothesisDraft(name: "kept", script: script("kept")))
        let admin = PostgresStore(location: try PostgresLocation(url: TestStore.postgresURL!))
        defer { admin.close() }
        let database = try PostgresLocation(url: box.database).database
        for round in 0..<3 {
            try admin.executeOutsideTransaction("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()
                """)
            try kb.recordTrial(failedTrial(h.id, stage: .factor, code: "factor.ic", message: "after drop \(round)"))
        }
        #expect(try kb.trialCount() == 3)
    }
}
