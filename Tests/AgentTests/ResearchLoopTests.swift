import Foundation
import Knowledge
import MarketData
import Scripting
import SyntheticMarket
import Testing
@testable import Agent
@testable import Evaluation
@testable import Validation

/// A source that hands out a fixed list of scripts, one per request, and records what it was asked.
final class ScriptedSource: HypothesisSource, @unchecked Sendable {
    // @unchecked Sendable: `next` and `asked` are guarded by `lock`.
    let origin = "scripted"
    private let scripts: [String]
    /// Picks `scripts[iteration + attempt]` instead of the next one: the same answers after a resume.
    private let byIteration: Bool
    /// Picks `scripts[history.count + attempt]`: an answer that changes with what the knowledge
    /// base learned meanwhile, as a model's would.
    var byHistory = false
    private let lock = NSLock()
    private var next = 0
    private(set) var asked: [ProposalRequest] = []

    init(_ scripts: [String], byIteration: Bool = false) {
        self.scripts = scripts
        self.byIteration = byIteration
    }

    func propose(_ request: ProposalRequest) async throws(AgentError) -> Proposal {
        guard let script = take(request) else { throw .source("the script list is exhausted") }
        return Proposal(script: script, category: .momentum, template: "scripted")
    }

    private func take(_ request: ProposalRequest) -> String? {
        lock.lock()
        defer { lock.unlock() }
        asked.append(request)
        if byIteration { return scripts[min(scripts.count - 1, request.iteration + request.attempt)] }
        if byHistory { return scripts[min(scripts.count - 1, request.history.count + request.attempt)] }
        guard next < scripts.count else { return nil }
        next += 1
        return scripts[next - 1]
    }
}

/// The first iteration a condition held at.
final class IterationBox: @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`.
    private let lock = NSLock()
    private var first: Int?
    var value: Int { lock.lock(); defer { lock.unlock() }; return first ?? -1 }
    /// True the first time only.
    func set(_ i: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard first == nil else { return false }
        first = i
        return true
    }
}

/// A project directory of its own: knowledge base and script folders.
struct Workspace {
    let root: String
    let files: ScriptFiles
    var database: String { (root as NSString).appendingPathComponent("knowledge.sqlite") }

    init() {
        root = (NSTemporaryDirectory() as NSString).appendingPathComponent("agent-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        files = ScriptFiles(hypothesesDirectory: (root as NSString).appendingPathComponent("hypotheses"),
                            strategiesDirectory: (root as NSString).appendingPathComponent("strategies"), root: root)
    }

    func open() throws -> KnowledgeBase { try KnowledgeBase.open(at: database, files: files, create: true) }
    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// The loop on markets whose truth is known: it records exactly what happened, resumes without
/// counting a trial twice, validates nothing on noise and finds a planted edge.
@Suite("Research loop")
struct ResearchLoopTests {
    static func lead(_ column: String, n: Int = 6, band: Double = 0.8) -> String {
        """
        hypothesis { name = "\(column)_lead", rationale = "d.\(column) leads returns" }
        local n = param.int("n", 1, 48, \(n))
        local band = param.float("band", 0.2, 2.0, \(band))
        function factor(d) return sma(d.\(column), n) end
        function signal(d, f) return { long = gt(f, band), short = lt(f, -band), exit = lt(abs(f), band / 4) } end
        strategy { fees = 0.0004, slippage = 0.0001 }
        """
    }

    static func options(_ mode: ValidationSettings.Mode, iterations: Int, seed: UInt64 = 7, direction: String? = nil,
                        improve: String? = nil) -> ResearchOptions {
        var validation = ValidationSettings()
        validation.trials = 16
        validation.rolling.trials = 4
        validation.honesty.lookaheadPoints = 4
        validation.warmupBars = 200
        var agent = AgentSettings()
        agent.validationMode = mode
        agent.earlyStopSharpe = 0
        var evaluation = EvaluationSettings()
        evaluation.sandbox.timeout = 2
        evaluation.sandbox.maxInstructions = 50_000_000
        return ResearchOptions(direction: direction, improve: improve, iterations: iterations, seed: seed, agent: agent,
                               validation: agent.validation(validation), evaluation: evaluation, jobs: 2, version: "test")
    }

    static func loop(_ kb: KnowledgeBase, _ source: any HypothesisSource, bars: Bars, options: ResearchOptions) throws -> ResearchLoop {
        let visible = try LockedHoldout.visible([bars], fraction: options.validation.honesty.holdout)
        return ResearchLoop(knowledge: kb, source: source, data: visible, options: options) { _, _ in bars }
    }

    @Test("A scripted sequence (good, broken, runaway, lookahead, the same again, the same factor renumbered) is recorded as it happened")
    func recordsExactly() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 8_000, seed: 11, edge: 0.12)
        let good = Self.lead("hint")
        let broken = "hypothesis { name = \"broken\" }\nfunction factor(d) return sma(d.close, 10 end\nfunction signal(d, f) return {} end\n"
        let runaway = "hypothesis { name = \"runaway\" }\nfunction factor(d) while true do end end\nfunction signal(d, f) return { long = gt(f, 0) } end\n"
        let peeking = """
            hypothesis { name = "peeking" }
            function factor(d) return forward_return(d.close, 4) end
            function signal(d, f) return { long = gt(f, 0), short = lt(f, 0) } end
            """
        let renumbered = Self.lead("hint", n: 12, band: 1.1)
        let noLayers = "hypothesis { name = \"no_layers\" }\nprint('hello')\n"
        let source = ScriptedSource([good, broken, runaway, peeking, good, renumbered, noLayers, Self.lead("noise")])
        let result = try await Self.loop(kb, source, bars: bars, options: Self.options(.quick, iterations: 6)).run { _ in }

        let steps = try kb.steps(run: result.run.id)
        #expect(steps.map(\.outcome) == [.evaluated, .invalid, .invalid, .evaluated, .duplicate, .duplicate, .invalid, .evaluated])
        #expect(steps.map(\.iteration) == [0, 1, 2, 3, 4, 4, 4, 5])
        #expect(steps[0].passed == true, "\(steps[0].feedback)")
        #expect(steps[1].reasonCode == "sandbox.syntax")
        #expect(steps[2].reasonCode?.hasPrefix("sandbox.limit") == true, "\(steps[2].reasonCode ?? "")")
        #expect(steps[3].reasonCode == "lookahead")
        #expect(steps[4].hypothesis == steps[0].hypothesis)     // the same script
        #expect(steps[5].hypothesis == steps[0].hypothesis)     // the same factor, other numbers
        #expect(steps[6].reasonCode == "sandbox.contract")
        #expect(steps[7].passed == false)                       // noise

        // Six hypotheses recorded (duplicates are not), each with its verdict; nothing left proposed.
        let hypotheses = try kb.hypotheses()
        #expect(hypotheses.count == 6)
        #expect(try hypotheses.allSatisfy { try kb.isJudged($0.id) && $0.origin == "scripted" })
        #expect(result.run.hypotheses == 6)
        #expect(result.run.duplicates == 2)
        #expect(result.run.trials == (try kb.trialCount()))
        #expect(result.iterations.map(\.verdict) == [.passed, .invalid, .invalid, .rejected, .invalid, .rejected])
        // A quick-mode pass is listed as one, not lost among the misses.
        let summary = result.summary()
        #expect(summary.contains("Passed the quick gates") && summary.contains("    \(steps[0].hypothesis ?? "?") hint_lead: "), "\(summary)")
        #expect(result.run.state == .finished)
        // The proposer was never shown a test number: its history holds in-sample feedback only.
        for request in source.asked {
            for o in request.history { #expect(!o.feedback.contains("test"), "\(o.feedback)") }
        }
    }

    @Test("The proposer's view: in-sample reasons and numbers; a walk-forward test failure is not named")
    func proposerView() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 6_000, seed: 12)
        let source = ScriptedSource([Self.lead("noise", n: 24, band: 0.3)])
        var options = Self.options(.wfOnly, iterations: 1)
        options.validation.walkForward.minValidationSharpe = -100   // let noise reach the test window
        options.validation.walkForward.minTestSharpe = 100          // and fail there
        let result = try await Self.loop(kb, source, bars: bars, options: options).run { _ in }
        let step = try #require(try kb.steps(run: result.run.id).first)
        #expect(step.passed == false)
        #expect(step.testSharpe != nil)
        #expect(step.reasonCode?.hasPrefix("wf.test") == true, "\(step.reasonCode ?? "")")
        #expect(!step.feedback.contains("test Sharpe"), "\(step.feedback)")
        #expect(step.feedback.contains("WF validation Sharpe"), "\(step.feedback)")
        #expect(step.score! >= 4 && step.score! < 5)
    }

    @Test("Resume after an interrupt in the middle of a validation: the same hypotheses, no trial counted twice")
    func resumeWithoutDuplicates() async throws {
        let bars = SyntheticMarket.bars(count: 8_000, seed: 11, edge: 0.12)
        let options = Self.options(.full, iterations: 3)
        let scripts = [Self.lead("noise"), Self.lead("hint"), Self.lead("hint_fade").replacingOccurrences(of: "sma(d.hint_fade", with: "-sma(d.hint")]
        func source() -> ScriptedSource { ScriptedSource(scripts, byIteration: true) }

        // Uninterrupted.
        let straight = Workspace()
        defer { straight.remove() }
        let kbA = try straight.open()
        let a = try await Self.loop(kbA, source(), bars: bars, options: options).run { _ in }

        #expect(a.iterations.contains { $0.stage != "factor" && $0.stage != "signal" && $0.stage != "sandbox" })

        // Interrupted during the first rolling stage of the run, then resumed.
        let cut = Workspace()
        defer { cut.remove() }
        let kbB = try cut.open()
        let first = try Self.loop(kbB, source(), bars: bars, options: options)
        let at = IterationBox()
        await #expect(throws: AgentError.self) {
            try await first.run { event in
                if case .validating(let i, _, let stage, _, _) = event, stage == "rolling", at.set(i) { first.interrupt() }
            }
        }
        let interrupted = try #require(try kbB.runs().first)
        #expect(interrupted.state == .interrupted)
        #expect(interrupted.iteration == at.value)
        let b = try await Self.loop(kbB, source(), bars: bars, options: options).run(resume: interrupted) { _ in }
        #expect(b.run.id == interrupted.id)
        #expect(b.run.state == .finished)
        #expect(b.iterations.count == 3)

        let scriptsA = try kbA.hypotheses().map(\.scriptSHA256)
        let scriptsB = try kbB.hypotheses().map(\.scriptSHA256)
        #expect(scriptsA == scriptsB)
        #expect(try kbA.trialCount() == (try kbB.trialCount()))
        #expect(a.run.trials == b.run.trials)
    }

    @Test("Resume finishes the script it had claimed, even when another run taught the source something meanwhile")
    func resumeFinishesTheClaimedScript() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 8_000, seed: 11, edge: 0.12)
        let options = Self.options(.full, iterations: 3)
        let scripts = [Self.lead("hint"), Self.lead("noise"), Self.lead("hint_fade").replacingOccurrences(of: "sma(d.hint_fade", with: "-sma(d.hint"),
                       Self.lead("noise").replacingOccurrences(of: "sma(d.noise", with: "-sma(d.noise")]
        func source() -> ScriptedSource {
            let s = ScriptedSource(scripts)
            s.byHistory = true
            return s
        }
        let first = try Self.loop(kb, source(), bars: bars, options: options)
        let at = IterationBox()
        await #expect(throws: AgentError.self) {
            try await first.run { event in
                if case .validating(let i, _, let stage, _, _) = event, stage == "rolling", at.set(i) { first.interrupt() }
            }
        }
        let interrupted = try #require(try kb.runs().first)
        let claimed = try #require(try kb.claimedScript(run: interrupted.id, iteration: interrupted.iteration))
        // Another run in between: the knowledge base (and so the source's answer) changes.
        _ = try await Self.loop(kb, ScriptedSource([Self.lead("noise", n: 30)]), bars: bars, options: Self.options(.quick, iterations: 1)).run { _ in }
        let resumed = try await Self.loop(kb, source(), bars: bars, options: options).run(resume: interrupted) { _ in }
        #expect(resumed.run.state == .finished)
        let steps = try kb.steps(run: interrupted.id)
        let finished = try #require(steps.first { $0.iteration == interrupted.iteration })
        let hypothesis = try #require(finished.hypothesis)
        #expect(try kb.hypothesis(hypothesis).scriptSHA256 == (try kb.hypothesis(forScript: claimed.script))?.scriptSHA256)
        #expect(try kb.trials(of: hypothesis, source: "validate").count == 1)
        #expect(try kb.hypotheses().allSatisfy { try kb.isJudged($0.id) })
        // Every trial either run counted is in the ledger, once; no claim is left behind.
        let runs = try kb.runs()
        #expect(runs.map(\.trials).reduce(0, +) == (try kb.trialCount()))
        #expect(try kb.claimedScript(run: interrupted.id, iteration: interrupted.iteration) == nil)
        #expect(resumed.run.duplicates == steps.filter { $0.outcome == .duplicate }.count)
    }

    @Test("On a market with no edge a full-mode offline run validates nothing")
    func noAlphaValidatesNothing() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        // The same market as the planted-edge test, the same settings, the edge taken out.
        let bars = SyntheticMarket.bars(count: 12_000, seed: 11, edge: 0)
        var options = Self.options(.full, iterations: 8, seed: 42)
        options.validation = options.agent.validation(ValidationSettings())
        let result = try await Self.loop(kb, OfflineGenerator(), bars: bars, options: options).run { _ in }
        #expect(result.iterations.count == 8)
        #expect(result.validatedCount == 0)
        #expect(result.strategies.isEmpty)
        #expect(try kb.hypotheses().allSatisfy { $0.status != .validated })
    }

    @Test("On a market with a planted edge the offline generator finds it, validates it and promotes it")
    func findsPlantedEdge() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        // The market of examples/planted-edge.csv.
        let bars = SyntheticMarket.bars(count: 12_000, seed: 11, edge: 0.12)
        // The default settings: the generated scripts use windows of hundreds of bars, which a
        // short warm-up would starve.
        var options = Self.options(.full, iterations: 8, seed: 42, direction: "hint")
        options.validation = options.agent.validation(ValidationSettings())
        options.agent.earlyStopSharpe = 0.5
        let result = try await Self.loop(kb, OfflineGenerator(), bars: bars, options: options).run { _ in }
        #expect(result.validatedCount >= 1, "\(result.summary())")
        #expect(result.iterations.contains { $0.verdict == .validated && $0.name.contains("hint_lead") })
        let strategy = try #require(result.strategies.first)
        #expect(FileManager.default.fileExists(atPath: ws.files.resolve(strategy.filePath)))
        #expect(result.bestSharpe ?? 0 >= 0.5)
        #expect(result.stopReason.hasPrefix("early stop"))
        // A later run's proposer learns from this one, in its own view only: no stage past the
        // walk-forward validation window, no reason code of a test, rolling or honesty check.
        let next = ScriptedSource([Self.lead("noise")])
        _ = try await Self.loop(kb, next, bars: bars, options: Self.options(.quick, iterations: 1)).run { _ in }
        let history = try #require(next.asked.first?.history)
        #expect(history.count == result.iterations.count)
        let hidden = ["rolling", "honesty", "holdout"]
        #expect(history.allSatisfy { !hidden.contains($0.stage) }, "\(history.map(\.stage))")
        #expect(history.allSatisfy { o in o.reasonCode.map { c in !c.hasPrefix("wf.test") && !c.hasPrefix("rolling") && !c.hasPrefix("honesty") } ?? true })
        #expect(history.allSatisfy { o in !o.metrics.keys.contains { $0.hasPrefix("wf_test") || $0.hasPrefix("rolling") || $0.hasPrefix("dsr") } })
        let summary = try #require(next.asked.first?.failureSummary)
        #expect(!summary.contains("wf.test") && !summary.contains("rolling.") && !summary.contains("honesty."), "\(summary)")

        // Every script is in hypotheses/, readable, with its rationale.
        for h in try kb.hypotheses() {
            let text = try String(contentsOfFile: ws.files.resolve(h.scriptPath), encoding: .utf8)
            #expect(text.contains("rationale"))
        }
    }

    /// A knowledge base holding one quick-mode near-miss on a weak planted edge, and its bars.
    static func withNearMiss(_ ws: Workspace) async throws -> (KnowledgeBase, Bars) {
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 4_000, seed: 41, edge: 0.05)
        _ = try await loop(kb, ScriptedSource([lead("hint", n: 30, band: 1.5)]), bars: bars,
                           options: options(.quick, iterations: 1)).run { _ in }
        return (kb, bars)
    }

    @Test("agent improve: every child is recorded with the parent, parameters first, then structure")
    func improve() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let (kb, bars) = try await Self.withNearMiss(ws)
        let parent = try #require(try kb.hypotheses().first)
        let result = try await Self.loop(kb, OfflineGenerator(), bars: bars,
                                         options: Self.options(.quick, iterations: 3, improve: parent.id)).run { _ in }
        #expect(result.iterations.count == 3)
        let children = try kb.hypotheses().filter { $0.parent == parent.id }
        #expect(children.count == 3)
        #expect(children.allSatisfy { $0.family == parent.family })
        let steps = try kb.steps(run: result.run.id)
        #expect(steps.allSatisfy { $0.action == .refine && $0.parent == parent.id })
        let last = try String(contentsOfFile: ws.files.resolve(children[2].scriptPath), encoding: .utf8)
        #expect(last.contains("-- refinement:"))
    }

    @Test("-c keeps refinement in its category: a near-miss of another category is not refined, one of its own is")
    func refinementStaysInCategory() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let (kb, bars) = try await Self.withNearMiss(ws)     // filed under momentum by the scripted source
        func secondIteration(_ category: ResearchCategory?) async throws -> ProposalRequest.Task? {
            var options = Self.options(.quick, iterations: 2)
            options.category = category
            let source = ScriptedSource([Self.lead("noise", n: 3, band: 0.5), "\(Self.lead("hint", n: 9, band: 1.2))\n-- child\n"])
            _ = try await Self.loop(kb, source, bars: bars, options: options).run { _ in }
            return source.asked.last?.task
        }
        guard case .new = try await secondIteration(.breakout) else {
            Issue.record("-c breakout refined a momentum hypothesis")
            return
        }
        guard case .refine(let target) = try await secondIteration(.momentum) else {
            Issue.record("-c momentum did not refine its own near-miss")
            return
        }
        #expect(target.outcome.category == "momentum")
    }

    @Test("Two research runs write to one knowledge base at once")
    func concurrentRuns() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let bars = SyntheticMarket.bars(count: 3_000, seed: 51)
        let kb1 = try ws.open()
        let kb2 = try ws.open()
        async let one = Self.loop(kb1, OfflineGenerator(), bars: bars, options: Self.options(.quick, iterations: 5, seed: 1)).run { _ in }
        async let two = Self.loop(kb2, OfflineGenerator(), bars: bars, options: Self.options(.quick, iterations: 5, seed: 2)).run { _ in }
        let (a, b) = try await (one, two)
        #expect(a.run.id != b.run.id)
        let steps = try kb1.steps()
        #expect(steps.filter { $0.outcome != .duplicate }.count == 10)
        let ids = try kb1.hypotheses().map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(ids.count >= 5)
    }

    @Test("Two runs with the same seed at once: the claim keeps them from evaluating one script twice")
    func concurrentRunsSameSeed() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let bars = SyntheticMarket.bars(count: 3_000, seed: 52)
        let kb1 = try ws.open()
        let kb2 = try ws.open()
        async let one = Self.loop(kb1, OfflineGenerator(), bars: bars, options: Self.options(.quick, iterations: 4, seed: 3)).run { _ in }
        async let two = Self.loop(kb2, OfflineGenerator(), bars: bars, options: Self.options(.quick, iterations: 4, seed: 3)).run { _ in }
        _ = try await (one, two)
        for h in try kb1.hypotheses() {
            let verdicts = try kb1.trials(of: h.id, source: "validate")
            #expect(verdicts.count == 1, "\(h.id) judged \(verdicts.count) times")
        }
    }
}
