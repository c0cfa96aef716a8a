import Knowledge
import Testing
@testable import Agent

/// The refinement bookkeeping on made-up steps: what counts as an improvement, when a family is
/// abandoned, and how much of a run one family may take.
@Suite("Refinement bookkeeping")
struct LoopStateTests {
    static func state(_ ws: Workspace, iterations: Int) throws -> LoopState {
        try LoopState(runID: "R001", progress: ResearchProgress(), knowledge: try ws.open(),
                      options: ResearchLoopTests.options(.quick, iterations: iterations))
    }

    /// Feeds one evaluated step of run R001 with this in-sample score.
    static func absorb(_ state: inout LoopState, _ hypothesis: String, family: String, parent: String?, score: Double) {
        let step = ResearchStep(run: "R001", iteration: 0, attempt: 0, outcome: .evaluated, action: parent == nil ? .new : .refine,
                                hypothesis: hypothesis, parent: parent, family: family, category: "momentum", stage: "signal",
                                passed: false, score: score)
        let outcome = ProposerOutcome(hypothesis: hypothesis, name: hypothesis.lowercased(), category: "momentum", stage: "signal",
                                      reasonCode: "signal.edge", feedback: "", score: score)
        state.absorb(step, outcome: outcome, validated: false)
    }

    @Test("Gains under 0.02 do not count, even when they add up: three such refinements abandon the family")
    func creepingChainIsAbandoned() throws {
        let ws = Workspace()
        defer { ws.remove() }
        var state = try Self.state(ws, iterations: 40)
        Self.absorb(&state, "H001", family: "H001", parent: nil, score: 2.50)
        Self.absorb(&state, "H002", family: "H001", parent: "H001", score: 2.515)
        Self.absorb(&state, "H003", family: "H001", parent: "H002", score: 2.53)    // 0.03 over the root, 0.015 over H002
        #expect(!state.abandonedFamilies.contains("H001"))
        Self.absorb(&state, "H004", family: "H001", parent: "H003", score: 2.545)
        #expect(state.abandonedFamilies.contains("H001"))
        // A clear gain resets the count.
        Self.absorb(&state, "H010", family: "H010", parent: nil, score: 2.0)
        Self.absorb(&state, "H011", family: "H010", parent: "H010", score: 2.01)
        Self.absorb(&state, "H012", family: "H010", parent: "H011", score: 2.2)
        Self.absorb(&state, "H013", family: "H010", parent: "H012", score: 2.21)
        Self.absorb(&state, "H014", family: "H010", parent: "H013", score: 2.22)
        #expect(!state.abandonedFamilies.contains("H010"))
    }

    @Test("One family takes at most a quarter of a run's iterations (at least four) before others are refined")
    func familyShare() throws {
        let ws = Workspace()
        defer { ws.remove() }
        var state = try Self.state(ws, iterations: 20)       // a share of max(4, 20 / 4) = 5
        #expect(state.familyShare == 5)
        Self.absorb(&state, "H020", family: "H020", parent: nil, score: 1.6)
        Self.absorb(&state, "H001", family: "H001", parent: nil, score: 2.0)
        var parent = "H001"
        for (i, score) in [2.1, 2.2, 2.3, 2.4].enumerated() {
            let id = "H00\(i + 2)"
            Self.absorb(&state, id, family: "H001", parent: parent, score: score)
            parent = id
        }
        #expect(state.refinementCandidate()?.hypothesis == "H005")   // four refinements: still the best
        Self.absorb(&state, "H006", family: "H001", parent: "H005", score: 2.5)
        #expect(state.refinementCandidate()?.hypothesis == "H020")   // its share is spent: the next family
    }
}
