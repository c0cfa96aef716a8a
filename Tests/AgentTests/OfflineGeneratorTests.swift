import Foundation
import MarketData
import Primitives
import Scripting
import SyntheticMarket
import Testing
@testable import Agent
@testable import Evaluation

/// The offline generator: deterministic, every script it writes parses and runs, every category
/// is covered, ranges come from the registry, and refinements keep lineage and still run.
@Suite("Offline generator")
struct OfflineGeneratorTests {
    /// Synthetic bars with every column a category can need.
    static let bars: Bars = {
        var bars = SyntheticMarket.bars(count: 3_000, seed: 5)
        var rng = SeededRandom(seed: 9)
        bars.setExtra("funding", (0..<bars.count).map { _ in 0.0001 + 0.0002 * rng.normal() })
        var oi = 1e6
        bars.setExtra("open_interest", (0..<bars.count).map { _ in oi *= 1 + 0.01 * rng.normal(); return oi })
        return bars
    }()

    static let profile = DataProfile(bars: bars)

    static func request(_ task: ProposalRequest.Task = .new, seed: UInt64, category: ResearchCategory? = nil, direction: String? = nil,
                        known: Set<String> = []) -> ProposalRequest {
        ProposalRequest(task: task, direction: direction, category: category, iteration: 0, seed: seed, mode: .full, profile: profile,
                        knownFingerprints: known)
    }

    /// Runs a script on its own thread, awaited, so the test never blocks a cooperative thread
    /// (other suites' fake servers need them).
    static func run(_ script: String) async throws -> ScriptResult {
        let result: Result<ScriptResult, ScriptError> = await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: Result { () throws(ScriptError) in
                    try ScriptRunner(limits: SandboxLimits(timeout: 20)).run(source: script, chunkName: "generated.lua",
                                                                             data: DataTable(bars: bars)) { _ in }
                })
            }.start()
        }
        return try result.get()
    }

    @Test("The same seed gives the same script; another seed another")
    func deterministic() async throws {
        let generator = OfflineGenerator()
        let a = try await generator.propose(Self.request(seed: 123))
        let b = try await generator.propose(Self.request(seed: 123))
        let c = try await generator.propose(Self.request(seed: 124))
        #expect(a.script == b.script)
        #expect(a.template == b.template)
        #expect(a.script != c.script)
    }

    @Test("Every category: eight scripts each that parse, run, define factor and signal, and say what they bet on")
    func everyCategoryRuns() async throws {
        let generator = OfflineGenerator()
        #expect(Set(Self.profile.servedCategories) == Set(ResearchCategory.allCases))
        for category in ResearchCategory.allCases {
            var templates: Set<String> = []
            for seed in UInt64(1)...8 {
                let proposal = try await generator.propose(Self.request(seed: seed * 7919, category: category))
                #expect(proposal.category == category)
                let result = try await Self.run(proposal.script)
                #expect(result.factor != nil, "\(category): no factor\n\(proposal.script)")
                #expect(result.signal != nil, "\(category): no signal\n\(proposal.script)")
                let rationale = try #require(result.hypothesis?.rationale)
                #expect(rationale.hasPrefix("Bets that "), "\(rationale)")
                #expect(result.hypothesis?.tags.contains(category.rawValue) == true)
                // The factor is not flat: it has finite values that differ.
                let finite = (result.factor ?? []).filter(\.isFinite)
                #expect(Set(finite).count > 10, "\(category): factor nearly constant\n\(proposal.script)")
                templates.insert(proposal.template ?? "")
            }
            #expect(templates.count >= 3, "\(category): only \(templates)")
        }
    }

    @Test("A category the data cannot serve is a usage error naming the missing column")
    func missingColumn() async throws {
        let plain = DataProfile(bars: SyntheticMarket.bars(count: 500, seed: 1))
        let request = ProposalRequest(task: .new, category: .openInterest, iteration: 0, seed: 1, mode: .quick, profile: plain)
        await #expect(throws: AgentError.self) { try await OfflineGenerator().propose(request) }
        do {
            _ = try await OfflineGenerator().propose(request)
        } catch {
            #expect(error.description.contains("d.open_interest"))
        }
    }

    @Test("Blocks call only registered primitives, and their ranges lie inside the registry's typical ranges")
    func blocksFollowTheRegistry() {
        for block in FactorBlocks.all {
            for call in block.calls { #expect(PrimitiveRegistry.byName[call] != nil, "\(block.key) calls \(call)") }
            for p in block.parameters {
                #expect(p.range.lowerBound <= p.range.upperBound)
                #expect(p.range.lowerBound >= 1 || !p.isInteger, "\(block.key).\(p.name)")
            }
        }
        // A registry range narrowed by the block: ema's typical 5...400 within 60...400.
        let slow = FactorBlocks.momentum.first { $0.key == "ema_spread" }!.parameters[1]
        #expect(slow.range == 60...400)
        #expect(PrimitiveRegistry.byName["rsi"]!.typical("n") == 2...30)
    }

    @Test("A research direction narrows the blocks; known fingerprints are avoided")
    func directionAndKnownFingerprints() async throws {
        let generator = OfflineGenerator()
        for seed in UInt64(1)...6 {
            let p = try await generator.propose(Self.request(seed: seed, direction: "RSI"))
            #expect(p.template?.contains("rsi_fade") == true, "\(p.template ?? "")")
        }
        let first = try await generator.propose(Self.request(seed: 77, category: .funding))
        let fingerprint = try #require(ScriptShape(first.script).fingerprint)
        let second = try await generator.propose(Self.request(seed: 77, category: .funding, known: [fingerprint]))
        #expect(ScriptShape(second.script).fingerprint != fingerprint)
    }

    @Test("Unknown data columns become blocks of their own (a synthetic hint, your CSV's features)")
    func columnBlocks() async throws {
        let bars = SyntheticMarket.bars(count: 1_000, seed: 3, edge: 0.1)
        let profile = DataProfile(bars: bars)
        #expect(profile.columns.isSuperset(of: ["hint", "noise"]))
        let request = ProposalRequest(task: .new, direction: "hint", iteration: 0, seed: 5, mode: .full, profile: profile)
        let p = try await OfflineGenerator().propose(request)
        #expect(p.script.contains("d.hint"), "\(p.script)")
        // -r is matched against the blocks these data serve; one that matches none is said once.
        let generator = OfflineGenerator()
        #expect(generator.directionNote("hint", category: nil, profile: profile) == nil)
        #expect(generator.directionNote("volume exhaustion", category: nil, profile: profile) == nil)
        #expect(generator.directionNote("xyzzy plugh", category: nil, profile: profile)?.contains("no building block") == true)
        #expect(generator.directionNote("hint", category: .breakout, profile: profile) != nil)
    }

    @Test("Fingerprints: the same factor up to numbers and parameter names is one; layout and comments do not count")
    func fingerprints() {
        let a = """
            hypothesis { name = "a" }
            local n = param.int("n", 5, 50, 20)
            function factor(d) return -zscore(d.close, n) end
            function signal(d, f) return { long = gt(f, 1) } end
            """
        let b = """
            -- same idea, other numbers and names
            hypothesis { name = "b" }
            local window = param.int("window", 10, 90, 40)
            function factor(d)
              return -zscore(d.close,   window)   -- faded
            end
            function signal(d, f) return { long = gt(f, 2), short = lt(f, -2) } end
            """
        let c = a.replacingOccurrences(of: "-zscore(d.close, n)", with: "zscore(d.close, n)")
        let d = a.replacingOccurrences(of: "-zscore(d.close, n)", with: "-zscore(d.close, 30)")
        #expect(ScriptShape(a).fingerprint == ScriptShape(b).fingerprint)
        #expect(ScriptShape(a).fingerprint == ScriptShape(d).fingerprint)
        #expect(ScriptShape(a).fingerprint != ScriptShape(c).fingerprint)
        #expect(ScriptShape(a).functions == ["factor", "signal"])
        // Helpers count by what they compute, not by their names; a wrapper by what it wraps.
        let rsiHelper = "local function a(d) return rsi(d.close, 14) end\nfunction factor(d) return a(d) end\n"
        let emaHelper = "local function a(d) return ema(d.close, 5) end\nfunction factor(d) return a(d) end\n"
        let renamed = "local function other(d) return rsi(d.close, 30) end\nfunction factor(d) return other(d) end\n"
        #expect(ScriptShape(rsiHelper).fingerprint != ScriptShape(emaHelper).fingerprint)
        #expect(ScriptShape(rsiHelper).fingerprint == ScriptShape(renamed).fingerprint)
        let flipped = a + "\nlocal base = factor\nfunction factor(d) return -base(d) end\n"
        let smoothed = a + "\nlocal base = factor\nfunction factor(d) return ema(base(d), 8) end\n"
        let flippedOther = c + "\nlocal base = factor\nfunction factor(d) return -base(d) end\n"
        #expect(Set([ScriptShape(flipped).fingerprint, ScriptShape(smoothed).fingerprint, ScriptShape(flippedOther).fingerprint,
                     ScriptShape(a).fingerprint]).count == 4)
        // Module functions count by name and body; a global alias is followed like a local one.
        let moduleA = "M = {}\nfunction M.calc(d) return sma(d.hint, 5) end\nfunction factor(d) return M.calc(d) end\n"
        let moduleB = "M = {}\nfunction M.calc(d) return zscore(d.close, 5) end\nfunction factor(d) return M.calc(d) end\n"
        #expect(ScriptShape(moduleA).fingerprint != ScriptShape(moduleB).fingerprint)
        #expect(ScriptShape(moduleA).functions.contains("M.calc"))
        let globalAliasA = a + "\nbase = factor\nfunction factor(d) return -base(d) end\n"
        let globalAliasC = c + "\nbase = factor\nfunction factor(d) return -base(d) end\n"
        #expect(ScriptShape(globalAliasA).fingerprint != ScriptShape(globalAliasC).fingerprint)
        // A layer assigned from a maker counts as defined; a param under a top-level `if` is not nested;
        // unbalanced code is left to the parser.
        let made = "local function make(n) return function(d) return sma(d.close, n) end end\nfactor = make(10)\n"
        #expect(ScriptShape(made).assigned.contains("factor"))
        #expect(ScriptShape(made).fingerprint == nil)   // not walkable: no fingerprint rather than the signal's
        let multi = "local f, s = 1, 2\nfactor, signal = f, s\n_G[\"strategy_table\"] = {}\nlocal y\nfoo = 1\n"
        #expect(ScriptShape(multi).assigned.isSuperset(of: ["factor", "signal", "strategy_table", "foo"]))
        #expect(!ScriptShape(multi).assigned.contains("f"))
        let field = "local function c(d) return sma(d.close, 3) end\nlib = {}\nfunction factor(d) return lib.c(d) end\n"
        let field2 = "local function c(d) return ema(d.close, 3) end\nlib = {}\nfunction factor(d) return lib.c(d) end\n"
        #expect(ScriptShape(field).fingerprint == ScriptShape(field2).fingerprint)   // lib.c is not the script's c
        let conditional = "if true then local m = param.int(\"m\", 1, 9, 3) end\nfunction factor(d) return d.close end\n"
        #expect(ScriptShape(conditional).nestedParameters.isEmpty)
        #expect(!ScriptShape("function factor(d) return d.close\n").balanced)
        #expect(ScriptShape(a).balanced)
        let nested = "function factor(d) local n = param.int(\"n\", 1, 9, 3) return sma(d.close, n) end"
        #expect(ScriptShape(nested).nestedParameters == ["n"])
    }

    @Test("Time of day: the seasonality block is the mean log return of the next bar's hour on the last `days` days")
    func hourSeasonality() async throws {
        let block = try #require(FactorBlocks.all.first { $0.key == "hour_seasonality" })
        let (setup, expression) = block.body({ $0 }, 24)
        let script = "local days = 7\nfunction factor(d)\n" + setup.map { "  " + $0 + "\n" }.joined() + "  return \(expression)\nend\n"
        let factor = try #require(try await Self.run(script).factor)
        // By hand: hourly bars, so the bar ahead of t had its time of day at t + 1 - 24k.
        let close = Self.bars.close
        for t in [200, 1_000, 2_999] {
            let expected = (1...7).map { k in Foundation.log(close[t + 1 - 24 * k] / close[t - 24 * k]) }.reduce(0, +) / 7
            #expect(abs(factor[t] - expected) < 1e-12, "bar \(t): \(factor[t]) against \(expected)")
        }
        // Warm-up: the oldest return read is 7 × 24 - 1 bars back, and the first bar has none.
        #expect(factor[167].isNaN && !factor[168].isNaN)
        // Daily bars have no time of day: the block is not offered there; 4h bars have six a day.
        #expect(!OfflineGenerator(interval: "1d").usableBlocks(columns: Self.profile.columns).contains { $0.key == block.key })
        #expect(OfflineGenerator(interval: "4h").usableBlocks(columns: Self.profile.columns).contains { $0.key == block.key })
        #expect(OfflineGenerator.barsPerDay("4h") == 6 && OfflineGenerator.barsPerDay("1d") == 1 && OfflineGenerator.barsPerDay("5m") == 288)
    }

    @Test("No block parameter shadows a name the scripts use (signal, factor, the signal rule's locals)")
    func parameterNamesAreFree() {
        let reserved: Set<String> = ["factor", "signal", "strategy", "hypothesis", "param", "d", "f", "z", "s", "norm", "entry", "exit_band",
                                     "hold", "trend", "session", "blend", "up", "r", "calm", "h", "open", "weekday", "k", "top", "bottom",
                                     "upper", "middle", "lower", "histogram"]
        for block in FactorBlocks.all {
            for p in block.parameters { #expect(!reserved.contains(p.name), "\(block.key).\(p.name)") }
        }
    }

    @Test("Refinement: parameters first (defaults moved, ranges narrowed), then structure; parent set; the child runs")
    func refinement() async throws {
        let parent = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../strategies/rsi_mr.lua").standardized, encoding: .utf8)
        let outcome = ProposerOutcome(hypothesis: "H004", name: "rsi_mr", category: "mean_reversion", template: nil, stage: "signal",
                                      reasonCode: "signal.edge", feedback: "edge too thin", score: 2.5)
        let generator = OfflineGenerator()
        var scripts: [String] = []
        for generation in 0..<4 {
            let target = RefinementTarget(hypothesis: "H004", name: "rsi_mr", script: parent, parameters: ["period": 14, "low_band": 25],
                                          outcome: outcome, generation: generation)
            let proposal = try await generator.propose(Self.request(.refine(target), seed: UInt64(100 + generation)))
            let result = try await Self.run(proposal.script)
            #expect(result.hypothesis?.parent == "H004", "\(proposal.script)")
            #expect(result.signal != nil)
            #expect(proposal.change != nil)
            scripts.append(proposal.script)
        }
        // Generations 0 and 1 move parameters only: the code below the declarations is the parent's.
        for s in scripts.prefix(2) {
            #expect(s.contains("function signal(d, f)\n  local r = rsi(d.close, period)"))
            #expect(!s.contains("-- refinement:"))
            #expect(s != parent)
        }
        // Later ones change the structure and say so.
        for s in scripts.suffix(2) { #expect(s.contains("-- refinement:")) }
        // Moving parameters keeps the factor's structure: the same idea, other numbers.
        #expect(Set(scripts.prefix(2).map { ScriptShape($0).fingerprint }) == [ScriptShape(parent).fingerprint])

        // Stopped at the factor gate: a filter on the signal would change nothing the gate sees,
        // so the structural step smooths the factor. A flip would change nothing either (the gate
        // judges in the IC's own direction), even with a negative IC.
        var factorMiss = outcome
        factorMiss.stage = "factor"
        factorMiss.metrics = ["factor_horizon": 24, "factor_ic_24": -0.03]
        let smoothing = try await generator.propose(Self.request(.refine(RefinementTarget(
            hypothesis: "H004", name: "rsi_mr", script: parent, parameters: [:], outcome: factorMiss, generation: 2)), seed: 9))
        #expect(smoothing.script.contains("return ema(smooth_factor_base(d), refine_smooth)"), "\(smoothing.script)")
        #expect(!smoothing.script.contains("flip_factor_base"))
        // Past the factor gate with a negative IC, the signal bets against the factor's own
        // ranking: the factor is flipped first.
        var signalMiss = factorMiss
        signalMiss.stage = "signal"
        let flipped = try await generator.propose(Self.request(.refine(RefinementTarget(
            hypothesis: "H004", name: "rsi_mr", script: parent, parameters: [:], outcome: signalMiss, generation: 0)), seed: 9))
        #expect(flipped.script.contains("return -flip_factor_base(d)"))
        _ = try await Self.run(flipped.script)
        _ = try await Self.run(smoothing.script)
    }
}
