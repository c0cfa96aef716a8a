import FakeLanguageModel
import Foundation
@testable import HTTPRetry
@testable import LanguageModels
import Testing

/// The three wire formats read from the real recorded bodies (unmodified), and the rules of
/// ../shared/fixtures/llm/README.md: where the text lives, which errors are fatal, how long to wait.
@Suite("Wire formats on recorded bodies")
struct WireFormatTests {
    static func streamed(_ format: any WireFormat, fixture: String, chunk: Int) throws -> ReplyAccumulator {
        let bytes = [UInt8](FakeLanguageModel.fixture(fixture))
        var reply = ReplyAccumulator()
        var events = ServerSentEvents()
        var lines = LineSplitter()
        // Fed in pieces of `chunk` bytes: events and lines must not care where the network cut.
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            let piece = bytes[start..<min(bytes.count, start + chunk)]
            if format.streamsLines {
                for line in lines.feed(piece) { try format.consume(event: nil, data: line, into: &reply) }
            } else {
                for e in events.feed(piece) { try format.consume(event: e.name, data: e.data, into: &reply) }
            }
        }
        if let last = lines.finish() { try format.consume(event: nil, data: last, into: &reply) }
        if let last = events.finish() { try format.consume(event: last.name, data: last.data, into: &reply) }
        return reply
    }

    @Test("OpenAI stream: deltas joined, finish reason, the usage chunk, [DONE]", arguments: [1, 7, 4096])
    func openAIStream(chunk: Int) throws {
        let r = try Self.streamed(OpenAIChat(), fixture: "openai-chat-stream.sse", chunk: chunk)
        #expect(r.text == "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend "
                + "checking a reliable weather website or a weather app.")
        #expect(r.finishReason == "stop" && r.ended)
        #expect(r.promptTokens == 14 && r.completionTokens == 30)
        #expect(r.model == "gpt-4o-2024-08-06")
    }

    @Test("Anthropic stream: text deltas, input tokens from message_start, output tokens from message_delta, ping ignored",
          arguments: [1, 5, 4096])
    func anthropicStream(chunk: Int) throws {
        let r = try Self.streamed(AnthropicMessages(), fixture: "anthropic-messages-stream.sse", chunk: chunk)
        #expect(r.text == "Hello there!")
        #expect(r.finishReason == "end_turn" && r.ended)
        #expect(r.promptTokens == 11 && r.completionTokens == 6)
    }

    @Test("Ollama NDJSON: contents joined, counts from the done line", arguments: [1, 3, 4096])
    func ollamaStream(chunk: Int) throws {
        let r = try Self.streamed(OllamaChat(), fixture: "ollama-chat-stream.ndjson", chunk: chunk)
        #expect(r.text == "The answer is: 2")
        #expect(r.finishReason == "stop" && r.ended)
        #expect(r.promptTokens == 18 && r.completionTokens == 7)
    }

    @Test("An error line inside Ollama's 200 stream is an error, not text")
    func ollamaMidStreamError() throws {
        #expect(throws: LanguageModelError.self) { try Self.streamed(OllamaChat(), fixture: "ollama-stream-midstream-error.ndjson", chunk: 64) }
    }

    @Test("Whole replies: OpenAI, Anthropic, Ollama")
    func wholeReplies() throws {
        var o = ReplyAccumulator()
        try OpenAIChat().decode(whole: FakeLanguageModel.fixture("openai-chat-completion.json"), into: &o)
        #expect(o.text.hasPrefix("I'm unable to provide real-time weather updates.") && o.promptTokens == 14 && o.completionTokens == 37)
        var tool = ReplyAccumulator()
        // content: null beside tool_calls: no text, no crash.
        try OpenAIChat().decode(whole: FakeLanguageModel.fixture("openai-chat-completion-tool-calls.json"), into: &tool)
        #expect(tool.text.isEmpty && tool.finishReason == "tool_calls")
        var a = ReplyAccumulator()
        try AnthropicMessages().decode(whole: FakeLanguageModel.fixture("anthropic-messages.json"), into: &a)
        #expect(a.text == "Hi! My name is Claude." && a.promptTokens == 2095 && a.completionTokens == 503 && a.finishReason == "end_turn")
        var l = ReplyAccumulator()
        try OllamaChat().decode(whole: FakeLanguageModel.fixture("ollama-chat.json"), into: &l)
        #expect(!l.text.isEmpty && l.ended)
        var cut = ReplyAccumulator()
        try OpenAIChat().decode(whole: FakeLanguageModel.fixture("openai-chat-completion-finish-length.json"), into: &cut)
        #expect(cut.reply(latency: 0, attempts: 1).truncated)
    }

    @Test("Recorded errors: what is fatal, what is retried, and the hint", arguments: [
        ("openai", "openai-error-401-invalid-api-key.json", 401, "authentication", true),
        ("openai", "openai-error-429-insufficient-quota.json", 429, "quota", true),
        ("openai", "openai-error-429-request-too-large.json", 429, "requestTooLarge", true),
        ("openai", "openai-error-429-rate-limit-exceeded.json", 429, "rateLimited", false),
        ("openai", "openai-error-400-context-length-exceeded.json", 400, "contextTooLong", true),
        ("openai", "openai-error-500-server-error.json", 500, "server", false),
        ("openai", "openai-error-503-overloaded.json", 503, "overloaded", false),
        ("anthropic", "anthropic-error-401-authentication.json", 401, "authentication", true),
        ("anthropic", "anthropic-error-400-invalid-request.json", 400, "contextTooLong", true),   // "prompt is too long"
        ("anthropic", "anthropic-error-429-rate-limit.json", 429, "rateLimited", false),
        ("anthropic", "anthropic-error-529-overloaded.json", 529, "overloaded", false),
        ("anthropic", "anthropic-error-529-overloaded-with-request-id.json", 529, "overloaded", false),
        ("ollama", "ollama-error-404-model-not-found.json", 404, "modelNotFound", true),
    ])
    func recordedErrors(provider: String, fixture: String, status: Int, kind: String, fatal: Bool) {
        let formats: [String: any WireFormat] = ["openai": OpenAIChat(), "anthropic": AnthropicMessages(), "ollama": OllamaChat()]
        let format = formats[provider]!
        let error = format.error(status: status, body: FakeLanguageModel.fixture(fixture), model: "m1")
        #expect("\(error.kind)" == kind)
        #expect(error.isFatal == fatal)
        #expect(error.isTransient == !fatal)
        #expect(!error.description.contains("\n"))
        #expect(error.description.hasPrefix("\(provider): HTTP \(status)"))
        if kind == "modelNotFound" { #expect(error.description.contains("ollama pull m1")) }
        if kind == "authentication" { #expect(error.description.contains(provider == "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY")) }
    }

    @Test("Reasoning models get max_completion_tokens and no temperature; others max_tokens and theirs")
    func reasoningModels() throws {
        for (model, reasoning) in [("o3-mini", true), ("o4-mini", true), ("gpt-5.2", true), ("openai/gpt-5", true), ("gpt-4o", false),
                                   ("gpt-5-chat-latest", false), ("deepseek-chat", false), ("ollama3", false)] {
            let request = ChatRequest(model: model, messages: [ChatMessage(.user, "hi")], temperature: 0.7, maxTokens: 100)
            let body = OpenAIChat().httpRequest(request, endpoint: ProviderEndpoint(provider: .openai, apiKey: "k"), stream: true).body
            let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            #expect((json["max_completion_tokens"] != nil) == reasoning, "\(model)")
            #expect((json["temperature"] == nil) == reasoning, "\(model)")
            #expect((json["stream_options"] as? [String: Bool])?["include_usage"] == true)
        }
    }

    @Test("The seed goes to OpenAI and Ollama and into the cache key; Ollama gets room for the prompt")
    func seedAndContext() throws {
        let long = ChatRequest(model: "qwen2.5-coder:7b", messages: [ChatMessage(.user, String(repeating: "x", count: 30_000))],
                               temperature: 0.7, maxTokens: 4096, seed: 42)
        let endpoint = ProviderEndpoint(provider: .ollama, baseURL: "http://gpu:11434")
        let ollama = try #require(try JSONSerialization.jsonObject(with: OllamaChat().httpRequest(long, endpoint: endpoint, stream: true).body)
                                  as? [String: Any])
        let options = try #require(ollama["options"] as? [String: Any])
        // 30,000 characters at 3 a token and 4,096 for the reply: 14,096, rounded up to 14 × 1,024 = 14,336.
        #expect(options["num_ctx"] as? Int == 14_336 && options["seed"] as? Int == 42 && options["num_predict"] as? Int == 4096)
        let openAI = try #require(try JSONSerialization.jsonObject(with: OpenAIChat().httpRequest(long, endpoint: ProviderEndpoint(provider: .openai),
                                                                                                 stream: false).body) as? [String: Any])
        #expect(openAI["seed"] as? Int == 42)
        var other = long
        other.seed = 43
        #expect(long.requestHash(endpoint: endpoint) != other.requestHash(endpoint: endpoint))
        #expect(long.requestHash(endpoint: endpoint) != long.requestHash(endpoint: ProviderEndpoint(provider: .ollama, baseURL: "http://other:11434")))
        #expect(ProviderEndpoint.publicForm("https://user:secret@host.example/v1?token=abc") == "https://host.example/v1")
    }

    @Test("<think> blocks and reasoning_content are kept apart from the answer")
    func thinking() {
        #expect(ReplyAccumulator.splitThinking("<think>plan it</think>\n```lua\nx\n```").answer == "```lua\nx\n```")
        #expect(ReplyAccumulator.splitThinking("<think>cut off at the limit").answer.isEmpty)
        var r = ReplyAccumulator()
        try? OpenAIChat().consume(event: nil, data: #"{"choices":[{"delta":{"reasoning_content":"hmm","content":null}}]}"#, into: &r)
        try? OpenAIChat().consume(event: nil, data: #"{"choices":[{"delta":{"content":"ok"},"finish_reason":"stop"}]}"#, into: &r)
        #expect(r.text == "ok" && r.reasoning == "hmm" && r.complete)
    }
}

@Suite("Server-sent events, NDJSON, retries, keys, prices")
struct TransportRuleTests {
    @Test("SSE: CRLF and CR line ends, comments, multi-line data, an event name, a BOM")
    func serverSentEvents() {
        var p = ServerSentEvents()
        let text = "\u{FEFF}: OPENROUTER PROCESSING\r\n\r\nevent: ping\r\ndata: {}\r\n\r\ndata: a\rdata: b\r\rdata:no-space\n\n"
        let events = p.feed(Array(text.utf8))
        #expect(events == [.init(name: "ping", data: "{}"), .init(name: nil, data: "a\nb"), .init(name: nil, data: "no-space")])
        var q = ServerSentEvents()
        #expect(q.feed(Array("data: tail".utf8)).isEmpty)
        #expect(q.finish() == .init(name: nil, data: "tail"))
    }

    @Test("NDJSON lines whatever the chunking, CRLF tolerated")
    func lines() {
        var s = LineSplitter()
        #expect(s.feed(Array("{\"a\":1}\r\n{\"b\"".utf8)) == ["{\"a\":1}"])
        #expect(s.feed(Array(":2}\n".utf8)) == ["{\"b\":2}"])
        #expect(s.finish() == nil)
    }

    @Test("Retry-After: milliseconds first, then seconds, then an HTTP date; longer than 120 s means do not retry")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)   // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryAfter.seconds({ ["retry-after-ms": "250", "retry-after": "9"][$0] }, now: now) == 0.25)
        #expect(RetryAfter.seconds({ ["retry-after": "3"][$0] }, now: now) == 3)
        #expect(RetryAfter.seconds({ ["retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"][$0] }, now: now) == 30)
        #expect(RetryAfter.seconds({ ["retry-after": "soon"][$0] }, now: now) == nil)
        let policy = RetryPolicy.languageModelSDK
        #expect(policy.delay(attempt: 1, retryAfter: 121) == nil)
        #expect(policy.delay(attempt: 1, retryAfter: 2) == 2)
        // 0.5 s doubling, capped at 8 s, up to 25% off.
        #expect(policy.delay(attempt: 1, random: 0) == 0.5 && policy.delay(attempt: 3, random: 0) == 2)
        #expect(policy.delay(attempt: 10, random: 0) == 8 && policy.delay(attempt: 10, random: 1) == 6)
        #expect(TransientFailure.shouldRetry(status: 500, header: { $0 == "x-should-retry" ? "false" : nil }) == false)
        #expect(TransientFailure.shouldRetry(status: 400, header: { $0 == "x-should-retry" ? "true" : nil }) == true)
        #expect([408, 409, 429, 500, 529].allSatisfy(TransientFailure.isTransient) && ![400, 401, 403, 404].contains(where: TransientFailure.isTransient))
    }

    @Test("Keys: the flag, then the environment, then .env; the key never in a description")
    func keys() {
        let dotEnv = DotEnv.parse("""
            # comment
            export OPENAI_API_KEY="sk-from-dotenv-123456"
            ANTHROPIC_API_KEY=sk-ant-dotenv-abcdef # trailing comment
            OLLAMA_HOST='gpu-box:11434'
            """)
        #expect(dotEnv["OPENAI_API_KEY"] == "sk-from-dotenv-123456" && dotEnv["ANTHROPIC_API_KEY"] == "sk-ant-dotenv-abcdef")
        let credentials = ProviderCredentials(environment: ["OPENAI_API_KEY": "sk-env-7890abcdef"], dotEnv: dotEnv)
        #expect(credentials.endpoint(.openai).apiKey == "sk-env-7890abcdef")
        #expect(credentials.endpoint(.openai, apiKey: "sk-flag-000000000").apiKey == "sk-flag-000000000")
        #expect(credentials.endpoint(.anthropic).apiKey == "sk-ant-dotenv-abcdef")
        #expect(credentials.endpoint(.ollama).baseURL == "http://gpu-box:11434")
        #expect(credentials.configured == [.openai, .anthropic])
        let endpoint = credentials.endpoint(.openai)
        #expect(!endpoint.description.contains("sk-env"))
        #expect(endpoint.redact("Incorrect API key provided: sk-env-7890abcdef.") == "Incorrect API key provided: sk-….")
    }

    @Test("Prices: exact, longest prefix, namespaced; unknown models unpriced")
    func prices() {
        let table = PriceTable(["gpt-4o": ModelPrice(input: 2.5, output: 10), "gpt-4o-mini": ModelPrice(input: 0.15, output: 0.6)])
        // 1,000,000 prompt tokens at $2.50 and 200,000 completion tokens at $10 per million: $4.50.
        #expect(table.cost(of: TokenUsage(prompt: 1_000_000, completion: 200_000), model: "gpt-4o-2024-08-06") == 4.5)
        #expect(table.price(of: "openai/gpt-4o-mini-2024-07-18") == ModelPrice(input: 0.15, output: 0.6))
        #expect(table.cost(of: TokenUsage(prompt: 10, completion: 10), model: "mystery-model") == nil)
        // A dated snapshot is its base model; another model sharing a prefix is not (o3-pro costs 10x o3).
        let more = PriceTable(["o3": ModelPrice(input: 2, output: 8), "claude-sonnet-4-5": ModelPrice(input: 3, output: 15)])
        #expect(more.price(of: "o3-pro") == nil && more.price(of: "o3-2025-04-16") == ModelPrice(input: 2, output: 8))
        #expect(more.price(of: "claude-sonnet-4-5-20250929") == ModelPrice(input: 3, output: 15))
        #expect(more.price(of: "claude-sonnet-4-5-latest") == ModelPrice(input: 3, output: 15))
    }
}
