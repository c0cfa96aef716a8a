import Foundation
import Testing
@testable import Knowledge

/// Many workers on one knowledge base: claims, takeovers, and the one holdout.
@Suite("Knowledge base: work items, claims and the holdout race")
struct WorkItemTests {
    static func plannedRun(_ kb: KnowledgeBase, iterations: Int) throws -> ResearchRun {
        let run = try kb.startRun(provider: "offline", model: nil, seed: 1, settings: [:], maxIterations: iterations)
        try kb.planWork(run: run.id, iterations: 0..<iterations)
        return run
    }

    @Test("Four workers with their own connections claim every item exactly once", arguments: TestStore.available)
    func claimsAreExclusive(store: TestStore) async throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let run = try Self.plannedRun(kb, iterations: 40)
        let claimed = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                let own = try box.open(create: false)
                group.addTask {
                    let worker = try own.registerWorker(run: run.id)
                    var mine: [Int] = []
                    while let claim = try own.claimWork(run: run.id, worker: worker, grace: 60) {
                        mine.append(claim.iteration)
                        try own.finishWork(claim, worker: worker, step: nil, progress: ResearchProgress())
                    }
                    try own.stopWorker(worker, state: .finished)
                    return mine
                }
            }
            var all: [Int] = []
            for try await part in group { all += part }
            return all
        }
        #expect(claimed.sorted() == Array(0..<40))
        let status = try kb.workStatus(run: run.id)
        #expect(status.done == 40 && status.isComplete && status.takeovers == 0)
        #expect(status.workers.map(\.itemsDone).reduce(0, +) == 40)
        #expect(status.workers.allSatisfy { $0.state == .finished })
        #expect(try kb.run(run.id).iteration == 40)
    }

    @Test("A claim gone quiet past the grace period is taken over, counted; released claims go back at once",
          arguments: TestStore.available)
    func takeoverAndRelease(store: TestStore) throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let run = try Self.plannedRun(kb, iterations: 2)
        let a = try kb.registerWorker(run: run.id), b = try kb.registerWorker(run: run.id)
        let first = try #require(try kb.claimWork(run: run.id, worker: a, grace: 30))
        #expect(first.iteration == 0 && first.takenOverFrom == nil)
        // Fresh: b gets the next item, not a's.
        let second = try #require(try kb.claimWork(run: run.id, worker: b, grace: 30))
        #expect(second.iteration == 1)
        try kb.releaseWork(second, worker: b)
        #expect(try kb.claimWork(run: run.id, worker: b, grace: 30)?.iteration == 1)
        #expect(try kb.claimWork(run: run.id, worker: b, grace: 30) == nil)   // a's is still fresh
        // a goes quiet: its last heartbeat a minute ago, by the database's clock.
        try kb.write { db in
            try db.execute(sql: "UPDATE work_item SET heartbeat_at = heartbeat_at - 60 WHERE worker = ?", arguments: [a])
        }
        let taken = try #require(try kb.claimWork(run: run.id, worker: b, grace: 30))
        #expect(taken.iteration == 0 && taken.takenOverFrom == a)
        #expect(try kb.heartbeat(worker: a, claim: first) == false)   // a learns it lost the claim
        #expect(try kb.heartbeat(worker: b, claim: taken) == true)
        // a comes back and finishes anyway: nothing of it is recorded; b's finish is the iteration's.
        let step = ResearchStep(run: run.id, iteration: 0, attempt: 0, outcome: .evaluated, action: .new)
        #expect(try kb.finishWork(first, worker: a, step: step, progress: ResearchProgress()) == false)
        #expect(try kb.steps(run: run.id).isEmpty)
        #expect(try kb.finishWork(taken, worker: b, step: step, progress: ResearchProgress()) == true)
        #expect(try kb.steps(run: run.id).count == 1)
        let status = try kb.workStatus(run: run.id)
        #expect(status.workers.first { $0.id == a }?.itemsDone == 0)
        #expect(try kb.workStatus(run: run.id).takeovers == 1)
    }

    @Test("Two workers racing to open one hypothesis's holdout: one wins, the other gets a clear error",
          arguments: TestStore.available)
    func holdoutRace(store: TestStore) async throws {
        let box = try KnowledgeSandbox(store)
        defer { box.remove() }
        let kb = try box.open()
        let ids = try (0..<10).map { try kb.recordHypothesis(HypothesisDraft(name: "h\($0)", script: script("h\($0)"))).id }
        let other = try box.open(create: false)
        for id in ids {
            async let left = Result { try kb.openHoldout(of: id, trial: nil) }
            async let right = Result { try other.openHoldout(of: id, trial: nil) }
            let outcomes = await [left, right]
            #expect(outcomes.filter { (try? $0.get()) != nil }.count == 1)
            let refused = outcomes.compactMap { result -> KnowledgeError? in
                if case .failure(let e) = result { return e as? KnowledgeError }
                return nil
            }
            #expect(refused.count == 1)
            if case .holdoutOpened(let h, _, _)? = refused.first { #expect(h == id) } else { Issue.record("not holdoutOpened: \(refused)") }
        }
    }
}
