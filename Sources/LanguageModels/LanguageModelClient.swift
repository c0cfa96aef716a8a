import AsyncHTTPClient
import Foundation
public import HTTPRetry
import NIOCore
import NIOHTTP1

/// What a call reports while it runs.
public enum ChatProgress: Sendable {
    /// Characters of the answer (and of reasoning) received so far.
    case receiving(characters: Int)
    /// A failed attempt, and the wait before the next.
    case retrying(reason: String, attempt: Int, of: Int, afterSeconds: Double)
}

/// Calls one provider: streams the reply (so a stalled server is noticed within `timeout`, and
/// the user sees it arrive), retries what the SDKs retry, and turns every failure into a
/// ``LanguageModelError`` that says what to do.
public final class LanguageModelClient: Sendable {
    public let endpoint: ProviderEndpoint
    public let policy: RetryPolicy
    /// The longest silence from the server, first byte included, in seconds.
    public let timeout: Double
    public let stream: Bool
    let format: any WireFormat

    public init(endpoint: ProviderEndpoint, policy: RetryPolicy = .languageModelSDK, timeout: Double = 120, stream: Bool = true) {
        self.endpoint = endpoint
        self.policy = policy
        self.timeout = timeout
        self.stream = stream
        switch endpoint.provider {
        case .openai: format = OpenAIChat()
        case .anthropic: format = AnthropicMessages()
        case .ollama: format = OllamaChat()
        }
    }

    /// The SDKs' retry policy with `maxRetries` retries.
    public convenience init(endpoint: ProviderEndpoint, maxRetries: Int, timeout: Double = 120, stream: Bool = true) {
        var policy = RetryPolicy.languageModelSDK
        policy.maxRetries = maxRetries
        self.init(endpoint: endpoint, policy: policy, timeout: timeout, stream: stream)
    }

    /// Asks the model, retrying transient failures.
    /// - Throws: ``LanguageModelError``: fatal kinds at once, transient ones after the retries.
    public func complete(_ request: ChatRequest,
                         progress: @escaping @Sendable (ChatProgress) -> Void = { _ in }) async throws(LanguageModelError) -> ChatReply {
        let started = Date()
        var attempt = 0
        while true {
            attempt += 1
            do {
                let accumulated = try await once(request, progress: progress)
                return accumulated.reply(latency: Date().timeIntervalSince(started), attempts: attempt)
            } catch var error {
                error.attempts = attempt
                error.model = request.model
                error.message = endpoint.redact(error.message)
                if Task.isCancelled { throw error }
                guard error.isTransient, attempt <= policy.maxRetries,
                      let wait = policy.delay(attempt: attempt, retryAfter: error.retryAfter) else { throw error }
                progress(.retrying(reason: error.shortReason, attempt: attempt, of: policy.maxRetries, afterSeconds: wait))
                do { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) } catch { throw LanguageModelError.cancelled(endpoint.provider) }
            }
        }
    }

    /// One request.
    private func once(_ request: ChatRequest, progress: @escaping @Sendable (ChatProgress) -> Void) async throws(LanguageModelError) -> ReplyAccumulator {
        var configuration = HTTPClient.Configuration()
        let ms = Int64(timeout * 1000)
        // async-http-client keeps retrying a refused connection until the connect timeout: keep
        // it short, so a server that is not running is said in seconds.
        configuration.timeout = .init(connect: .milliseconds(min(ms, 5_000)), read: .milliseconds(ms))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let result: Result<ReplyAccumulator, LanguageModelError>
        do {
            result = .success(try await exchange(request, http: http, progress: progress))
        } catch let error as LanguageModelError {
            result = .failure(error)
        } catch {
            result = .failure(Task.isCancelled ? .cancelled(endpoint.provider)
                              : LanguageModelError(provider: endpoint.provider, kind: .transport(TransportFailure(error)),
                                                   message: TransportFailure(error).description))
        }
        try? await http.shutdown()
        return try result.get()
    }

    private func exchange(_ request: ChatRequest, http: HTTPClient, progress: @escaping @Sendable (ChatProgress) -> Void) async throws -> ReplyAccumulator {
        let (url, headers, body) = format.httpRequest(request, endpoint: endpoint, stream: stream)
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = .POST
        for (name, value) in headers { outgoing.headers.add(name: name, value: value) }
        outgoing.headers.add(name: "User-Agent", value: "llmalpha")
        outgoing.body = .bytes(ByteBuffer(bytes: body))
        // The read timeout catches silence; this bounds a server that trickles forever.
        let response = try await http.execute(outgoing, deadline: .now() + .seconds(max(600, Int64(timeout * 10))))
        let status = Int(response.status.code)
        guard status == 200 else {
            let bytes = try await response.body.collect(upTo: 1 << 20)
            var error = format.error(status: status, body: Data(bytes.readableBytesView), model: request.model)
            error.retryAfter = RetryAfter.seconds { response.headers.first(name: $0) }
            if let should = response.headers.first(name: "x-should-retry") { error.shouldRetry = should.lowercased() == "true" }
            if error.shouldRetry == nil, !TransientFailure.isTransient(status: status) { error.shouldRetry = false }
            throw error
        }
        var reply = ReplyAccumulator(model: request.model)
        let contentType = response.headers.first(name: "content-type") ?? ""
        // A server may answer a streamed request whole (some compatible ones ignore `stream`).
        if !stream || contentType.hasPrefix("application/json") {
            let bytes = try await response.body.collect(upTo: 64 << 20)
            try format.decode(whole: Data(bytes.readableBytesView), into: &reply)
            return reply
        }
        var reported = 0
        func report() {
            let n = reply.text.count + reply.reasoning.count
            if n - reported >= 64 { reported = n; progress(.receiving(characters: n)) }
        }
        if format.streamsLines {
            var lines = LineSplitter()
            for try await buffer in response.body {
                for line in lines.feed(buffer.readableBytesView) {
                    try format.consume(event: nil, data: line, into: &reply)
                    report()
                }
            }
            if let last = lines.finish() { try format.consume(event: nil, data: last, into: &reply) }
        } else {
            var events = ServerSentEvents()
            stream: for try await buffer in response.body {
                for event in events.feed(buffer.readableBytesView) {
                    try format.consume(event: event.name, data: event.data, into: &reply)
                    report()
                    if reply.ended { break stream }
                }
            }
            if !reply.ended, let last = events.finish() { try format.consume(event: last.name, data: last.data, into: &reply) }
        }
        guard reply.complete else {
            throw LanguageModelError(provider: endpoint.provider, kind: .malformed,
                                     message: "the stream ended before the reply did (\(reply.text.count) characters received)")
        }
        return reply
    }
}

extension LanguageModelError {
    static func cancelled(_ provider: LanguageModelProvider) -> LanguageModelError {
        LanguageModelError(provider: provider, kind: .transport(.other("cancelled")), message: "cancelled")
    }

    /// The reason of a failed attempt in a few words, for progress lines.
    public var shortReason: String {
        var s = status.map { "HTTP \($0)" } ?? ""
        if let code, !code.isEmpty { s += (s.isEmpty ? "" : " ") + code }
        if s.isEmpty { s = Self.clip(message, 80) }
        return s
    }
}

/// NDJSON: bytes in, complete lines out (`\n` or `\r\n`), whatever the chunking.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [String] where Bytes.Element == UInt8 {
        var lines: [String] = []
        for byte in bytes {
            if byte == 0x0A {
                if pending.last == 0x0D { pending.removeLast() }
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return lines
    }

    /// A last line with no newline after it.
    mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}

extension LanguageModelClient {
    /// o-series and gpt-5 models: `max_completion_tokens`, and no temperature but their own.
    public static func isReasoningModel(_ model: String) -> Bool { OpenAIChat.isReasoningModel(model) }
}
