import Foundation

/// One provider's request and reply shapes. Replies are read as loose JSON: unknown fields,
/// nulls and missing optional parts (a compatible server's deviations) are tolerated; only a reply
/// with no answer in it is an error.
protocol WireFormat: Sendable {
    var provider: LanguageModelProvider { get }
    /// The URL, headers and JSON body of `request`.
    func httpRequest(_ request: ChatRequest, endpoint: ProviderEndpoint, stream: Bool) -> (url: String, headers: [(String, String)], body: Data)
    /// A whole (non-streamed) 200 reply.
    func decode(whole body: Data, into reply: inout ReplyAccumulator) throws(LanguageModelError)
    /// One streamed event: an SSE event's name and data, or one NDJSON line (`event` nil).
    func consume(event: String?, data: String, into reply: inout ReplyAccumulator) throws(LanguageModelError)
    /// A non-200 answer.
    func error(status: Int, body: Data, model: String) -> LanguageModelError
    /// Ollama streams NDJSON, the others server-sent events.
    var streamsLines: Bool { get }
}

/// The reply as it arrives.
struct ReplyAccumulator {
    var text = ""
    var reasoning = ""
    var promptTokens: Int?
    var completionTokens: Int?
    var finishReason: String?
    var model = ""
    /// The format's end marker was seen (`[DONE]`, `message_stop`, `done: true`).
    var ended = false

    /// True when the stream said how it finished, even without its final marker.
    var complete: Bool { ended || finishReason != nil }

    func reply(latency: Double, attempts: Int) -> ChatReply {
        let (answer, thinking) = ReplyAccumulator.splitThinking(text)
        let usage: TokenUsage? = (promptTokens != nil || completionTokens != nil)
            ? TokenUsage(prompt: promptTokens ?? 0, completion: completionTokens ?? 0) : nil
        let reasoning = [reasoning, thinking].filter { !$0.isEmpty }.joined(separator: "\n")
        return ChatReply(text: answer, reasoning: reasoning, usage: usage, finishReason: finishReason, model: model,
                         latencySeconds: latency, attempts: attempts)
    }

    /// `<think>…</think>` blocks (llama.cpp, Ollama's OpenAI endpoint, DeepSeek distills) taken out
    /// of the answer; an unclosed one at the start is all thinking.
    static func splitThinking(_ text: String) -> (answer: String, thinking: String) {
        var answer = text
        var thinking: [String] = []
        while let open = answer.range(of: "<think>") {
            if let close = answer.range(of: "</think>", range: open.upperBound..<answer.endIndex) {
                thinking.append(String(answer[open.upperBound..<close.lowerBound]))
                answer.removeSubrange(open.lowerBound..<close.upperBound)
            } else {
                thinking.append(String(answer[open.upperBound...]))
                answer.removeSubrange(open.lowerBound...)
            }
        }
        return (answer.trimmingCharacters(in: .whitespacesAndNewlines), thinking.joined(separator: "\n"))
    }
}

/// Loose JSON reading.
enum JSON {
    static func object(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any]
    }

    static func object(_ text: String) -> [String: Any]? { object(Data(text.utf8)) }

    static func body(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    static func int(_ value: Any?) -> Int? {
        if let n = value as? Int { return n }
        if let n = value as? Double, n.isFinite { return Int(n) }
        if let n = value as? NSNumber { return n.intValue }
        return nil
    }

    static func string(_ value: Any?) -> String? { value as? String }
}

extension WireFormat {
    func malformed(_ message: String) -> LanguageModelError {
        LanguageModelError(provider: provider, kind: .malformed, message: message)
    }

    /// A status's kind when the body says nothing more specific.
    func kind(status: Int) -> LanguageModelError.Kind {
        switch status {
        case 401: return .authentication
        case 403: return .permission
        case 404: return .modelNotFound
        case 413: return .requestTooLarge
        case 429: return .rateLimited
        case 503, 529: return .overloaded
        case 408, 409, 500...: return .server
        default: return .badRequest
        }
    }
}

// MARK: - OpenAI chat completions

/// OpenAI's `/chat/completions`, as DeepSeek, vLLM, llama.cpp, LM Studio and OpenRouter also serve it.
struct OpenAIChat: WireFormat {
    var provider: LanguageModelProvider { .openai }
    var streamsLines: Bool { false }

    /// o-series and gpt-5 models reason before answering: they take `max_completion_tokens` and
    /// refuse a temperature other than their default.
    static func isReasoningModel(_ model: String) -> Bool {
        let name = (model.split(separator: "/").last.map(String.init) ?? model).lowercased()
        if name.hasPrefix("gpt-5") { return !name.contains("chat") }
        guard name.count >= 2, name.first == "o", name.dropFirst().first?.isNumber == true else { return false }
        return true
    }

    func httpRequest(_ request: ChatRequest, endpoint: ProviderEndpoint, stream: Bool) -> (url: String, headers: [(String, String)], body: Data) {
        var body: [String: Any] = [
            "model": request.model,
            "messages": request.messages.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": stream,
        ]
        if stream { body["stream_options"] = ["include_usage": true] }
        if let seed = request.wireSeed { body["seed"] = seed }
        if Self.isReasoningModel(request.model) {
            body["max_completion_tokens"] = request.maxTokens
        } else {
            body["max_tokens"] = request.maxTokens
            if let t = request.temperature { body["temperature"] = t }
        }
        var headers = [("Content-Type", "application/json"), ("Accept", stream ? "text/event-stream" : "application/json")]
        if let key = endpoint.apiKey { headers.append(("Authorization", "Bearer \(key)")) }
        return (endpoint.baseURL + "/chat/completions", headers, JSON.body(body))
    }

    func decode(whole body: Data, into reply: inout ReplyAccumulator) throws(LanguageModelError) {
        guard let object = JSON.object(body) else { throw malformed("the reply is not JSON: \(String(decoding: body.prefix(120), as: UTF8.self))") }
        if let error = object["error"] as? [String: Any] { throw streamError(error) }
        guard let choices = object["choices"] as? [[String: Any]], let first = choices.first else {
            throw malformed("the reply has no choices")
        }
        let message = first["message"] as? [String: Any] ?? [:]
        reply.text += JSON.string(message["content"]) ?? ""
        reply.reasoning += JSON.string(message["reasoning_content"]) ?? JSON.string(message["reasoning"]) ?? ""
        if let refusal = JSON.string(message["refusal"]), reply.text.isEmpty { reply.text = refusal }
        reply.finishReason = JSON.string(first["finish_reason"]) ?? "stop"
        reply.model = JSON.string(object["model"]) ?? reply.model
        usage(object["usage"], into: &reply)
        reply.ended = true
    }

    func consume(event: String?, data: String, into reply: inout ReplyAccumulator) throws(LanguageModelError) {
        let payload = data.trimmingCharacters(in: .whitespaces)
        if payload == "[DONE]" { reply.ended = true; return }
        guard !payload.isEmpty else { return }
        guard let object = JSON.object(payload) else { throw malformed("a stream chunk is not JSON: \(LanguageModelError.clip(payload, 120))") }
        if let error = object["error"] as? [String: Any] { throw streamError(error) }
        reply.model = JSON.string(object["model"]) ?? reply.model
        for choice in object["choices"] as? [[String: Any]] ?? [] {
            let delta = choice["delta"] as? [String: Any] ?? [:]
            reply.text += JSON.string(delta["content"]) ?? ""
            reply.reasoning += JSON.string(delta["reasoning_content"]) ?? JSON.string(delta["reasoning"]) ?? ""
            if let finish = JSON.string(choice["finish_reason"]) { reply.finishReason = finish }
        }
        usage(object["usage"], into: &reply)
    }

    private func usage(_ value: Any?, into reply: inout ReplyAccumulator) {
        guard let usage = value as? [String: Any] else { return }
        reply.promptTokens = JSON.int(usage["prompt_tokens"]) ?? reply.promptTokens
        reply.completionTokens = JSON.int(usage["completion_tokens"]) ?? reply.completionTokens
    }

    /// An error object inside a 200 stream (OpenRouter and some proxies send them).
    private func streamError(_ error: [String: Any]) -> LanguageModelError {
        let message = JSON.string(error["message"]) ?? "an error inside the stream"
        let code = JSON.string(error["code"]) ?? JSON.int(error["code"]).map(String.init) ?? JSON.string(error["type"])
        var e = LanguageModelError(provider: .openai, kind: message.lowercased().contains("overloaded") ? .overloaded : .server,
                                   message: message, code: code)
        e.shouldRetry = true
        return e
    }

    func error(status: Int, body: Data, model: String) -> LanguageModelError {
        let object = JSON.object(body)
        let error = object?["error"] as? [String: Any]
        let message = JSON.string(error?["message"]) ?? JSON.string(object?["error"]) ?? JSON.string(object?["message"])
            ?? String(decoding: body.prefix(300), as: UTF8.self)
        let code = JSON.string(error?["code"]) ?? JSON.string(error?["type"])
        var kind = self.kind(status: status)
        if code == "insufficient_quota" || JSON.string(error?["type"]) == "insufficient_quota" {
            kind = .quota
        } else if code == "context_length_exceeded" || message.contains("maximum context length") {
            kind = .contextTooLong
        } else if status == 429, Self.neverFits(message) {
            kind = .requestTooLarge
        } else if status == 404 || code == "model_not_found" {
            kind = .modelNotFound
        } else if status == 503, !message.lowercased().contains("overloaded") {
            kind = .server
        }
        return LanguageModelError(provider: .openai, kind: kind, status: status, message: message, code: code, model: model)
    }

    /// "Request too large for gpt-4 … Limit 10000, Requested 20000": a wait will not help.
    static func neverFits(_ message: String) -> Bool {
        func number(after word: String) -> Int? {
            guard let r = message.range(of: word) else { return nil }
            let digits = message[r.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
            return Int(digits)
        }
        if message.contains("Request too large") { return true }
        guard let limit = number(after: "Limit"), let requested = number(after: "Requested") else { return false }
        return requested > limit
    }
}

// MARK: - Anthropic messages

struct AnthropicMessages: WireFormat {
    var provider: LanguageModelProvider { .anthropic }
    var streamsLines: Bool { false }
    static let version = "2023-06-01"

    func httpRequest(_ request: ChatRequest, endpoint: ProviderEndpoint, stream: Bool) -> (url: String, headers: [(String, String)], body: Data) {
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        var body: [String: Any] = [
            "model": request.model,
            "max_tokens": request.maxTokens,
            "messages": request.messages.filter { $0.role != .system }.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": stream,
        ]
        if !system.isEmpty { body["system"] = system }
        if let t = request.temperature { body["temperature"] = min(1, t) }
        var headers = [("Content-Type", "application/json"), ("anthropic-version", Self.version),
                       ("Accept", stream ? "text/event-stream" : "application/json")]
        if let key = endpoint.apiKey { headers.append(("x-api-key", key)) }
        let base = endpoint.baseURL.hasSuffix("/v1") ? String(endpoint.baseURL.dropLast(3)) : endpoint.baseURL
        return (base + "/v1/messages", headers, JSON.body(body))
    }

    func decode(whole body: Data, into reply: inout ReplyAccumulator) throws(LanguageModelError) {
        guard let object = JSON.object(body) else { throw malformed("the reply is not JSON: \(String(decoding: body.prefix(120), as: UTF8.self))") }
        if JSON.string(object["type"]) == "error" { throw error(object["error"] as? [String: Any] ?? [:], status: nil) }
        guard let content = object["content"] as? [[String: Any]] else { throw malformed("the reply has no content") }
        for block in content {
            switch JSON.string(block["type"]) {
            case "text": reply.text += JSON.string(block["text"]) ?? ""
            case "thinking": reply.reasoning += JSON.string(block["thinking"]) ?? ""
            default: break
            }
        }
        reply.finishReason = JSON.string(object["stop_reason"]) ?? "end_turn"
        reply.model = JSON.string(object["model"]) ?? reply.model
        if let usage = object["usage"] as? [String: Any] {
            reply.promptTokens = JSON.int(usage["input_tokens"])
            reply.completionTokens = JSON.int(usage["output_tokens"])
        }
        reply.ended = true
    }

    func consume(event: String?, data: String, into reply: inout ReplyAccumulator) throws(LanguageModelError) {
        guard !data.isEmpty else { return }
        guard let object = JSON.object(data) else { throw malformed("a stream event is not JSON: \(LanguageModelError.clip(data, 120))") }
        switch event ?? JSON.string(object["type"]) {
        case "message_start":
            let message = object["message"] as? [String: Any] ?? [:]
            reply.model = JSON.string(message["model"]) ?? reply.model
            if let usage = message["usage"] as? [String: Any] {
                reply.promptTokens = JSON.int(usage["input_tokens"]) ?? reply.promptTokens
                reply.completionTokens = JSON.int(usage["output_tokens"]) ?? reply.completionTokens
            }
        case "content_block_delta":
            let delta = object["delta"] as? [String: Any] ?? [:]
            switch JSON.string(delta["type"]) {
            case "text_delta": reply.text += JSON.string(delta["text"]) ?? ""
            case "thinking_delta": reply.reasoning += JSON.string(delta["thinking"]) ?? ""
            default: break
            }
        case "message_delta":
            let delta = object["delta"] as? [String: Any] ?? [:]
            if let stop = JSON.string(delta["stop_reason"]) { reply.finishReason = stop }
            if let usage = object["usage"] as? [String: Any] {
                reply.completionTokens = JSON.int(usage["output_tokens"]) ?? reply.completionTokens
                reply.promptTokens = JSON.int(usage["input_tokens"]) ?? reply.promptTokens
            }
        case "message_stop":
            reply.ended = true
        case "error":
            throw error(object["error"] as? [String: Any] ?? [:], status: nil)
        default:
            break   // ping, content_block_start/stop, and types added later
        }
    }

    private func error(_ error: [String: Any], status: Int?) -> LanguageModelError {
        let type = JSON.string(error["type"])
        let message = JSON.string(error["message"]) ?? "an error inside the stream"
        var kind: LanguageModelError.Kind = status.map(self.kind(status:)) ?? .server
        switch type {
        case "authentication_error": kind = .authentication
        case "permission_error": kind = .permission
        case "not_found_error": kind = .modelNotFound
        case "billing_error": kind = .quota
        case "rate_limit_error": kind = .rateLimited
        case "overloaded_error": kind = .overloaded
        case "api_error", "timeout_error": kind = .server
        case "invalid_request_error":
            kind = message.contains("prompt is too long") ? .contextTooLong : message.contains("credit balance") ? .quota : .badRequest
        default: break
        }
        return LanguageModelError(provider: .anthropic, kind: kind, status: status, message: message, code: type)
    }

    func error(status: Int, body: Data, model: String) -> LanguageModelError {
        let object = JSON.object(body)
        var e: LanguageModelError
        if let inner = object?["error"] as? [String: Any] {
            e = error(inner, status: status)
            if let id = JSON.string(object?["request_id"]) { e.message += " (request \(id))" }
        } else {
            e = LanguageModelError(provider: .anthropic, kind: kind(status: status), status: status,
                                   message: String(decoding: body.prefix(300), as: UTF8.self))
        }
        e.model = model
        return e
    }
}

// MARK: - Ollama chat

struct OllamaChat: WireFormat {
    var provider: LanguageModelProvider { .ollama }
    var streamsLines: Bool { true }

    func httpRequest(_ request: ChatRequest, endpoint: ProviderEndpoint, stream: Bool) -> (url: String, headers: [(String, String)], body: Data) {
        // Ollama's context defaults to 2–4k tokens and silently drops the prompt's beginning
        // beyond it: ask for room for the prompt (about 3 characters a token) and the reply.
        let needed = request.characters / 3 + request.maxTokens
        var options: [String: Any] = ["num_predict": request.maxTokens, "num_ctx": max(8192, (needed + 1023) / 1024 * 1024)]
        if let t = request.temperature { options["temperature"] = t }
        if let seed = request.wireSeed { options["seed"] = seed }
        let body: [String: Any] = [
            "model": request.model,
            "messages": request.messages.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": stream,
            "options": options,
        ]
        var headers = [("Content-Type", "application/json")]
        if let key = endpoint.apiKey { headers.append(("Authorization", "Bearer \(key)")) }
        return (endpoint.baseURL + "/api/chat", headers, JSON.body(body))
    }

    func decode(whole body: Data, into reply: inout ReplyAccumulator) throws(LanguageModelError) {
        guard let object = JSON.object(body) else { throw malformed("the reply is not JSON: \(String(decoding: body.prefix(120), as: UTF8.self))") }
        try apply(object, into: &reply)
        reply.ended = true
        if reply.finishReason == nil { reply.finishReason = "stop" }
    }

    func consume(event: String?, data: String, into reply: inout ReplyAccumulator) throws(LanguageModelError) {
        let line = data.trimmingCharacters(in: .whitespaces)
        guard !line.isEmpty else { return }
        guard let object = JSON.object(line) else { throw malformed("a stream line is not JSON: \(LanguageModelError.clip(line, 120))") }
        try apply(object, into: &reply)
    }

    private func apply(_ object: [String: Any], into reply: inout ReplyAccumulator) throws(LanguageModelError) {
        if let message = JSON.string(object["error"]) {
            var e = error(message: message, status: nil)
            e.shouldRetry = !e.isFatal
            throw e
        }
        let message = object["message"] as? [String: Any] ?? [:]
        reply.text += JSON.string(message["content"]) ?? JSON.string(object["response"]) ?? ""
        reply.reasoning += JSON.string(message["thinking"]) ?? ""
        reply.model = JSON.string(object["model"]) ?? reply.model
        if object["done"] as? Bool == true {
            reply.ended = true
            reply.finishReason = JSON.string(object["done_reason"]) ?? "stop"
            reply.promptTokens = JSON.int(object["prompt_eval_count"]) ?? reply.promptTokens
            reply.completionTokens = JSON.int(object["eval_count"]) ?? reply.completionTokens
        }
    }

    private func error(message: String, status: Int?) -> LanguageModelError {
        let kind: LanguageModelError.Kind = message.contains("not found") ? .modelNotFound : status.map(self.kind(status:)) ?? .server
        return LanguageModelError(provider: .ollama, kind: kind, status: status, message: message)
    }

    func error(status: Int, body: Data, model: String) -> LanguageModelError {
        let message = JSON.string(JSON.object(body)?["error"]) ?? String(decoding: body.prefix(300), as: UTF8.self)
        var e = error(message: message, status: status)
        e.model = model
        return e
    }
}
