public import Agent
import Foundation
public import Knowledge
public import LanguageModels
import Yams

/// Everything a language-model source needs from the project: the endpoint (flags, environment,
/// `.env`, config), the price table, the market-knowledge file and the example scripts.
public struct LanguageModelSetup: Sendable {
    public var provider: LanguageModelProvider
    public var endpoint: ProviderEndpoint
    public var settings: LanguageModelSettings
    public var context: PromptContext
    public var timeout: Double
    public var maxRetries: Int
    /// Lines to tell the user (a missing price, a missing knowledge file).
    public var notes: [String]

    /// - Parameters:
    ///   - apiKey, baseURL: the flags; they win over the environment and `.env`.
    ///   - workingDirectory: where `.env` is read from.
    public static func make(provider: LanguageModelProvider, model: String?, apiKey: String?, baseURL: String?,
                            configuration: Configuration, paths: ProjectPaths, knowledge: KnowledgeBase?,
                            environment: [String: String]? = nil, workingDirectory: String? = nil) throws(ConfigurationError) -> LanguageModelSetup {
        let agent = configuration.agent
        let credentials = ProviderCredentials(environment: environment ?? ProcessInfo.processInfo.environment,
                                              dotEnv: DotEnv.load(directory: workingDirectory ?? FileManager.default.currentDirectoryPath))
        let configBase = provider == .openai || agent.provider.rawValue == provider.rawValue ? agent.baseURL : ""
        let endpoint = credentials.endpoint(provider, apiKey: apiKey, baseURL: baseURL, configBaseURL: configBase)
        let modelName = (model?.isEmpty == false ? model! : (agent.model.isEmpty ? provider.defaultModel : agent.model))
        var settings = LanguageModelSettings(model: modelName, temperature: agent.temperature)
        settings.maxTokens = agent.maxTokens
        settings.repairRounds = agent.repairRounds
        settings.cache = agent.cache
        settings.budgetTokens = agent.budgetTokens
        settings.budgetUSD = agent.budgetUSD
        settings.prices = try prices(file: resolve(agent.pricesFile, paths: paths))
        settings.freeWhenUnpriced = provider == .ollama
        if agent.budgetUSD > 0, !settings.freeWhenUnpriced, settings.prices.price(of: modelName) == nil {
            throw ConfigurationError(file: resolve(agent.pricesFile, paths: paths),
                                     "--budget-usd needs a price for \(modelName), and this table has none",
                                     hint: "add `\(modelName): { input: X, output: Y }` (dollars per million tokens), or budget with --budget-tokens")
        }
        var notes: [String] = []
        let knowledgeFile = resolve(agent.marketKnowledgeFile, paths: paths)
        let marketKnowledge: String
        if let text = try? String(contentsOfFile: knowledgeFile, encoding: .utf8) {
            marketKnowledge = text
        } else {
            marketKnowledge = ""
            notes.append("agent.market_knowledge: \(knowledgeFile) not found; the prompt goes without documented effects")
        }
        return LanguageModelSetup(provider: provider, endpoint: endpoint, settings: settings,
                                  context: PromptContext(marketKnowledge: marketKnowledge, examples: examples(paths: paths)),
                                  timeout: agent.timeout, maxRetries: agent.maxRetries, notes: notes)
    }

    /// Fails early, before any data is loaded, when the provider cannot be called at all.
    public func requireKey() throws(AgentError) {
        guard endpoint.apiKey == nil, let variable = provider.keyVariable else { return }
        // A compatible server on another host may need no key (vLLM, llama.cpp, LM Studio).
        guard endpoint.baseURL == provider.defaultBaseURL else { return }
        throw .usage("-p \(provider.rawValue): no API key; set \(variable) in the environment or in .env, or pass --api-key")
    }

    public func client() -> LanguageModelClient {
        LanguageModelClient(endpoint: endpoint, maxRetries: maxRetries, timeout: timeout)
    }

    public func source(knowledge: KnowledgeBase) -> LanguageModelSource {
        LanguageModelSource(client: client(), settings: settings, context: context, knowledge: knowledge)
    }

    static func resolve(_ path: String, paths: ProjectPaths) -> String {
        if path.hasPrefix("/") { return path }
        let local = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: local) || paths.root == nil { return local }
        return (paths.root! as NSString).appendingPathComponent(path)
    }

    /// configs/llm-prices.yaml: `model: { input: X, output: Y }` in dollars per million tokens.
    /// A missing file is an empty table (every model unpriced); a malformed one is an error.
    public static func prices(file: String) throws(ConfigurationError) -> PriceTable {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return PriceTable() }
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch { throw ConfigurationError(file: file, "not YAML: \(error)") }
        guard let node else { return PriceTable() }
        guard let map = node as? [String: Any] else { throw ConfigurationError(file: file, "expected `model: { input: X, output: Y }` lines") }
        var prices: [String: ModelPrice] = [:]
        for (model, value) in map {
            guard let entry = value as? [String: Any], let input = number(entry["input"]), let output = number(entry["output"]),
                  input >= 0, output >= 0, Set(entry.keys).isSubset(of: ["input", "output"]) else {
                throw ConfigurationError(file: file, "\(model): expected { input: X, output: Y } in dollars per million tokens")
            }
            prices[model.lowercased()] = ModelPrice(input: input, output: output)
        }
        return PriceTable(prices)
    }

    private static func number(_ value: Any?) -> Double? {
        if let d = value as? Double { return d }
        if let i = value as? Int { return Double(i) }
        return nil
    }

    /// Two or three scripts that follow the contract: the project's own in strategies/
    /// (funding_fade, rsi_mr, sma_trend). Never the knowledge base's promoted strategies: their
    /// headers hold test and holdout numbers, and choosing them would tell the model what passed
    /// out of sample.
    static func examples(paths: ProjectPaths) -> [(name: String, script: String)] {
        var found: [(name: String, script: String)] = []
        if let root = paths.root {
            let folder = (root as NSString).appendingPathComponent("strategies")
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { $0.hasSuffix(".lua") && !($0.first == "S" && $0.dropFirst().first?.isNumber == true) }.sorted()
            for name in names where found.count < 3 {
                if let text = try? String(contentsOfFile: (folder as NSString).appendingPathComponent(name), encoding: .utf8) {
                    found.append(("strategies/\(name)", text))
                }
            }
        }
        return found
    }
}
