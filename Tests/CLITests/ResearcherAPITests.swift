import Foundation
import LLMAlpha
import Testing

/// `import LLMAlpha` as the README shows it: a Researcher, its event stream, improve.
@Suite("Researcher API")
struct ResearcherAPITests {
    @Test("research streams events ending in a result; improve refines; analyze reads what was learned")
    func readmeExample() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = try Configuration.load(projectFile: CLI.projectRoot.appendingPathComponent("configs/default.yaml").path,
                                                   file: nil, environment: [:])
        configuration.knowledge.hypothesesDirectory = dir.appendingPathComponent("hypotheses").path
        configuration.knowledge.strategiesDirectory = dir.appendingPathComponent("strategies").path
        configuration.agent.validationMode = .quick
        let researcher = try Researcher(configuration: configuration, paths: ProjectPaths(environment: ["LLMALPHA_HOME": CLI.projectRoot.path]))
        researcher.knowledgePath = dir.appendingPathComponent("kb.sqlite").path
        researcher.iterations = 4
        researcher.symbols = ["BTCUSDT"]
        researcher.provider = .offline

        var finished: [IterationRecord] = []
        var result: ResearchResult? = nil
        for try await event in researcher.research(requirements: "funding crowding", category: .funding) {
            if case .finished(let r) = event { finished.append(r) }
            if case .completed(let r) = event { result = r }
        }
        let done = try #require(result)
        #expect(finished.count == 4)
        #expect(done.iterations.count == 4)
        #expect(done.summary().hasPrefix("Research run R001 (offline, seed 42)"))
        #expect(finished.allSatisfy { $0.category == "funding" || $0.action == .refine })
        let first = try #require(finished.first?.hypothesis)

        var children: [IterationRecord] = []
        for try await case .finished(let child) in researcher.improve(first, iterations: 2) { children.append(child) }
        #expect(children.count == 2 && children.allSatisfy { $0.parent == first })
        #expect(try researcher.analyze().hypotheses == 6)
    }
}
