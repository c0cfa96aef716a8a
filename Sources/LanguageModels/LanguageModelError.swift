public import HTTPRetry

/// A call that did not produce an answer, with what to do about it.
public struct LanguageModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 401: the key is wrong, missing or revoked.
        case authentication
        /// 403: the key may not use this model or endpoint.
        case permission
        /// Billing: OpenAI's `insufficient_quota`, Anthropic's `billing_error`.
        case quota
        /// The prompt and the reply's limit exceed the model's context window.
        case contextTooLong
        /// A request larger than the account's per-minute token limit: no wait makes it fit.
        case requestTooLarge
        /// The model does not exist here (Ollama: not pulled).
        case modelNotFound
        /// Any other 4xx the server will refuse again.
        case badRequest
        /// 429 after every retry.
        case rateLimited
        /// 529, 503 "overloaded", a mid-stream overloaded error.
        case overloaded
        /// 5xx.
        case server
        /// No HTTP answer: timeouts, resets, refused connections.
        case transport(TransportFailure)
        /// A reply that is not the format's: invalid JSON, a stream cut before its end.
        case malformed
    }

    public var provider: LanguageModelProvider
    public var kind: Kind
    /// The HTTP status, when there was one.
    public var status: Int?
    /// The server's own words (its `error.message`), or what went wrong.
    public var message: String
    /// The server's error code or type (`invalid_api_key`, `overloaded_error`).
    public var code: String?
    /// Requests made, retries included.
    public var attempts: Int = 1
    /// The server's wait, when it named one (429, 529).
    public var retryAfter: Double? = nil
    /// The server's `x-should-retry`, when present.
    public var shouldRetry: Bool? = nil
    /// The model asked, for the hint.
    public var model: String = ""

    public init(provider: LanguageModelProvider, kind: Kind, status: Int? = nil, message: String, code: String? = nil, model: String = "") {
        self.provider = provider
        self.kind = kind
        self.status = status
        self.message = message
        self.code = code
        self.model = model
    }

    /// Errors no retry and no next iteration can fix: the run stops and says what to do.
    public var isFatal: Bool {
        switch kind {
        case .authentication, .permission, .quota, .contextTooLong, .requestTooLarge, .modelNotFound, .badRequest: return true
        // Nothing listening, or no such host: the next call will find the same (is Ollama running?).
        case .transport(let failure): return !failure.isTransient || failure == .connectionRefused
        case .rateLimited, .overloaded, .server, .malformed: return false
        }
    }

    /// Worth another request after a wait: the server's `x-should-retry` first, then the kind.
    public var isTransient: Bool {
        if isFatal { return false }
        if let shouldRetry { return shouldRetry }
        switch kind {
        case .rateLimited, .overloaded, .server, .malformed: return true
        case .transport(let failure): return failure.isTransient
        default: return false
        }
    }

    /// The status for the knowledge base's `llm_call.status`.
    public var recordedStatus: String {
        switch kind {
        case .rateLimited: return "rate_limited"
        case .transport(.timedOut): return "timeout"
        case .authentication: return "unauthorized"
        case .quota: return "quota"
        default: return "error"
        }
    }

    /// What to do, in a phrase.
    public var hint: String {
        let key = provider.keyVariable ?? "the key"
        switch kind {
        case .authentication: return "check \(key) (environment or .env) or --api-key"
        case .permission: return "this key may not use \(model.isEmpty ? "this model" : model); choose another with -m or check the key's project"
        case .quota: return "add credit or raise the spending limit of the \(provider.title) account"
        case .contextTooLong:
            return "the prompt is too long for \(model.isEmpty ? "this model" : model): use a model with a larger context, "
                + "or set agent.learn_from_failures: false"
        case .requestTooLarge: return "the request exceeds the account's per-minute token limit: use a smaller prompt or a higher tier"
        case .modelNotFound:
            return provider == .ollama ? "run `ollama pull \(model)` on the Ollama host, or choose a pulled model with -m"
                : "check the model name (-m \(model.isEmpty ? "MODEL" : model)) and --base-url"
        case .badRequest: return "the server refused the request; check -m and --base-url"
        case .rateLimited: return "rate limited after every retry: wait, lower the request rate, or raise the account's limits"
        case .overloaded: return "the provider is overloaded: try again later"
        case .server: return "the provider failed: try again later"
        case .transport(.unknownHost), .transport(.connectionRefused):
            return provider == .ollama ? "is Ollama running? (`ollama serve`, or set OLLAMA_HOST)" : "check --base-url and the network"
        case .transport: return "the connection failed: check the network or raise agent.llm.timeout"
        case .malformed: return "the server's reply broke the \(provider.title) format; a compatible server may need another -p"
        }
    }

    public var description: String {
        var head = provider.rawValue
        if let status { head += ": HTTP \(status)" }
        if let code, !code.isEmpty { head += " \(code)" }
        let text = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? message
        let tried = attempts > 1 ? " (after \(attempts) attempts)" : ""
        return "\(head): \(Self.clip(text, 300))\(tried); \(hint)"
    }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "… (\(text.count) characters)"
    }
}
