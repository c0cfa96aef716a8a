import Foundation

/// How often and how long to wait before trying a failed request again: exponential backoff with
/// jitter, as the official OpenAI and Anthropic SDKs do it, with the Binance downloader's own
/// numbers.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt.
    public var maxRetries: Int
    /// The wait before the first retry, in seconds; it doubles with each retry after.
    public var baseDelay: Double
    /// No computed wait exceeds this, in seconds.
    public var maxDelay: Double
    /// Up to this share of each wait is taken off at random, so clients that failed together do
    /// not come back together.
    public var jitter: Double
    /// A server's `Retry-After` longer than this means "not worth waiting for": the error stands.
    public var maxRetryAfter: Double

    public init(maxRetries: Int, baseDelay: Double, maxDelay: Double, jitter: Double, maxRetryAfter: Double = 120) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    /// openai-python and anthropic-sdk-python: 2 retries, 0.5 s doubling to at most 8 s, up to 25%
    /// jitter, a server's wait honoured up to 120 s.
    public static let languageModelSDK = RetryPolicy(maxRetries: 2, baseDelay: 0.5, maxDelay: 8, jitter: 0.25)

    /// The wait before retry number `attempt` (1 for the first retry), when the server named none.
    public func delay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Double {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        return ceiling * (1 - jitter * random)
    }

    /// The wait before retry number `attempt`: the server's, when it gave one within
    /// ``maxRetryAfter``, else the backoff. `nil` when the server asked for longer than that.
    public func delay(attempt: Int, retryAfter: Double?) -> Double? {
        guard let retryAfter else { return delay(attempt: attempt) }
        if retryAfter > maxRetryAfter { return nil }
        return retryAfter > 0 ? retryAfter : delay(attempt: attempt)
    }
}
