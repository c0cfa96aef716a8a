import Foundation
public import Knowledge
public import LanguageModels

/// How the agent uses a model (`agent.llm.*`, `--budget-*`, `--no-cache`).
public struct LanguageModelSettings: Sendable {
    public var model: String
    public var temperature: Double
    public var maxTokens = 4096
    /// Sandbox errors sent back to the model before a script counts as failed.
    public var repairRounds = 3
    /// Answer identical requests from the knowledge base's reply cache.
    public var cache = true
    /// Stop the run once its calls used this many tokens (0: no limit).
    public var budgetTokens = 0
    /// Stop the run once its calls cost this many dollars (0: no limit).
    public var budgetUSD = 0.0
    public var prices = PriceTable()
    /// A model missing from the price table costs nothing and needs no note (Ollama's, local).
    public var freeWhenUnpriced = false

    public init(model: String, temperature: Double) {
        self.model = model
        self.temperature = temperature
    }
}

/// A language model behind ``HypothesisSource``: builds the research prompt, asks, takes the Lua
/// out of the reply, checks it and sends errors back for repair, and writes every call (cached,
/// failed or paid) to the knowledge base with its tokens and cost.
public final class LanguageModelSource: HypothesisSource {
    public let client: LanguageModelClient
    public let settings: LanguageModelSettings
    public let context: PromptContext
    let knowledge: KnowledgeBase
    private let unpricedNoted = Flag()

    public init(client: LanguageModelClient, settings: LanguageModelSettings, context: PromptContext, knowledge: KnowledgeBase) {
        self.client = client
        self.settings = settings
        self.context = context
        self.knowledge = knowledge
    }

    public var origin: String { "llm:\(settings.model)" }
    /// Each duplicate costs a call (and its repairs): three, then the iteration gives up.
    public var duplicateAttempts: Int { 3 }
    var provider: LanguageModelProvider { client.endpoint.provider }

    /// Reasoning models spend most of a reply's tokens thinking: OpenAI advises leaving them about
    /// 25,000, or the answer may never start.
    var maxTokens: Int {
        OpenAIReasoning.applies(provider: provider, model: settings.model) ? max(settings.maxTokens, 25_000) : settings.maxTokens
    }

    public func propose(_ request: ProposalRequest) async throws(AgentError) -> Proposal {
        var purpose = { if case .refine = request.task { return "refine" } else { return "propose" } }()
        var messages = ResearchPrompt.messages(for: request, context: context)
        var round = 0
        var previous: String? = nil
        while true {
            let reply = try await ask(messages, purpose: purpose, run: request.run, iteration: request.iteration, seed: request.seed,
                                      progress: request.progress,
                                      note: request.note)
            switch ReplyCode.extract(reply.text) {
            case .none:
                let why = reply.truncated
                    ? "the reply was cut off at its token limit (agent.llm.max_tokens, \(maxTokens)) before any code" : "the reply holds no code"
                return unusable(reply.text, code: "llm.no_code", message: "\(origin): \(why)")
            case .otherLanguage(let language):
                return unusable(reply.text, code: "llm.not_lua", message: "\(origin) answered in \(language), not Lua")
            case .lua(let script):
                // A model that answers a repair with the same script will not fix it in the next round either.
                guard round < settings.repairRounds, script != previous, let check = request.check, let problem = await check(script) else {
                    return Proposal(script: script, category: request.category ?? Self.category(of: script),
                                    template: round > 0 ? "repaired \(round)x" : nil)
                }
                round += 1
                previous = script
                purpose = "repair"
                request.note("  repair \(round)/\(settings.repairRounds): \(problem.split(separator: "\n").first.map(String.init) ?? problem)")
                messages += [ChatMessage(.assistant, reply.text), ChatMessage(.user, ResearchPrompt.repair(problem))]
            }
        }
    }

    /// A model's reading of `agent analyze`'s report: what worked, what failed and why, what next.
    public func interpret(_ analysis: String) async throws(AgentError) -> String {
        let messages = [
            ChatMessage(.system, """
                You lead a crypto quant research team. Below is what llmalpha's knowledge base has learned from every \
                hypothesis tested on Binance USD-M perpetual futures (in-sample numbers and failure reasons). Be concrete \
                and brief.
                """),
            ChatMessage(.user, analysis + """


                In at most eight short bullet points: what tends to pass and what fails and why; then the three most \
                promising next research directions, each as an llmalpha command (agent research -c ... -r "...", or \
                agent improve H...).
                """),
        ]
        return try await ask(messages, purpose: "analyze", run: nil, iteration: nil, seed: nil, progress: { _ in }, note: { _ in }).text
    }

    /// One call: the budget first, then the cache, then the provider; recorded whatever happens.
    /// - Parameter seed: the iteration's seed: part of the request (and of the cache key), so a
    ///   resumed iteration is answered from the cache and a later one asks anew.
    func ask(_ messages: [ChatMessage], purpose: String, run: String?, iteration: Int?, seed: UInt64?,
             progress: @escaping @Sendable (String) -> Void,
             note: @escaping @Sendable (String) -> Void) async throws(AgentError) -> ChatReply {
        if let run { try checkBudget(run: run) }
        let reasoning = OpenAIReasoning.applies(provider: provider, model: settings.model)
        let chat = ChatRequest(model: settings.model, messages: messages, temperature: reasoning ? nil : settings.temperature,
                               maxTokens: maxTokens, seed: seed)
        let hash = chat.requestHash(endpoint: client.endpoint)
        if settings.cache, let kept = try? knowledge.cachedReply(hash) {
            record(LLMCallRecord(provider: provider.rawValue, model: settings.model, purpose: purpose, promptTokens: 0, completionTokens: 0,
                                 latencySeconds: 0, costUSD: 0, requestHash: hash, status: "cached", run: run, iteration: iteration))
            return ChatReply(text: kept.text, reasoning: kept.reasoning, usage: nil, finishReason: kept.finishReason, model: kept.model)
        }
        let model = settings.model
        let reply: ChatReply
        do {
            reply = try await client.complete(chat) { event in
                switch event {
                case .receiving(let n): progress("\(model): receiving, \(n) characters")
                case .retrying(let reason, let attempt, let of, let wait):
                    note("  \(model): \(reason); retry \(attempt)/\(of) in \(String(format: "%.1f", wait)) s")
                }
            }
        } catch {
            record(LLMCallRecord(provider: provider.rawValue, model: settings.model, purpose: purpose, promptTokens: 0, completionTokens: 0,
                                 latencySeconds: 0, costUSD: nil, requestHash: hash, status: error.recordedStatus,
                                 error: error.description, run: run, iteration: iteration))
            throw error.isFatal ? .provider(error.description) : .source(error.description)
        }
        // A server that did not count (some compatible ones in streams) is charged an estimate:
        // four characters a token, so budgets still hold.
        let usage = reply.usage ?? TokenUsage(prompt: chat.characters / 4, completion: (reply.text.count + reply.reasoning.count) / 4)
        let cost = settings.prices.cost(of: usage, model: settings.model) ?? (settings.freeWhenUnpriced ? 0 : nil)
        if cost == nil, unpricedNoted.setOnce() {
            note("  \(settings.model) is not in configs/llm-prices.yaml: its calls count as $0 (add its price per million tokens there)")
        }
        record(LLMCallRecord(provider: provider.rawValue, model: settings.model, purpose: purpose, promptTokens: usage.prompt,
                             completionTokens: usage.completion, latencySeconds: reply.latencySeconds, costUSD: cost, requestHash: hash,
                             status: "ok", error: reply.usage == nil ? "usage not reported; estimated from characters" : nil,
                             run: run, iteration: iteration))
        if settings.cache {
            try? knowledge.cacheReply(CachedReply(requestHash: hash, provider: provider.rawValue, model: reply.model, text: reply.text,
                                                  reasoning: reply.reasoning, promptTokens: reply.usage?.prompt,
                                                  completionTokens: reply.usage?.completion, finishReason: reply.finishReason))
        }
        return reply
    }

    private func checkBudget(run: String) throws(AgentError) {
        guard settings.budgetTokens > 0 || settings.budgetUSD > 0 else { return }
        let spend: LLMSpend
        do { spend = try knowledge.llmSpend(run: run) } catch { throw .knowledge(error.description) }
        if settings.budgetTokens > 0, spend.tokens >= settings.budgetTokens {
            throw .budget("token budget spent: \(spend.tokens) of \(settings.budgetTokens) tokens in \(spend.calls) calls (--budget-tokens)")
        }
        if settings.budgetUSD > 0, spend.costUSD >= settings.budgetUSD {
            throw .budget("dollar budget spent: $\(String(format: "%.4f", spend.costUSD)) of $\(String(format: "%.2f", settings.budgetUSD)) "
                          + "in \(spend.calls) calls (--budget-usd)")
        }
    }

    private func record(_ call: LLMCallRecord) {
        // The ledger of calls is bookkeeping: a refused write must not lose the reply.
        try? knowledge.recordLLMCall(call)
    }

    /// A reply with no usable script, kept as a commented-out script so the failure is a
    /// hypothesis and a trial like any other.
    private func unusable(_ reply: String, code: String, message: String) -> Proposal {
        let body = reply.prefix(4000).split(separator: "\n", omittingEmptySubsequences: false).map { "-- " + $0 }.joined(separator: "\n")
        return Proposal(script: "-- \(message); the reply follows\n" + body, unusable: (code, message))
    }

    /// The category a script's tags name, if any.
    static func category(of script: String) -> ResearchCategory? {
        guard let tags = script.range(of: #"tags\s*=\s*\{[^}]*\}"#, options: .regularExpression) else { return nil }
        let text = script[tags].lowercased().replacingOccurrences(of: "-", with: "_")
        return ResearchCategory.allCases.first { text.contains("\"\($0.rawValue)\"") }
    }
}

/// Reasoning models take no temperature (OpenAI's o-series and gpt-5).
enum OpenAIReasoning {
    static func applies(provider: LanguageModelProvider, model: String) -> Bool {
        provider == .openai && LanguageModelClient.isReasoningModel(model)
    }
}

/// Set once, from any thread.
final class Flag: @unchecked Sendable {
    // @unchecked Sendable: `value` is guarded by `lock`.
    private let lock = NSLock()
    private var value = false

    /// True the first time only.
    func setOnce() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if value { return false }
        value = true
        return true
    }
}
