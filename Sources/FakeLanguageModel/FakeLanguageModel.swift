package import Foundation
import LoopbackHTTP
import NIOCore
import NIOHTTP1
import NIOPosix

/// A fake language-model provider: a real HTTP/1.1 server on 127.0.0.1 answering the OpenAI
/// (`POST /v1/chat/completions`), Anthropic (`POST /v1/messages`) and Ollama (`POST /api/chat`,
/// `GET /api/tags`) wire formats, whole or streamed, from the real recorded bodies in `Fixtures/`
/// with only the assistant's text swapped in. Replies are queued; faults are injected for a number
/// of requests; every request is kept for the test to inspect.
///
/// ```swift
/// try await FakeLanguageModel.with { model in
///     model.enqueue("first answer", "second answer")
///     model.inject(.status(429), times: 2, on: "/v1/messages")
///     ... AnthropicClient(baseURL: model.baseURL, ...)
/// }
/// ```
package final class FakeLanguageModel: Sendable {
    package enum Fault: Sendable, Equatable {
        /// This status with the provider's recorded error body (and headers, where a capture has
        /// them). A 429 carries `retry-after-ms: 50` in place of any `retry-after`, so retrying tests
        /// stay fast. Statuses without a recording get a body in the provider's error shape.
        case status(Int)
        /// OpenAI's 429 `insufficient_quota`: billing, so no retry can succeed.
        case insufficientQuota
        /// OpenAI's 429 "Request too large" (Requested > Limit), so no retry can succeed.
        case requestTooLarge
        /// A 200 stream that stops after about half its text by closing the connection, without the
        /// end event. A whole body is cut in half under its full Content-Length.
        case truncatedStream
        /// A 200 stream whose first content event is cut in half, so not valid JSON; a whole body
        /// is cut likewise (with a matching Content-Length).
        case invalidJSONChunk
        /// A 200 stream carrying the provider's in-stream error after about half the text; a whole
        /// body is that error object under status 200.
        case midStreamError
        /// Wait this long before the response head; the reply is served (and used up) only if the
        /// client is still connected by then.
        case slowFirstByte(seconds: Double)
        /// Close the connection without any response.
        case reset
        /// `.status(code)` with `x-should-retry: false`.
        case shouldRetryFalse(Int)
    }

    /// One request as the server read it.
    package struct Request: Sendable {
        package let method: String
        /// Without the query.
        package let path: String
        /// Names lowercased; a repeated header's values joined with ", ".
        package let headers: [String: String]
        package let body: Data

        /// The body as a JSON object, or nil when it is not one.
        package var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    }

    /// What is served before any reply is queued.
    package static let defaultReply = "Hello from the fake language model."

    private struct Rule {
        let path: String?
        let fault: Fault
        var remaining: Int
    }

    private struct State {
        var replies: [String] = []
        var lastReply = FakeLanguageModel.defaultReply
        var rules: [Rule] = []
        var log: [Request] = []
    }

    private let state = Protected(State())
    private let server: LoopbackHTTPServer
    package let port: Int

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts a server on a free port, runs `body`, and shuts the server down whether `body`
    /// returned or threw.
    package static func with<T>(_ body: (FakeLanguageModel) async throws -> T) async throws -> T {
        let model = try await FakeLanguageModel(port: 0)
        do {
            let result = try await body(model)
            await model.shutdown()
            return result
        } catch {
            await model.shutdown()
            throw error
        }
    }

    /// Starts a server that runs until ``shutdown()``; port 0 picks a free one (see ``port``).
    package static func start(port: Int) async throws -> FakeLanguageModel {
        try await FakeLanguageModel(port: port)
    }

    private init(port: Int) async throws {
        let model = Protected<FakeLanguageModel?>(nil)
        server = try await LoopbackHTTPServer(port: port) { ConnectionHandler(server: model) }
        self.port = server.port
        model.withLock { $0 = self }
    }

    package func shutdown() async {
        await server.shutdown()
    }

    // MARK: Control

    /// Replies (the assistant's text) served in order, one per successful request; when the queue
    /// is empty the last one is repeated; before any is queued, ``defaultReply``.
    package func enqueue(_ replies: String...) {
        state.withLock { $0.replies += replies }
    }

    /// The next `times` model requests (the three chat routes), or with `path` the next `times`
    /// requests whose path contains it, get `fault`. A fault does not use up a queued reply: a
    /// broken stream carries the next reply's text, and the request after it gets that reply again.
    package func inject(_ fault: Fault, times: Int = 1, on path: String? = nil) {
        state.withLock { $0.rules.append(Rule(path: path, fault: fault, remaining: times)) }
    }

    /// Every request so far, in arrival order.
    package var requests: [Request] { state.withLock { $0.log } }

    /// The next reply; `consume` false leaves it queued (a broken answer does not use it up).
    private func nextReply(consume: Bool) -> String {
        state.withLock { state in
            guard let first = state.replies.first else { return state.lastReply }
            if consume {
                state.replies.removeFirst()
                state.lastReply = first
            }
            return first
        }
    }

    // MARK: Serving

    /// Logs `request` and takes the fault it gets, if any.
    fileprivate func take(_ request: Request) -> Fault? {
        let route = Route(method: request.method, path: request.path)
        return state.withLock { state in
            state.log.append(request)
            guard let i = state.rules.firstIndex(where: { rule in
                rule.remaining > 0 && (rule.path.map { request.path.contains($0) } ?? route.isChat)
            }) else { return nil }
            state.rules[i].remaining -= 1
            return state.rules[i].fault
        }
    }

    /// The answer to `request` under `fault` (a slow first byte has been waited out by then).
    fileprivate func answer(_ request: Request, fault: Fault?) -> Answer {
        let route = Route(method: request.method, path: request.path)
        var fault = fault
        if case .slowFirstByte? = fault { fault = nil }
        let json = request.json
        let model = json?["model"] as? String
        switch fault {
        case .reset?:
            return .silence
        case .status(let code)?:
            return Self.failure(code, on: route, model: model)
        case .shouldRetryFalse(let code)?:
            guard case .whole(let status, var headers, let body, _) = Self.failure(code, on: route, model: model) else { return .silence }
            headers.removeAll { $0.0 == "x-should-retry" }
            headers.append(("x-should-retry", "false"))
            return .whole(status: status, headers: headers, body: body)
        case .insufficientQuota?:
            return .whole(status: 429, headers: Self.jsonHeaders, body: Self.recordedBody("openai-error-429-insufficient-quota.json"))
        case .requestTooLarge?:
            return .whole(status: 429, headers: Self.jsonHeaders, body: Self.recordedBody("openai-error-429-request-too-large.json"))
        case nil, .truncatedStream?, .invalidJSONChunk?, .midStreamError?, .slowFirstByte?:
            break
        }

        let wantsStream = json?["stream"] as? Bool
        let options = json?["stream_options"] as? [String: Any]
        let transcript: Transcript
        let whole: Data
        switch route {
        case .ollamaTags:
            return .whole(status: 200, headers: Self.jsonHeaders, body: Data(Self.ollamaTags.utf8))
        case .unknown:
            let message = #"{"error":"fake language model: no route for \#(request.method) \#(request.path)"}"#
            return .whole(status: 404, headers: Self.jsonHeaders, body: Data(message.utf8))
        case .openAI:
            let text = nextReply(consume: fault == nil)
            transcript = Self.openAIStream(text, includeUsage: options?["include_usage"] as? Bool == true)
            whole = Self.openAICompletion(text)
        case .anthropic:
            let text = nextReply(consume: fault == nil)
            transcript = Self.anthropicStream(text)
            whole = Self.anthropicMessage(text)
        case .ollama:
            let text = nextReply(consume: fault == nil)
            transcript = Self.ollamaStream(text, model: model)
            whole = Self.ollamaChat(text, model: model)
        }
        // Ollama streams unless told not to; the others only when asked.
        if wantsStream ?? (route == .ollama) {
            return transcript.answer(broken: fault, error: Self.inStreamError(on: route))
        }
        switch fault {
        case .truncatedStream?:
            return .whole(status: 200, headers: Self.jsonHeaders, body: whole, sentBytes: whole.count / 2)
        case .invalidJSONChunk?:
            return .whole(status: 200, headers: Self.jsonHeaders, body: whole.prefix(whole.count / 2))
        case .midStreamError?:
            return .whole(status: 200, headers: Self.jsonHeaders, body: Data(Self.inStreamError(on: route).data.utf8))
        default:
            return .whole(status: 200, headers: Self.jsonHeaders, body: whole)
        }
    }

}

/// One connection: reads a request, answers it as the server's rules say, on the event loop.
private final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: Protected<FakeLanguageModel?>
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(server: Protected<FakeLanguageModel?>) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let next):
            head = next
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head, let server = server.withLock({ $0 }) else { return }
            let request = FakeLanguageModel.Request(head: head, body: Data(body.readableBytesView))
            let fault = server.take(request)
            if case .slowFirstByte(let seconds) = fault {
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
                    let (handler, context) = bound.value
                    // A client that gave up must not use up the reply its retry is waiting for.
                    guard context.channel.isActive else { return }
                    handler.write(server.answer(request, fault: nil), context: context)
                }
            } else {
                write(server.answer(request, fault: fault), context: context)
            }
        }
    }

    private func write(_ answer: Answer, context: ChannelHandlerContext) {
        switch answer {
        case .silence:
            context.close(promise: nil)
        case .whole(let status, let headers, let body, let sentBytes):
            var fields = HTTPHeaders(headers)
            fields.replaceOrAdd(name: "content-length", value: "\(body.count)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: fields))),
                          promise: nil)
            let part = wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body.prefix(sentBytes ?? body.count)))))
            if sentBytes == nil {
                context.write(part, promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                closeAfter(context.writeAndFlush(part), context: context)
            }
        case .stream(let contentType, let events, let complete):
            let fields = HTTPHeaders([("content-type", contentType), ("cache-control", "no-cache"), ("transfer-encoding", "chunked")])
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))), promise: nil)
            // One flush per event, so the client sees them arrive one by one as from a real provider.
            var last = context.eventLoop.makeSucceededVoidFuture()
            for event in events { last = context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: event))))) }
            if complete {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                closeAfter(last, context: context)
            }
        }
    }

    /// Closes once `written` is on the wire, so a cut-off answer arrives cut where it was meant to be.
    private func closeAfter(_ written: EventLoopFuture<Void>, context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.whenComplete { _ in bound.value.close(promise: nil) }
    }
}

extension FakeLanguageModel.Request {
    init(head: HTTPRequestHead, body: Data) {
        method = head.method.rawValue
        path = String(head.uri.prefix { $0 != "?" })
        var headers: [String: String] = [:]
        for (name, value) in head.headers {
            let key = name.lowercased()
            headers[key] = headers[key].map { "\($0), \(value)" } ?? value
        }
        self.headers = headers
        self.body = body
    }
}

/// Which wire format a request speaks, from its method and path.
enum Route: Equatable {
    case openAI, anthropic, ollama, ollamaTags, unknown

    init(method: String, path: String) {
        switch (method, path) {
        case ("POST", "/v1/chat/completions"), ("POST", "/chat/completions"): self = .openAI
        case ("POST", "/v1/messages"): self = .anthropic
        case ("POST", "/api/chat"): self = .ollama
        case ("GET", "/api/tags"): self = .ollamaTags
        default: self = .unknown
        }
    }

    /// A route that asks the model for a reply (where faults land when no path is named).
    var isChat: Bool { self == .openAI || self == .anthropic || self == .ollama }
}

/// What the server sends for one request.
enum Answer {
    /// A body under its Content-Length; with `sentBytes`, only that many bytes before the
    /// connection closes.
    case whole(status: Int, headers: [(String, String)], body: Data, sentBytes: Int? = nil)
    /// A 200 whose events are written one by one; not `complete`: the connection closes instead of
    /// the body ending.
    case stream(contentType: String, events: [String], complete: Bool)
    /// The connection closes with nothing sent.
    case silence
}

/// A value behind a lock, shared between the server's event loops and the test.
typealias Protected<Value> = LockedValue<Value>
