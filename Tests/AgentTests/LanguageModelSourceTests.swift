import FakeLanguageModel
import Foundation
import HTTPRetry
import Knowledge
import LanguageModels
import MarketData
import SyntheticMarket
import Testing
@testable import Agent
@testable import Validation

/// A language model behind the loop, served by the fake provider: replies that hold no script,
/// hold another language, or fail and get repaired; every call recorded, priced and cached;
/// budgets and fatal provider errors end the run as the issue says.
@Suite("Language models in the loop")
struct LanguageModelSourceTests {
    static let prices = PriceTable(["gpt-4o": ModelPrice(input: 2.5, output: 10)])

    static func source(_ server: FakeLanguageModel, _ kb: KnowledgeBase, budgetTokens: Int = 0, retries: Int = 1,
                       cache: Bool = true) -> LanguageModelSource {
        let client = LanguageModelClient(endpoint: ProviderEndpoint(provider: .openai, baseURL: server.baseURL + "/v1", apiKey: "sk-test-abcdef123"),
                                         policy: RetryPolicy(maxRetries: retries, baseDelay: 0.01, maxDelay: 0.02, jitter: 0), timeout: 30)
        var settings = LanguageModelSettings(model: "gpt-4o", temperature: 0.7)
        settings.prices = prices
        settings.budgetTokens = budgetTokens
        settings.cache = cache
        return LanguageModelSource(client: client, settings: settings, context: PromptContext(marketKnowledge: "", examples: []),
                                   knowledge: kb)
    }

    static func fenced(_ script: String) -> String { "Rationale: the hint leads.\n\n```lua\n\(script)\n```\n" }

    static func run(_ loop: ResearchLoop) async -> Result<ResearchResult, AgentError> {
        await withCheckedContinuation { done in
            Task {
                do { done.resume(returning: .success(try await loop.run { _ in })) } catch { done.resume(returning: .failure(error as! AgentError)) }
            }
        }
    }

    @Test("Prose, Python, then a script failing twice and repaired on the third reply: each recorded, every call priced")
    func repliesAndRepairs() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 8_000, seed: 11, edge: 0.12)
        let good = ResearchLoopTests.lead("hint")
        let syntax = good.replacingOccurrences(of: "return sma(d.hint, n) end", with: "return sma(d.hint, n end")
        let runtime = good.replacingOccurrences(of: "return sma(d.hint, n) end", with: "return smoothed(d.hint, n) end")
        try await FakeLanguageModel.with { server in
            server.enqueue("Funding crowding is a strong effect; I would look at it first.",
                           "```python\nimport pandas as pd\ndef factor(df):\n    return df.close.pct_change()\n```",
                           Self.fenced(syntax), Self.fenced(runtime), "<think>use the hint column</think>\n" + Self.fenced(good))
            let loop = try ResearchLoopTests.loop(kb, Self.source(server, kb), bars: bars, options: ResearchLoopTests.options(.quick, iterations: 3))
            let result = try await Self.run(loop).get()
            let steps = try kb.steps(run: result.run.id)
            #expect(steps.map(\.outcome) == [.invalid, .invalid, .evaluated])
            #expect(steps.map(\.reasonCode) == ["llm.no_code", "llm.not_lua", nil])
            #expect(result.iterations.map(\.verdict) == [.invalid, .invalid, .passed])
            // The failed replies are hypotheses with a failed trial, like any script that did not run.
            let noCode = try #require(steps[0].hypothesis)
            #expect(try kb.trials(of: noCode, source: "validate", limit: 10).map(\.reasonCode) == ["llm.no_code"])
            // The repairs sent the sandbox's own error back.
            let requests = server.requests
            #expect(requests.count == 5)
            let repairTexts = requests.suffix(2).map { request in
                ((request.json?["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
            }
            #expect(repairTexts[0].contains("proposal.lua:4:") && repairTexts[0].contains("expected"), "\(repairTexts[0])")
            #expect(repairTexts[1].contains("smoothed"), "\(repairTexts[1])")
            // Every call recorded: purpose, tokens as the server counted them, and the price table's cost.
            let calls = try kb.llmCalls(run: result.run.id)
            #expect(calls.map(\.purpose) == ["propose", "propose", "propose", "repair", "repair"])
            #expect(calls.allSatisfy { $0.status == "ok" && $0.promptTokens == 14 && $0.completionTokens == 30 })
            // 14 prompt tokens at $2.50 and 30 completion tokens at $10 per million: $0.000335 a call.
            #expect(calls.allSatisfy { abs(($0.costUSD ?? 0) - 0.000335) < 1e-12 })
            #expect(abs(result.spend.costUSD - 5 * 0.000335) < 1e-12 && result.spend.calls == 5)
            #expect(result.summary().contains("Model spend: $0.0017 (5 model calls"))
            // What each hypothesis cost: its own calls, repairs included.
            #expect(try kb.llmSpend(hypothesis: noCode).calls == 1)
            let repaired = try #require(steps[2].hypothesis)
            #expect(try kb.llmSpend(hypothesis: repaired).calls == 3)
        }
    }

    @Test("An identical request is answered from the cache, recorded as cached; --no-cache asks again")
    func cache() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 8_000, seed: 11, edge: 0.12)
        try await FakeLanguageModel.with { server in
            server.enqueue(Self.fenced(ResearchLoopTests.lead("hint")))
            var request = ProposalRequest(task: .new, iteration: 0, seed: 1, mode: .quick, profile: DataProfile(bars: bars))
            request.run = "R001"
            // Counted as differences: a loaded machine may make a call time out and retry.
            let first = try await Self.source(server, kb).propose(request)
            let asked = server.requests.count
            let second = try await Self.source(server, kb).propose(request)
            #expect(first.script == second.script)
            #expect(server.requests.count == asked)
            #expect(try kb.llmCalls().map(\.status) == ["ok", "cached"])
            #expect(try kb.llmSpend(run: "R001").cached == 1)
            _ = try await Self.source(server, kb, cache: false).propose(request)
            #expect(server.requests.count > asked)
            // Another iteration's seed is another question, asked anew however alike the prompt.
            let before = server.requests.count
            request.seed = 2
            _ = try await Self.source(server, kb).propose(request)
            #expect(server.requests.count > before)
            #expect(server.requests.last?.json?["seed"] as? Int == 2)
        }
    }

    @Test("A token budget ends the run cleanly between calls; a bad key stops it at once with the fix")
    func budgetAndFatal() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 8_000, seed: 11, edge: 0.12)
        try await FakeLanguageModel.with { server in
            server.enqueue(Self.fenced(ResearchLoopTests.lead("hint")), Self.fenced(ResearchLoopTests.lead("hint", n: 12, band: 1.2)),
                           Self.fenced(ResearchLoopTests.lead("hint", n: 24)))
            // 44 tokens a call: the budget of 60 allows a second call, not a third.
            let loop = try ResearchLoopTests.loop(kb, Self.source(server, kb, budgetTokens: 60), bars: bars,
                                                  options: ResearchLoopTests.options(.quick, iterations: 5))
            let result = try await Self.run(loop).get()
            #expect(result.stopReason.hasPrefix("token budget spent: 88 of 60 tokens"), "\(result.stopReason)")
            #expect(result.run.state == .finished && result.iterations.count == 2)
            #expect(server.requests.count == 2)

            server.inject(.status(401), times: 5)
            let refused = try ResearchLoopTests.loop(kb, Self.source(server, kb), bars: bars, options: ResearchLoopTests.options(.quick, iterations: 5))
            guard case .failure(.provider(let message)) = await Self.run(refused) else { Issue.record("expected the provider to refuse"); return }
            #expect(message.contains("HTTP 401") && message.contains("OPENAI_API_KEY") && !message.contains("sk-test-abcdef123"), "\(message)")
            #expect(server.requests.count == 3)
            let runs = try kb.runs(limit: 10)
            #expect(runs.first?.state == .failed)
            #expect(try kb.llmCalls(run: runs.first!.id).map(\.status) == ["unauthorized"])
        }
    }

    @Test("A provider down for good: each iteration records the error, three in a row end the run")
    func providerDown() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 8_000, seed: 11, edge: 0.12)
        try await FakeLanguageModel.with { server in
            server.inject(.status(503), times: 100)
            let loop = try ResearchLoopTests.loop(kb, Self.source(server, kb, retries: 1), bars: bars,
                                                  options: ResearchLoopTests.options(.quick, iterations: 10))
            guard case .failure(.source(let message)) = await Self.run(loop) else { Issue.record("expected the run to stop"); return }
            #expect(message.contains("3 times in a row") && message.contains("HTTP 503"), "\(message)")
            #expect(server.requests.count == 6)   // 3 iterations, one retry each
            let run = try #require(try kb.runs(limit: 1).first)
            #expect(try kb.steps(run: run.id).map(\.outcome) == [.error, .error, .error])
        }
    }

    @Test("Ctrl-C during a slow model call cancels the call instead of waiting it out; the run is interrupted")
    func interruptDuringACall() async throws {
        let ws = Workspace()
        defer { ws.remove() }
        let kb = try ws.open()
        let bars = SyntheticMarket.bars(count: 8_000, seed: 11, edge: 0.12)
        try await FakeLanguageModel.with { server in
            server.inject(.slowFirstByte(seconds: 600))
            let client = LanguageModelClient(endpoint: ProviderEndpoint(provider: .openai, baseURL: server.baseURL + "/v1", apiKey: "sk-test-abcdef123"),
                                             maxRetries: 2, timeout: 900)
            let source = LanguageModelSource(client: client, settings: LanguageModelSettings(model: "gpt-4o", temperature: 0.7),
                                             context: PromptContext(marketKnowledge: "", examples: []), knowledge: kb)
            let loop = try ResearchLoopTests.loop(kb, source, bars: bars, options: ResearchLoopTests.options(.quick, iterations: 3))
            let started = Date()
            async let outcome = Self.run(loop)
            while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            loop.interrupt()
            guard case .failure(.interrupted) = await outcome else { Issue.record("expected the run to be interrupted"); return }
            // Waited out, the call would take 600 s; cancelled, it ends at once (a loaded machine may
            // still take a while to schedule the test again).
            #expect(Date().timeIntervalSince(started) < 300, "the call was waited out")
            #expect(try kb.runs(limit: 1).first?.state == .interrupted)
        }
    }
}
