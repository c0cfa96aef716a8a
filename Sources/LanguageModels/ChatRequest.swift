import Foundation
import DurableFiles

/// One message of a conversation with a model.
public struct ChatMessage: Sendable, Codable, Equatable {
    public enum Role: String, Sendable, Codable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }
}

/// What is asked of a model: the same request to the same model is the same question, answered
/// from the cache when one is kept (``requestHash``).
public struct ChatRequest: Sendable, Equatable {
    public var model: String
    public var messages: [ChatMessage]
    /// `nil` leaves the provider's default (and reasoning models accept no other).
    public var temperature: Double?
    /// The most tokens the reply may take (reasoning tokens included, for reasoning models).
    public var maxTokens: Int
    /// Sampling seed, sent where the provider takes one (OpenAI, Ollama): the research loop's
    /// per-iteration seed, so a resumed iteration asks the same question and a new one does not.
    public var seed: UInt64?

    public init(model: String, messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int = 4096, seed: UInt64? = nil) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.seed = seed
    }

    /// sha256 of the provider, host, model, messages and parameters (the seed included), in one
    /// canonical JSON form: the reply cache's key.
    public func requestHash(endpoint: ProviderEndpoint) -> String {
        struct Canonical: Encodable {
            let provider: String, host: String, model: String, messages: [ChatMessage], temperature: Double?, maxTokens: Int, seed: UInt64?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Canonical(provider: endpoint.provider.rawValue, host: ProviderEndpoint.publicForm(endpoint.baseURL),
                                                  model: model, messages: messages, temperature: temperature, maxTokens: maxTokens,
                                                  seed: seed))) ?? Data()
        return SHA256.hex(data)
    }

    /// The seed as the providers take it (a non-negative 31-bit integer).
    var wireSeed: Int? { seed.map { Int($0 % 2_147_483_647) } }

    /// Characters of all messages: what a prompt costs before a tokenizer says.
    public var characters: Int { messages.reduce(0) { $0 + $1.content.count } }
}

/// Tokens a call used, as the provider counted them.
public struct TokenUsage: Sendable, Equatable, Codable {
    public var prompt: Int
    public var completion: Int

    public init(prompt: Int, completion: Int) {
        self.prompt = prompt
        self.completion = completion
    }

    public var total: Int { prompt + completion }
}

/// A model's answer.
public struct ChatReply: Sendable, Equatable {
    /// The answer, with any `<think>` block taken out.
    public var text: String
    /// What a reasoning model or server showed of its thinking (`reasoning_content`, `<think>`).
    public var reasoning: String
    /// `nil` when the server did not say (some compatible servers omit it in streams).
    public var usage: TokenUsage?
    /// `stop`, `length`, `end_turn`, `max_tokens`...
    public var finishReason: String?
    /// The model that answered, as the server named it.
    public var model: String
    public var latencySeconds: Double
    /// Requests it took, retries included.
    public var attempts: Int

    public init(text: String, reasoning: String = "", usage: TokenUsage?, finishReason: String?, model: String,
                latencySeconds: Double = 0, attempts: Int = 1) {
        self.text = text
        self.reasoning = reasoning
        self.usage = usage
        self.finishReason = finishReason
        self.model = model
        self.latencySeconds = latencySeconds
        self.attempts = attempts
    }

    /// True when the model stopped at its token limit: the answer is cut off.
    public var truncated: Bool { ["length", "max_tokens"].contains(finishReason ?? "") }
}
