import Agent
import LLMAlpha
import Foundation
import Knowledge
import MarketData
import SyntheticMarket
import Validation

/// The research agent's costs (DESIGN.md section 10, issue 15): one offline iteration in quick
/// mode, and one full-mode iteration with the default trial budget, each on 50,000 1h bars,
/// every write going to a fresh knowledge base. Per iteration, in ns.
enum AgentBench {
    /// Twenty offline iterations in quick mode (propose, static checks, sandbox run, lookahead,
    /// factor/signal/backtest gates, record, refine every other iteration) on the random walk of
    /// hypothesis_eval with funding; the median of five runs, per iteration.
    static func offlineQuickIteration() -> Double {
        var bars = BenchHypothesis.bars
        bars.setExtra("funding", FundingJoin.asOf(barTimes: bars.time, events: bars.fundingEvents))
        let iterations = 20
        return medianSeconds(5) {
            blackHole(run(bars: bars, source: OfflineGenerator(), mode: .quick, iterations: iterations))
        } / Double(iterations) * 1e9
    }

    /// One iteration that goes through every stage: a hypothesis on a synthetic market with a
    /// planted edge (50,000 bars), validated in full mode with the default budget (50 walk-forward
    /// trials, 20 per rolling window), recorded, its holdout opened and the strategy written.
    static func fullIteration() -> Double {
        let bars = SyntheticMarket.bars(count: 50_000, seed: 11, edge: 0.12)
        let source = FixedSource(script: """
            hypothesis { name = "hint_lead", rationale = "the synthetic hint leads returns" }
            local n = param.int("n", 1, 48, 6)
            local band = param.float("band", 0.2, 2.0, 0.8)
            function factor(d) return sma(d.hint, n) end
            function signal(d, f) return { long = gt(f, band), short = lt(f, -band), exit = lt(abs(f), band / 4) } end
            strategy { fees = 0.0004, slippage = 0.0001 }
            """)
        return medianSeconds(3) {
            let result = run(bars: bars, source: source, mode: .full, iterations: 1)
            precondition(result.iterations.first?.verdict == .validated, "agent_full_iter: the planted edge was not validated")
        } * 1e9
    }

    private static func run(bars: Bars, source: any HypothesisSource, mode: ValidationSettings.Mode, iterations: Int) -> ResearchResult {
        let folder = KnowledgeBench.scratch.appendingPathComponent("agent-\(UUID().uuidString)")
        let files = ScriptFiles(hypothesesDirectory: folder.appendingPathComponent("hypotheses").path,
                                strategiesDirectory: folder.appendingPathComponent("strategies").path, root: folder.path)
        let kb = try! KnowledgeBase.open(at: folder.appendingPathComponent("kb.sqlite").path, files: files, create: true)
        var agent = AgentSettings()
        agent.validationMode = mode
        agent.earlyStopSharpe = 0
        let options = ResearchOptions(iterations: iterations, seed: 42, agent: agent, validation: agent.validation(ValidationSettings()),
                                      evaluation: Configuration.defaults.evaluation, jobs: ProcessInfo.processInfo.activeProcessorCount,
                                      version: "bench")
        let visible = try! LockedHoldout.visible([bars], fraction: options.validation.honesty.holdout)
        let loop = ResearchLoop(knowledge: kb, source: source, data: visible, options: options) { _, _ in bars }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.value = try await loop.run { _ in } } catch { fatalError("agent bench failed: \(error)") }
            done.signal()
        }
        done.wait()
        return box.value!
    }

    private final class ResultBox: @unchecked Sendable {
        // Written by the task before the semaphore signals, read after the wait.
        var value: ResearchResult?
    }
}

/// A source that proposes one script.
struct FixedSource: HypothesisSource {
    let script: String
    var origin: String { "bench" }
    func propose(_ request: ProposalRequest) async throws(AgentError) -> Proposal { Proposal(script: script, template: "fixed") }
}
