import Foundation
@testable import Knowledge

/// A throwaway project directory with a knowledge base and its script folders.
struct KnowledgeSandbox {
    let root: String
    let files: ScriptFiles
    var database: String { (root as NSString).appendingPathComponent("data/knowledge.sqlite") }

    init() {
        root = (NSTemporaryDirectory() as NSString).appendingPathComponent("kb-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        files = ScriptFiles(hypothesesDirectory: (root as NSString).appendingPathComponent("hypotheses"),
                            strategiesDirectory: (root as NSString).appendingPathComponent("strategies"), root: root)
    }

    func open(create: Bool = true, access: KnowledgeBase.Access = .write, maximumPages: Int? = nil) throws -> KnowledgeBase {
        try KnowledgeBase.open(at: database, files: files, access: access, create: create, now: { Date(timeIntervalSince1970: 1_764_633_600) },
                               maximumPages: maximumPages)
    }

    func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
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
