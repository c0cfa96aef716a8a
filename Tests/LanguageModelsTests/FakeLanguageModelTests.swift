import FakeLanguageModel
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The fake provider itself: the clients' tests trust it to speak the recorded wire formats.
@Suite struct FakeLanguageModelTests {
    @Test func openAIStreamCarriesTheQueuedTextInSeveralChunksAndEndsWithDone() async throws {
        let text = "Funding rates revert within eight hours after an extreme print, so fade the spike."
        try await FakeLanguageModel.with { model in
            model.enqueue(text)
            let (status, body) = try await post(model.baseURL + "/v1/chat/completions",
                                                #"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#)
            #expect(status == 200)
            let data = body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst("data: ".count)) }
            #expect(data.last == "[DONE]")
            let chunks = data.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let pieces = chunks.compactMap { chunk -> String? in
                let choices = chunk["choices"] as? [[String: Any]]
                return (choices?.first?["delta"] as? [String: Any])?["content"] as? String
            }.filter { !$0.isEmpty }
            #expect(pieces.count > 1)
            #expect(pieces.joined() == text)
            // The usage chunk, asked for with include_usage, has no choices.
            #expect(chunks.contains { ($0["choices"] as? [Any])?.isEmpty == true && $0["usage"] != nil })
        }
    }

    @Test func unauthorizedFaultServesTheRecordedBodyOnce() async throws {
        try await FakeLanguageModel.with { model in
            model.inject(.status(401))
            let recorded = String(decoding: FakeLanguageModel.fixture("openai-error-401-invalid-api-key.json"), as: UTF8.self)
            let (status, body) = try await post(model.baseURL + "/v1/chat/completions", #"{"model":"gpt-4o","messages":[]}"#)
            #expect(status == 401)
            #expect(body == recorded.trimmingCharacters(in: .newlines))
            let (after, _) = try await post(model.baseURL + "/v1/chat/completions", #"{"model":"gpt-4o","messages":[]}"#)
            #expect(after == 200)
        }
    }

    @Test func requestsAreLoggedInArrivalOrder() async throws {
        try await FakeLanguageModel.with { model in
            model.enqueue("only reply")
            _ = try await post(model.baseURL + "/v1/messages", #"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[]}"#,
                               headers: ["x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"])
            let (_, body) = try await post(model.baseURL + "/api/chat", #"{"model":"llama3.2","stream":false,"messages":[]}"#)
            #expect(body.contains("only reply"))
            #expect(body.contains(#""model":"llama3.2""#))
            let requests = model.requests
            #expect(requests.map(\.path) == ["/v1/messages", "/api/chat"])
            #expect(requests.first?.headers["x-api-key"] == "sk-ant-test")
            #expect(requests.first?.json?["max_tokens"] as? Int == 64)
        }
    }
}

/// POSTs `json` and returns the status and the whole body.
private func post(_ url: String, _ json: String, headers: [String: String] = [:]) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = "POST"
    request.httpBody = Data(json.utf8)
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    // dataTask with a continuation: the async URLSession API is not dependable on Linux.
    return try await withCheckedThrowingContinuation { continuation in
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                continuation.resume(throwing: error)
            } else {
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                continuation.resume(returning: (status, String(decoding: data ?? Data(), as: UTF8.self)))
            }
        }.resume()
    }
}
