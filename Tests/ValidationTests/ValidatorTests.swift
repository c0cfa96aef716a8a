import Foundation
import Knowledge
import MarketData
import Scripting
import SyntheticMarket
import Testing
@testable import Evaluation
@testable import Validation

/// The validator on markets whose truth is known (SyntheticMarket): noise must be rejected, a
/// planted edge must pass, and every way of reading the future must be caught.
@Suite("Validator on synthetic markets")
struct ValidatorTests {
    static func script(column: String) -> String {
        """
        hypothesis { name = "\(column)_lead", rationale = "d.\(column) leads returns" }
        local n = param.int("n", 1, 48, 6)
        local band = param.float("band", 0.2, 2.0, 0.8)
        function factor(d) return sma(d.\(column), n) end
        function signal(d, f) return { long = gt(f, band), short = lt(f, -band), exit = lt(abs(f), band / 4) } end
        strategy { fees = 0.0004, slippage = 0.0001 }
        """
    }

    /// Settings that keep a test quick without changing what is judged.
    static func settings(_ mode: ValidationSettings.Mode) -> ValidationSettings {
        var s = ValidationSettings()
        s.mode = mode
        s.trials = 24
        s.rolling.trials = 6
        s.honesty.lookaheadPoints = 6
        s.warmupBars = 200
        return s
    }

    static func validate(_ source: String, bars: Bars, settings: ValidationSettings, knowledge: KnowledgeBase? = nil,
                         path: String = "synthetic.lua") async throws -> ValidationReport {
        let visible = try LockedHoldout.visible(bars, fraction: settings.honesty.holdout)
        let validator = Validator(settings: settings, evaluation: EvaluationSettings(), jobs: 2, knowledge: knowledge,
                                  record: knowledge != nil)
        return try await validator.validate(source: source, path: path, data: [visible])
    }

    @Test("A pure-noise factor fails the gates in at least 95 of 100 seeded markets")
    func noiseIsRejected() async throws {
        var s = Self.settings(.quick)
        s.honesty.lookaheadPoints = 2
        var passed: [UInt64] = []
        for seed in UInt64(1)...100 {
            let bars = SyntheticMarket.bars(count: 3_000, seed: seed)
            let report = try await Self.validate(Self.script(column: "noise"), bars: bars, settings: s)
            if report.passed { passed.append(seed) }
        }
        #expect(passed.count <= 5, "noise passed on seeds \(passed)")
    }

    @Test("Noise through every stage of the full mode: rejected, and its PBO is not flattered by trials that never trade")
    func noiseInFullMode() async throws {
        // `band` up to 8 standard deviations: most of the range never trades. Those trials must
        // not count as losers the in-sample winner beats, or noise would score a PBO near 0.
        let source = Self.script(column: "noise").replacingOccurrences(of: "param.float(\"band\", 0.2, 2.0, 0.8)",
                                                                      with: "param.float(\"band\", 0.3, 8.0, 0.8)")
        var s = Self.settings(.full)
        s.trials = 30
        var pbos: [Double] = []
        for seed in UInt64(21)...26 {
            let validator = Validator(settings: s, evaluation: EvaluationSettings(), jobs: 2, knowledge: nil, record: false, allStages: true)
            let visible = try LockedHoldout.visible(SyntheticMarket.bars(count: 6_000, seed: seed), fraction: 0.2)
            let report = try await validator.validate(source: source, path: "noise.lua", data: [visible])
            #expect(!report.passed, "noise passed on seed \(seed)")
            if let pbo = report.metric("pbo") { pbos.append(pbo) }
        }
        let mean = pbos.isEmpty ? 0.5 : pbos.reduce(0, +) / Double(pbos.count)
        #expect(mean > 0.25 && mean < 0.75, "mean PBO of noise \(mean) over \(pbos)")
    }

    @Test("A planted edge passes every stage of the full mode, and the verdict is recorded")
    func plantedEdgePasses() async throws {
        try await KnowledgeScratch.with { kb in
            let bars = SyntheticMarket.bars(count: 16_000, seed: 11, edge: 0.12)
            let report = try await Self.validate(Self.script(column: "hint"), bars: bars, settings: Self.settings(.full), knowledge: kb)
            let summary = report.symbols[0].stages.map { "\($0.stage.rawValue): \($0.failure?.message ?? "pass")" }
            #expect(report.passed, "\(summary)")
            #expect(report.symbols[0].stages.map(\.stage) == ValidationStage.allCases)
            let recorded = try #require(report.recorded)
            let trial = try kb.trial(recorded.trial)
            #expect(trial.passed == true && trial.stage == .holdout && trial.source == "validate")
            #expect(trial.metrics["dsr"] != nil && trial.metrics["pbo"] != nil && trial.metrics["holdout_from"] != nil, "\(trial.metrics.keys.sorted())")
            // Every optimizer trial counts: walk-forward plus each rolling window's.
            let optimizer = try kb.trials(of: recorded.hypothesis, source: "optimizer", limit: 10_000)
            #expect(optimizer.count == report.runTrials - 1)
            #expect(report.lifetimeTrials == (try kb.trialCount()))
            #expect(try kb.hypothesis(recorded.hypothesis).status == .validated)
            // The same validation again: every earlier trial counts, so luck's bar is higher.
            let again = try await Self.validate(Self.script(column: "hint"), bars: bars, settings: Self.settings(.full), knowledge: kb)
            let (first, second) = (report.metric("dsr_threshold") ?? .nan, again.metric("dsr_threshold") ?? .nan)
            #expect(again.lifetimeTrials > report.lifetimeTrials && second > first, "SR0 \(first) then \(second)")
        }
    }

    @Test("A parameter space smaller than pbo_min_trials is judged on every point it has")
    func smallSpace() async throws {
        let source = Self.script(column: "hint")
            .replacingOccurrences(of: "local n = param.int(\"n\", 1, 48, 6)", with: "local n = param.choice(\"n\", { 3, 6, 12 }, 6)")
            .replacingOccurrences(of: "local band = param.float(\"band\", 0.2, 2.0, 0.8)", with: "local band = 0.8")
        let report = try await Self.validate(source, bars: SyntheticMarket.bars(count: 16_000, seed: 11, edge: 0.12),
                                             settings: Self.settings(.full))
        #expect(report.passed, "\(report.failure?.check.message ?? "")")
        #expect(report.metric("pbo") != nil)
    }

    @Test("An interrupt stops the validation in flight; a later one starts afresh")
    func interruptIsPerValidation() async throws {
        let bars = SyntheticMarket.bars(count: 6_000, seed: 5, edge: 0.12)
        let visible = try LockedHoldout.visible(bars, fraction: 0.2)
        var s = Self.settings(.wfOnly)
        s.trials = 400
        let validator = Validator(settings: s, evaluation: EvaluationSettings(), jobs: 2, knowledge: nil, record: false)
        validator.interrupt()   // nothing running: no effect on what comes later
        // Interrupt from inside the walk-forward optimization (its first finished trial), not after a
        // sleep: on a loaded machine a sleeping test may wake only after the validation has ended.
        let sent = StartedFlag()
        async let first = validator.validate(source: Self.script(column: "hint"), path: "s.lua", data: [visible]) { p in
            guard p.stage == .walkForward, p.done >= 1, !sent.isSet else { return }
            sent.set()
            validator.interrupt()
        }
        do {
            _ = try await first
            Issue.record("expected the running validation to be interrupted (interrupt sent: \(sent.isSet))")
        } catch let error as ValidatorError {
            guard case .interrupted = error else { Issue.record("\(error)"); return }
        }
        var quick = Self.settings(.quick)
        quick.trials = 5
        let later = Validator(settings: quick, evaluation: EvaluationSettings(), jobs: 2, knowledge: nil, record: false)
        later.interrupt()
        _ = try await later.validate(source: Self.script(column: "hint"), path: "s.lua", data: [visible])
    }

    @Test("The same seed gives the same chosen parameters whatever the number of jobs")
    func deterministicAcrossJobs() async throws {
        let bars = SyntheticMarket.bars(count: 6_000, seed: 5, edge: 0.12)
        let visible = try LockedHoldout.visible(bars, fraction: 0.2)
        var chosen: [[String: String]] = []
        for jobs in [1, 2, 3] {
            let validator = Validator(settings: Self.settings(.wfOnly), evaluation: EvaluationSettings(), jobs: jobs, knowledge: nil,
                                      record: false)
            chosen.append(try await validator.validate(source: Self.script(column: "hint"), path: "s.lua", data: [visible]).chosen)
        }
        #expect(chosen[0] == chosen[1] && chosen[1] == chosen[2], "\(chosen)")
    }

    @Test("Lookahead is caught: forward_return, a value from the end of the data, a peek in the masks", arguments: [
        ("local fwd = forward_return(d, 1)\nfunction factor(d) return fwd end", "forward_return"),
        ("function factor(d) local f = forward_return(d.close, 1) return d.close * (1 + f) end", "forward_return"),
        ("function factor(d) return d.close / d.close[#d.close] end", "factor at bar"),
    ])
    func lookaheadIsCaught(body: String, message: String) async throws {
        let source = body + "\nfunction signal(d, f) return { long = gt(f, 1), exit = lt(f, 1) } end\n"
        let report = try await Self.validate(source, bars: SyntheticMarket.bars(count: 2_000, seed: 3), settings: Self.settings(.quick))
        let failure = try #require(report.failure)
        #expect(failure.check.code == .lookahead)
        #expect(failure.stage.stage == .lookahead)
        #expect(failure.check.message.contains(message), "\(failure.check.message)")
        #expect(report.symbols[0].notRun == [.factor, .signal, .backtest])
    }

    @Test("A signal that peeks at the next bar is caught with its column and first bar")
    func peekInTheMasks() async throws {
        // The entry mask compares the close with the last close of the data: it changes when the
        // data is cut short.
        let source = """
            function factor(d) return rsi(d.close, 14) end
            function signal(d, f)
              local last = d.close[#d.close]
              return { long = gt(d.close, last), exit = lt(d.close, last) }
            end
            """
        let report = try await Self.validate(source, bars: SyntheticMarket.bars(count: 2_000, seed: 4), settings: Self.settings(.quick))
        let failure = try #require(report.failure)
        #expect(failure.check.code == .lookahead)
        #expect(failure.check.message.hasPrefix("entries at bar ") || failure.check.message.hasPrefix("exits at bar "),
                "\(failure.check.message)")
        #expect(failure.check.message.contains("with all bars: the script reads bars after the one it computes"))
    }

    @Test("A clean script passes the lookahead check at every truncation point")
    func cleanScriptPassesLookahead() async throws {
        let report = try await Self.validate(Self.script(column: "hint"), bars: SyntheticMarket.bars(count: 2_000, seed: 6),
                                       settings: Self.settings(.quick))
        let stage = try #require(report.symbols[0].stages.first)
        #expect(stage.stage == .lookahead && stage.passed)
        #expect(stage.metrics["lookahead_points"] == 6)
    }

    @Test("A 4h trend filter through resample passes the lookahead check; a resample read from the data's end does not")
    func resampleHasNoLookahead() async throws {
        let clean = """
            function factor(d) return resample(d.close, "4h") / resample(sma(d.close, 12), "4h") - 1 end
            function signal(d, f) return { long = gt(f, 0.01), exit = lt(f, 0) } end
            """
        let bars = SyntheticMarket.bars(count: 2_000, seed: 6)
        let report = try await Self.validate(clean, bars: bars, settings: Self.settings(.quick))
        let stage = try #require(report.symbols[0].stages.first)
        #expect(stage.stage == .lookahead && stage.passed, "\(stage.failure?.message ?? "")")
        let peeking = """
            function factor(d) local c = resample(d, "4h").close return c / c[#c] end
            function signal(d, f) return { long = gt(f, 1), exit = lt(f, 1) } end
            """
        let caught = try await Self.validate(peeking, bars: bars, settings: Self.settings(.quick))
        #expect(caught.failure?.check.code == .lookahead)
    }

    @Test("market(): another symbol aligned by open time passes the lookahead check; reading its last bar is caught")
    func marketHasNoLookahead() async throws {
        var bars = SyntheticMarket.bars(count: 2_000, seed: 6)
        let other = SyntheticMarket.bars(count: 2_000, seed: 7)
        bars.markets = MarketCatalog(interval: bars.interval) { _ in other }
        let clean = """
            function factor(d) return pct_change(market("LEAD").close, 2) - pct_change(d.close, 2) end
            function signal(d, f) return { long = gt(f, 0.01), exit = lt(f, 0) } end
            """
        let report = try await Self.validate(clean, bars: bars, settings: Self.settings(.quick))
        let stage = try #require(report.symbols[0].stages.first)
        #expect(stage.stage == .lookahead && stage.passed, "\(stage.failure?.message ?? "")")
        let peeking = """
            function factor(d) local c = market("LEAD").close return c / c[#c] end
            function signal(d, f) return { long = gt(f, 1), exit = lt(f, 1) } end
            """
        let caught = try await Self.validate(peeking, bars: bars, settings: Self.settings(.quick))
        #expect(caught.failure?.check.code == .lookahead)
    }

    @Test("Validation never shows a script the locked holdout")
    func holdoutIsNeverSeen() async throws {
        let bars = SyntheticMarket.bars(count: 3_000, seed: 8, edge: 0.12)
        let visible = try LockedHoldout.visible(bars, fraction: 0.2)
        let cut = try #require(visible.holdoutFrom)
        #expect(cut == bars.time[2_400] && visible.bars.count == 2_400 && visible.bars.time.last! < cut)
        // Several symbols are cut at one time, the earliest: no symbol shows what another keeps locked.
        let later = SyntheticMarket.bars(count: 2_000, seed: 9, symbol: "LATERUSDT")
        let both = try LockedHoldout.visible([bars, later], fraction: 0.2)
        #expect(both.map(\.holdoutFrom) == [later.time[1_600], later.time[1_600]])
        #expect(both[0].bars.time.last! < later.time[1_600])
        // The script fails loudly if any bar it is shown opens at or after the cut.
        let source = """
            if d.time[#d.time] >= \(Int64(cut)) then error("saw the holdout") end
            """ + "\n" + Self.script(column: "hint")
        for mode in [ValidationSettings.Mode.quick, .wfOnly, .rollingOnly, .full] {
            var s = Self.settings(mode)
            s.rolling.trainHours = 600
            s.rolling.testHours = 200
            s.rolling.stepHours = 400
            s.walkForward.minTestDays = 5
            let report = try await Self.validate(source, bars: bars, settings: s)
            #expect(report.symbols[0].stages.allSatisfy { $0.failure?.message.contains("saw the holdout") != true })
        }
        // A span asked for inside the holdout is refused, not quietly shown.
        #expect(throws: ValidatorError.self) { try LockedHoldout.visible(bars, fraction: 0.2, from: cut) }
    }

    @Test("Scripts the mode cannot judge are one-line errors, and nothing is recorded", arguments: [
        ("function factor(d) return rsi(d.close, 14) end", "needs factor(d) and signal(d, f); the script defines no signal(d, f)", Int32(1)),
        ("local x = param.float('x', 0, 1e308 * 10, 1)\nfunction factor(d) return d.close end\nfunction signal(d, f) return { long = gt(f, 1) } end",
         "min and max must be finite numbers", Int32(1)),
        ("function factor(d) return sma(d.close, param.int('n', 2, 50, 10)) end\nfunction signal(d, f) return { long = gt(f, 1) } end",
         "param 'n' is declared inside factor(d) or signal(d, f); declare every param.* at the top level", Int32(1)),
        ("local x = param.float('x', -1e308, 1e308, 0)\nfunction factor(d) return d.close end\nfunction signal(d, f) return { long = gt(f, 1) } end",
         "parameter 'x'", Int32(1)),
        ("function factor(d) return lag(d.close, -1) end\nfunction signal(d, f) return { long = gt(f, 1) } end",
         "lag: k must be an integer in 0...", Int32(1)),
        ("function factor(d) return d.close end\nfunction signal(d, f) local r = backtest { long = gt(f, 1) } return { long = gt(f, 1) } end",
         "backtest{} is not available here", Int32(1)),
    ])
    func unjudgeableScripts(source: String, message: String, status: Int32) async throws {
        try await KnowledgeScratch.with { kb in
            do {
                _ = try await Self.validate(source, bars: SyntheticMarket.bars(count: 2_000, seed: 1), settings: Self.settings(.quick), knowledge: kb)
                Issue.record("expected a ValidatorError")
            } catch let error as ValidatorError {
                #expect(error.description.contains(message), "\(error)")
                #expect(error.exitCode == status)
            }
            #expect(try kb.trialCount() == 0)
        }
    }

    @Test("A span too short for the mode's windows says how many bars it needs and has")
    func spanTooShort() async throws {
        do {
            _ = try await Self.validate(Self.script(column: "hint"), bars: SyntheticMarket.bars(count: 3_000, seed: 2),
                                  settings: Self.settings(.full))
            Issue.record("expected spanTooShort")
        } catch let error as ValidatorError {
            guard case .spanTooShort(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("needs at least 4,320 bars before the locked holdout (3 rolling windows"), "\(message)")
            #expect(message.contains("has 2,400") && error.exitCode == 4)
        }
    }
}

/// A knowledge base in a scratch folder, removed afterwards.
enum KnowledgeScratch {
    static func with(_ body: (KnowledgeBase) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-validation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = ScriptFiles(hypothesesDirectory: dir.appendingPathComponent("hypotheses").path,
                                strategiesDirectory: dir.appendingPathComponent("strategies").path, root: dir.path)
        let kb = try KnowledgeBase.open(at: dir.appendingPathComponent("kb.sqlite").path, files: files, create: true)
        try await body(kb)
    }
}

/// Set once from a validation's progress callback, read by the test that waits for it.
final class StartedFlag: @unchecked Sendable {
    // @unchecked Sendable: `value` is guarded by `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
