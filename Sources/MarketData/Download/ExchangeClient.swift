import AsyncHTTPClient
import Foundation
import HTTPRetry
import NIOCore

/// GET requests to Binance with the download's manners: bounded concurrency, the weight budget,
/// `Retry-After` on 429, a full stop on 418, and retries with exponential backoff and jitter on
/// 5xx, 408, connection resets and timeouts.
final class ExchangeClient: Sendable {
    struct Response: Sendable {
        /// 2xx or 404; every other status is retried or thrown.
        let status: Int
        let body: Data
    }

    let client: HTTPClient
    let budget: WeightBudget
    let gate: RequestGate
    let timeout: Double
    let retries: Int
    /// The SDKs' shape with the downloader's numbers: up to half of each wait jittered, 30 s at most.
    let policy: RetryPolicy
    let counters = Counters()

    actor Counters {
        var requests = 0, bytes = 0, retries = 0
        func add(requests: Int = 0, bytes: Int = 0, retries: Int = 0) {
            self.requests += requests; self.bytes += bytes; self.retries += retries
        }
    }

    init(concurrency: Int, timeout: Double, retries: Int, retryBaseDelay: Double, onWait: @escaping @Sendable (String) -> Void) {
        var configuration = HTTPClient.Configuration()
        let ms = Int64(timeout * 1000)
        // Connecting is quick or not happening: a machine without a route should hear so in
        // seconds, not after a full read timeout per attempt.
        configuration.timeout = .init(connect: .milliseconds(min(ms, 5_000)), read: .milliseconds(ms))
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        budget = WeightBudget(onWait: onWait)
        gate = RequestGate(permits: concurrency)
        self.timeout = timeout
        self.retries = retries
        policy = RetryPolicy(maxRetries: retries, baseDelay: retryBaseDelay, maxDelay: 30, jitter: 0.5)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// Fetches `url`, retrying what is worth retrying.
    /// - Parameter weight: the endpoint's request weight (0 for the archive host).
    /// - Returns: a 2xx or 404 response.
    /// - Throws: ``DownloadError`` or `CancellationError`.
    func get(_ url: String, weight: Int, onRetry: @Sendable (String) -> Void = { _ in }) async throws -> Response {
        var attempt = 0
        var throttled = 0
        while true {
            try await budget.acquire(weight: weight)
            let reason: String
            do {
                await gate.acquire()
                let result: (status: Int, usedWeight: Int?, retryAfter: Double?, body: Data)
                do {
                    result = try await fetchOnce(url)
                    await gate.release()
                } catch {
                    await gate.release()
                    throw error
                }
                await counters.add(requests: 1, bytes: result.body.count)
                if let usedWeight = result.usedWeight { await budget.observe(usedWeight: usedWeight) }
                switch result.status {
                case 200..<300, 404:
                    return Response(status: result.status, body: result.body)
                case 418:
                    let error = DownloadError.banned(url: url, retryAfter: result.retryAfter)
                    await budget.stop(error)
                    throw error
                case 429:
                    throttled += 1
                    guard throttled <= 20 else {
                        throw DownloadError.network(url: url, reason: "still rate limited (429) after \(throttled) waits", attempts: throttled)
                    }
                    await budget.pause(seconds: result.retryAfter ?? 60)
                    continue
                case let status where TransientFailure.isTransient(status: status):
                    reason = "HTTP \(result.status)\(Self.message(result.body).map { ": \($0)" } ?? "")"
                default:
                    throw DownloadError.http(url: url, status: result.status, message: Self.message(result.body) ?? "")
                }
            } catch let error as DownloadError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                let failure = TransportFailure(error)
                reason = failure.description
                if !failure.isTransient { throw DownloadError.network(url: url, reason: reason, attempts: attempt + 1) }
            }
            attempt += 1
            guard attempt <= retries else { throw DownloadError.network(url: url, reason: reason, attempts: attempt) }
            await counters.add(retries: 1)
            onRetry("\(reason); retry \(attempt)/\(retries)")
            try await Task.sleep(nanoseconds: UInt64(policy.delay(attempt: attempt) * 1e9))
        }
    }

    private func fetchOnce(_ url: String) async throws -> (status: Int, usedWeight: Int?, retryAfter: Double?, body: Data) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "llmalpha")
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        let response = try await client.execute(request, deadline: deadline)
        let body = try await response.body.collect(upTo: 1 << 31)
        let used = response.headers.first(name: "X-MBX-USED-WEIGHT-1M").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let retryAfter = RetryAfter.seconds { response.headers.first(name: $0) }
        return (Int(response.status.code), used, retryAfter, Data(body.readableBytesView))
    }

    /// The `msg` of Binance's `{"code":-1121,"msg":"Invalid symbol."}` error payload.
    static func message(_ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        let msg = object["msg"] as? String
        let code = object["code"].map { "\($0)" }
        switch (code, msg) {
        case let (code?, msg?): return "\(msg) (code \(code))"
        case let (nil, msg?): return msg
        default: return nil
        }
    }
}
