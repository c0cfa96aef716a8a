package import Foundation

/// Reply bodies built from the recordings in `Fixtures/` (its README.md says where each comes
/// from): a recording is parsed, only the assistant's text is swapped in, and every other field
/// (ids, usage, fingerprints) is kept.
extension FakeLanguageModel {
    /// The recordings, read at run time beside this source file.
    package static var fixturesDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }

    /// A recording's bytes, as stored.
    package static func fixture(_ name: String) -> Data {
        guard let data = FileManager.default.contents(atPath: fixturesDirectory + "/" + name) else {
            preconditionFailure("FakeLanguageModel: no fixture \(name) in \(fixturesDirectory)")
        }
        return data
    }

    /// A recorded error body as a server sends it: without the newline the file ends with.
    static func recordedBody(_ name: String) -> Data {
        var body = fixture(name)
        while body.last == UInt8(ascii: "\n") { body.removeLast() }
        return body
    }

    /// A `.headers` recording's fields (names lowercased), without the framing ones, which are the
    /// server's own business.
    static func recordedHeaders(_ name: String) -> [(String, String)] {
        String(decoding: fixture(name), as: UTF8.self).split(separator: "\n").dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let field = line[..<colon].lowercased()
            guard !["content-length", "connection", "transfer-encoding"].contains(field) else { return nil }
            return (field, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    static let jsonHeaders = [("content-type", "application/json")]

    /// A small `GET /api/tags` answer in the shape of Ollama's docs.
    static let ollamaTags = #"{"models":[{"name":"llama3:latest","model":"llama3:latest","modified_at":"2024-09-30T09:00:00.000000000Z","size":4661224676,"digest":"365c0bd3c000a25d28ddbf732fe1c6add414de7275464c4e4d1c3b5fcb5d8ad1","details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],"parameter_size":"8.0B","quantization_level":"Q4_0"}}]}"#

    /// The text in pieces of at most 40 characters, and at least three pieces once it has three
    /// characters, so every stream has several content events as a real one has.
    static func pieces(_ text: String) -> [String] {
        let characters = Array(text)
        guard !characters.isEmpty else { return [""] }
        let size = max(1, min(40, (characters.count + 2) / 3))
        return stride(from: 0, to: characters.count, by: size).map { String(characters[$0..<min($0 + size, characters.count)]) }
    }

    // MARK: Whole bodies

    static func openAICompletion(_ text: String) -> Data {
        jsonData(replacing("choices", 0, "message", "content", with: text, in: jsonValue(fixture("openai-chat-completion.json"))))
    }

    static func anthropicMessage(_ text: String) -> Data {
        jsonData(replacing("content", 0, "text", with: text, in: jsonValue(fixture("anthropic-messages.json"))))
    }

    static func ollamaChat(_ text: String, model: String?) -> Data {
        var body = replacing("message", "content", with: text, in: jsonValue(fixture("ollama-chat.json")))
        if let model { body = replacing("model", with: model, in: body) }
        return jsonData(body)
    }

    // MARK: Streams

    /// The recorded stream: the role chunk, the text's pieces each in a copy of the first content
    /// chunk, the finish chunk, the usage chunk (`choices: []`) when asked for, `[DONE]`.
    static func openAIStream(_ text: String, includeUsage: Bool) -> Transcript {
        let recorded = serverSentEvents(fixture("openai-chat-stream.sse"))
        let template = jsonValue(recorded[1].data)
        let content = pieces(text).map { piece in
            StreamEvent(data: jsonText(replacing("choices", 0, "delta", "content", with: piece, in: template)))
        }
        let finish = recorded.filter { $0.data.contains(#""finish_reason":"stop""#) }
        let usage = includeUsage ? recorded.filter { $0.data.contains(#""choices":[]"#) } : []
        let done = recorded.filter { $0.data == "[DONE]" }
        return Transcript(events: [recorded[0]] + content + finish + usage + done, content: 1..<1 + content.count,
                          contentType: "text/event-stream")
    }

    /// The recorded stream: message_start, content_block_start, ping, one content_block_delta per
    /// piece, content_block_stop, message_delta (stop reason and usage), message_stop.
    static func anthropicStream(_ text: String) -> Transcript {
        let recorded = serverSentEvents(fixture("anthropic-messages-stream.sse"))
        guard let first = recorded.firstIndex(where: { $0.name == "content_block_delta" }),
              let last = recorded.lastIndex(where: { $0.name == "content_block_delta" }) else {
            preconditionFailure("anthropic-messages-stream.sse has no content_block_delta")
        }
        let template = jsonValue(recorded[first].data)
        let content = pieces(text).map { piece in
            StreamEvent(name: "content_block_delta", data: jsonText(replacing("delta", "text", with: piece, in: template)))
        }
        return Transcript(events: Array(recorded[..<first]) + content + Array(recorded[(last + 1)...]),
                          content: first..<first + content.count, contentType: "text/event-stream")
    }

    /// The recorded NDJSON: one `done: false` line per piece, then the `done: true` line with its
    /// counts and durations; every line names the requested model.
    static func ollamaStream(_ text: String, model: String?) -> Transcript {
        let lines = String(decoding: fixture("ollama-chat-stream.ndjson"), as: UTF8.self).split(separator: "\n").map(String.init)
        func named(_ line: Any) -> Any { model.map { replacing("model", with: $0, in: line) } ?? line }
        let template = named(jsonValue(lines[0]))
        let content = pieces(text).map { piece in
            StreamEvent(data: jsonText(replacing("message", "content", with: piece, in: template)))
        }
        let final = StreamEvent(data: jsonText(named(jsonValue(lines[lines.count - 1]))))
        return Transcript(events: content + [final], content: 0..<content.count, contentType: "application/x-ndjson")
    }

    /// The error a provider puts inside a 200 stream: OpenAI a data chunk with an `error` object
    /// (the recorded 500's), Anthropic `event: error` with the recorded overloaded body, Ollama the
    /// recorded `{"error": ...}` line.
    static func inStreamError(on route: Route) -> StreamEvent {
        switch route {
        case .openAI:
            return StreamEvent(data: jsonText(jsonValue(fixture("openai-error-500-server-error.json"))))
        case .anthropic:
            return StreamEvent(name: "error", data: jsonText(jsonValue(fixture("anthropic-error-529-overloaded.json"))))
        case .ollama, .ollamaTags, .unknown:
            let lines = String(decoding: fixture("ollama-stream-midstream-error.ndjson"), as: UTF8.self).split(separator: "\n")
            return StreamEvent(data: String(lines.last { $0.contains(#""error""#) } ?? #"{"error":"fake fault"}"#))
        }
    }

    // MARK: Errors

    /// `code` with the provider's recorded body and headers where there is one, else a body in the
    /// provider's error shape saying "fake fault <code>".
    static func failure(_ code: Int, on route: Route, model: String?) -> Answer {
        var headers = jsonHeaders
        let body: Data
        switch (route, code) {
        case (.openAI, 400): body = recordedBody("openai-error-400-context-length-exceeded.json")
        case (.openAI, 401): body = recordedBody("openai-error-401-invalid-api-key.json")
        case (.openAI, 429):
            body = recordedBody("openai-error-429-rate-limit-exceeded.json")
            headers = recordedHeaders("openai-error-429-rate-limit-exceeded.headers")
        case (.openAI, 500): body = recordedBody("openai-error-500-server-error.json")
        case (.openAI, 503): body = recordedBody("openai-error-503-overloaded.json")
        case (.openAI, _):
            body = Data(#"{"error":{"message":"fake fault \#(code)","type":"server_error","param":null,"code":null}}"#.utf8)
        case (.anthropic, 400): body = recordedBody("anthropic-error-400-invalid-request.json")
        case (.anthropic, 401): body = recordedBody("anthropic-error-401-authentication.json")
        case (.anthropic, 429):
            body = recordedBody("anthropic-error-429-rate-limit.json")
            headers = recordedHeaders("anthropic-error-429-rate-limit.headers")
        case (.anthropic, 529):
            body = recordedBody("anthropic-error-529-overloaded.json")
            headers = recordedHeaders("anthropic-error-529-overloaded.headers")
        case (.anthropic, _):
            body = Data(#"{"type":"error","error":{"type":"api_error","message":"fake fault \#(code)"}}"#.utf8)
        case (.ollama, 404), (.ollamaTags, 404):
            let recorded = String(decoding: recordedBody("ollama-error-404-model-not-found.json"), as: UTF8.self)
            body = Data((model.map { recorded.replacingOccurrences(of: "llama3.1:8b", with: $0) } ?? recorded).utf8)
        case (.ollama, _), (.ollamaTags, _), (.unknown, _):
            body = Data(#"{"error":"fake fault \#(code)"}"#.utf8)
        }
        if code == 429 {
            // Tests must not wait out a real provider's pause.
            headers.removeAll { $0.0 == "retry-after" || $0.0 == "retry-after-ms" }
            headers.append(("retry-after-ms", "50"))
        }
        return .whole(status: code, headers: headers, body: body)
    }
}

/// One event of a stream: an SSE event (`event:` line when named, `data:` line) or an NDJSON line.
struct StreamEvent {
    var name: String?
    var data: String
}

/// A whole stream, and where its content events are (so a fault can break it there).
struct Transcript {
    var events: [StreamEvent]
    var content: Range<Int>
    let contentType: String

    /// The bytes each event is written as.
    func wire(_ event: StreamEvent) -> String {
        if contentType == "application/x-ndjson" { return event.data + "\n" }
        return (event.name.map { "event: \($0)\n" } ?? "") + "data: \(event.data)\n\n"
    }

    /// This stream as served, broken by `fault` if it is a stream fault.
    func answer(broken fault: FakeLanguageModel.Fault?, error: StreamEvent) -> Answer {
        var events = events
        // About half the text has arrived when a stream breaks, and always some of it.
        let cut = content.lowerBound + max(1, content.count / 2)
        var complete = true
        switch fault {
        case .truncatedStream?:
            events = Array(events[..<cut])
            complete = false
        case .invalidJSONChunk?:
            let data = events[content.lowerBound].data
            events[content.lowerBound].data = String(data.prefix(data.count / 2))
        case .midStreamError?:
            events = Array(events[..<cut]) + [error]
        default:
            break
        }
        return .stream(contentType: contentType, events: events.map(wire), complete: complete)
    }
}

/// The events of a recorded SSE transcript (blank-line separated `event:` / `data:` lines).
func serverSentEvents(_ data: Data) -> [StreamEvent] {
    String(decoding: data, as: UTF8.self).components(separatedBy: "\n\n").compactMap { block in
        var event = StreamEvent(name: nil, data: "")
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { event.name = String(line.dropFirst("event: ".count)) }
            if line.hasPrefix("data: ") { event.data = String(line.dropFirst("data: ".count)) }
        }
        return event.data.isEmpty ? nil : event
    }
}

// MARK: JSON as Foundation values (a recording's field order need not survive)

func jsonValue(_ data: Data) -> Any {
    guard let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
        preconditionFailure("FakeLanguageModel: a fixture is not JSON: \(String(decoding: data, as: UTF8.self))")
    }
    return value
}

func jsonValue(_ text: String) -> Any { jsonValue(Data(text.utf8)) }

func jsonData(_ value: Any) -> Data {
    (try? JSONSerialization.data(withJSONObject: value, options: [.withoutEscapingSlashes, .fragmentsAllowed])) ?? Data()
}

func jsonText(_ value: Any) -> String { String(decoding: jsonData(value), as: UTF8.self) }

/// `root` with the value at `path` (object keys and array indices) set to `value`.
func replacing(_ path: Any..., with value: Any, in root: Any) -> Any {
    replacing(path[...], with: value, in: root)
}

private func replacing(_ path: ArraySlice<Any>, with value: Any, in root: Any) -> Any {
    guard let step = path.first else { return value }
    if let key = step as? String, var object = root as? [String: Any] {
        object[key] = replacing(path.dropFirst(), with: value, in: object[key] ?? NSNull())
        return object
    }
    if let index = step as? Int, var array = root as? [Any], array.indices.contains(index) {
        array[index] = replacing(path.dropFirst(), with: value, in: array[index])
        return array
    }
    preconditionFailure("FakeLanguageModel: a fixture has no \(step) where the text goes")
}
