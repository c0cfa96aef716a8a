import FakeLanguageModel
import Foundation
import HTTPRetry
import LanguageModels
import Testing

/// The clients against a real HTTP server on 127.0.0.1 replaying the recorded bodies, with every
/// fault the issue names: each ends as the SDKs' rules say.
@Suite("Language-model clients against the fake provider")
struct ClientFaultTests {
    static let script = """
        hypothesis { name = "fake_reply", rationale = "a reply", timeframe = "1h" }
        function factor(d) return d.close end
        """

    /// Quick retries: the fake answers 429s with retry-after-ms: 50.
    static func client(_ provider: LanguageModelProvider, _ server: FakeLanguageModel, stream: Bool = true, timeout: Double = 30,
                       retries: Int = 2) -> LanguageModelClient {
        let base = provider == .openai ? server.baseURL + "/v1" : server.baseURL
        let policy = RetryPolicy(maxRetries: retries, baseDelay: 0.01, maxDelay: 0.05, jitter: 0.25)
        return LanguageModelClient(endpoint: ProviderEndpoint(provider: provider, baseURL: base, apiKey: "sk-test-1234567890"),
                                   policy: policy, timeout: timeout, stream: stream)
    }

    static func ask(_ client: LanguageModelClient, model: String = "gpt-4o") async throws(LanguageModelError) -> ChatReply {
        try await client.complete(ChatRequest(model: model, messages: [ChatMessage(.system, "be brief"), ChatMessage(.user, "a script")],
                                              temperature: 0.2, maxTokens: 512))
    }

    /// The error a call ends with, or nil when it answered.
    static func failure(_ client: LanguageModelClient, model: String = "gpt-4o") async -> LanguageModelError? {
        let result = await withCheckedContinuation { (done: CheckedContinuation<LanguageModelError?, Never>) in
            Task {
                do { _ = try await ask(client, model: model); done.resume(returning: nil) } catch { done.resume(returning: error as? LanguageModelError) }
            }
        }
        return result
    }

    @Test("Each provider, streamed and whole: the text, the usage, the key in the right header",
          arguments: [LanguageModelProvider.openai, .anthropic, .ollama], [true, false])
    func providers(provider: LanguageModelProvider, stream: Bool) async throws {
        try await FakeLanguageModel.with { server in
            server.enqueue(Self.script)
            let reply = try await Self.ask(Self.client(provider, server, stream: stream))
            #expect(reply.text == Self.script)
            #expect(reply.usage != nil && reply.usage!.prompt > 0 && reply.usage!.completion > 0)
            let request = try #require(server.requests.last)
            switch provider {
            case .openai:
                #expect(request.path == "/v1/chat/completions" && request.headers["authorization"] == "Bearer sk-test-1234567890")
            case .anthropic:
                #expect(request.path == "/v1/messages" && request.headers["x-api-key"] == "sk-test-1234567890")
                #expect(request.headers["anthropic-version"] == "2023-06-01")
                #expect(request.json?["system"] as? String == "be brief")
            case .ollama:
                #expect(request.path == "/api/chat")
            }
            #expect(request.json?["stream"] as? Bool == stream)
        }
    }

    @Test("Transient faults are retried and the call succeeds", arguments: [
        (LanguageModelProvider.openai, FakeLanguageModel.Fault.status(429)),
        (.openai, .status(500)), (.openai, .status(503)), (.openai, .truncatedStream), (.openai, .invalidJSONChunk),
        (.openai, .midStreamError), (.openai, .reset),
        (.anthropic, .status(529)), (.anthropic, .status(429)), (.anthropic, .midStreamError), (.anthropic, .truncatedStream),
        (.ollama, .midStreamError), (.ollama, .truncatedStream), (.ollama, .status(500)),
    ])
    func transient(provider: LanguageModelProvider, fault: FakeLanguageModel.Fault) async throws {
        try await FakeLanguageModel.with { server in
            server.enqueue(Self.script)
            server.inject(fault)
            let reply = try await Self.ask(Self.client(provider, server))
            #expect(reply.text == Self.script)
            // At least the one retry (a loaded machine may add a timed-out attempt).
            #expect(reply.attempts >= 2 && server.requests.count >= 2)
        }
    }

    @Test("A very slow first byte times out and the retry succeeds")
    func slowFirstByte() async throws {
        try await FakeLanguageModel.with { server in
            server.enqueue(Self.script)
            server.inject(.slowFirstByte(seconds: 2))
            let reply = try await Self.ask(Self.client(.openai, server, timeout: 0.4))
            #expect(reply.text == Self.script && reply.attempts >= 2)
        }
    }

    @Test("Fatal errors are not retried: one request, a one-line error that says what to do", arguments: [
        (LanguageModelProvider.openai, FakeLanguageModel.Fault.status(401), "OPENAI_API_KEY"),
        (.openai, .insufficientQuota, "add credit"),
        (.openai, .requestTooLarge, "per-minute token limit"),
        (.openai, .status(400), "larger context"),
        (.anthropic, .status(401), "ANTHROPIC_API_KEY"),
        (.ollama, .status(404), "ollama pull"),
        (.openai, .shouldRetryFalse(500), "try again later"),
    ])
    func fatal(provider: LanguageModelProvider, fault: FakeLanguageModel.Fault, hint: String) async throws {
        try await FakeLanguageModel.with { server in
            server.inject(fault, times: 5)
            let error = try #require(await Self.failure(Self.client(provider, server), model: provider == .ollama ? "llama9" : "gpt-4o"))
            #expect(error.description.contains(hint), "\(error.description)")
            #expect(!error.description.contains("\n"))
            #expect(!error.description.contains("sk-test-1234567890"))
            #expect(server.requests.count == 1)
        }
    }

    @Test("A transient fault that persists ends after the retries, counted")
    func retriesRunOut() async throws {
        try await FakeLanguageModel.with { server in
            server.inject(.status(529), times: 10)
            let error = try #require(await Self.failure(Self.client(.anthropic, server, retries: 2)))
            #expect(error.kind == .overloaded && error.attempts == 3 && !error.isFatal)
            #expect(error.description.contains("after 3 attempts"))
            #expect(server.requests.count == 3)
        }
    }

    @Test("Nothing listening: connection refused, with a hint for Ollama")
    func refused() async throws {
        let client = LanguageModelClient(endpoint: ProviderEndpoint(provider: .ollama, baseURL: "http://127.0.0.1:9"),
                                         policy: RetryPolicy(maxRetries: 1, baseDelay: 0.01, maxDelay: 0.01, jitter: 0), timeout: 2)
        let error = try #require(await Self.failure(client, model: "llama3"))
        #expect(error.kind == .transport(.connectionRefused), "\(error)")
        #expect(error.description.contains("ollama serve"))
    }
}
