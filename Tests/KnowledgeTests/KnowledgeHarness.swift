import Foundation
@testable import Knowledge

/// The stores the store-independent tests run against: SQLite always; PostgreSQL when
/// `LLMALPHA_TEST_POSTGRES_URL` names a server (scripts/test starts one), and always under CI,
/// where a missing server fails the tests instead of skipping them.
enum TestStore: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres

    static var available: [TestStore] {
        postgresURL != nil || ProcessInfo.processInfo.environment["CI"] == "true" ? [.sqlite, .postgres] : [.sqlite]
    }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["LLMALPHA_TEST_POSTGRES_URL"] }

    var description: String { rawValue }
}

/// A throwaway project directory with a knowledge base and its script folders: a SQLite file in
/// the directory, or a new database of its own on the test PostgreSQL server.
struct KnowledgeSandbox {
    let root: String
    let files: ScriptFiles
    let database: String

    init(_ store: TestStore = .sqlite) throws {
        root = (NSTemporaryDirectory() as NSString).appendingPathComponent("kb-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        files = ScriptFiles(hypothesesDirectory: (root as NSString).appendingPathComponent("hypotheses"),
                            strategiesDirectory: (root as NSString).appendingPathComponent("strategies"), root: root)
        switch store {
        case .sqlite:
            database = (root as NSString).appendingPathComponent("data/knowledge.sqlite")
        case .postgres:
            guard let url = TestStore.postgresURL else {
                throw KnowledgeError.invalid("CI runs the knowledge base's tests on PostgreSQL too: set LLMALPHA_TEST_POSTGRES_URL (scripts/test does)")
            }
            database = try PostgresScratch.create(besides: url)
        }
    }

    var isPostgres: Bool { PostgresLocation.isURL(database) }

    /// What errors name the knowledge base by: the path, or the URL without its password.
    var shownName: String { isPostgres ? (try! PostgresLocation(url: database)).description : database }

    func open(create: Bool = true, access: KnowledgeBase.Access = .write, maximumPages: Int? = nil) throws -> KnowledgeBase {
        try KnowledgeBase.open(at: database, files: files, access: access, create: create, now: { Date(timeIntervalSince1970: 1_764_633_600) },
                               maximumPages: maximumPages)
    }

    func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
        if isPostgres, let server = TestStore.postgresURL { PostgresScratch.drop(database, server: server) }
    }
}

let sampleSpan = DataSpan(symbols: ["BTCUSDT"], interval: "1h", from: 1_704_067_200_000, to: 1_735_686_000_000, bars: 8784,
                          hash: String(repeating: "ab", count: 32))

func script(_ name: String, _ body: String = "return 1") -> String {
    "hypothesis { name = \"\(name)\" }\nfunction factor(d) \(body) end\n"
}

func failedTrial(_ hypothesis: String, stage: TrialStage, code: String, message: String, shortfall: Double? = nil,
                 sharpe: Double? = nil, parameters: [String: Double] = [:], uid: String = UUID().uuidString) -> TrialDraft {
    var metrics: [String: Double] = ["ic_1": 0.01]
    if let sharpe { metrics["sharpe"] = sharpe }
    return TrialDraft(hypothesis: hypothesis, parameters: parameters, data: sampleSpan, stage: stage, passed: false,
                      reasonCode: code, reasonMessage: message, metrics: metrics, shortfall: shortfall, seed: 7,
                      durationSeconds: 0.02, startedAt: Date(timeIntervalSince1970: 1_764_633_000), source: "test", uid: uid)
}
