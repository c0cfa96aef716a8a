/// Which failures of an HTTP call are worth another try, by the rules the official SDKs share.
public enum TransientFailure {
    /// 408 Request Timeout, 409 Conflict (a lock), 429 Too Many Requests and every 5xx (529, the
    /// Anthropic "overloaded", among them).
    public static func isTransient(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || status >= 500
    }

    /// The server's own verdict wins: `x-should-retry: true|false`, when present.
    public static func shouldRetry(status: Int, header: (String) -> String?) -> Bool {
        switch header("x-should-retry")?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true": return true
        case "false": return false
        default: return isTransient(status: status)
        }
    }
}

/// A request that failed below HTTP, named the way a user can act on.
public enum TransportFailure: Sendable, Equatable, CustomStringConvertible {
    case timedOut
    case connectionClosed
    case connectionRefused
    case unknownHost
    case other(String)

    /// Classifies an error thrown by the HTTP client (async-http-client, NIO or Foundation) by
    /// what it says, so this module needs none of them.
    public init(_ error: any Error) {
        let text = String(describing: error)
        if text.contains("deadlineExceeded") || text.contains("readTimeout") || text.contains("connectTimeout") || text.contains("timedOut") {
            self = .timedOut
        } else if text.contains("remoteConnectionClosed") || text.contains("connectionReset") || text.contains("ECONNRESET")
            || text.contains("Connection reset") || text.contains("uncleanShutdown") || text.contains("bodyLengthMismatch") {
            self = .connectionClosed
        } else if text.contains("connectionRefused") || text.contains("Connection refused") {
            self = .connectionRefused
        } else if text.contains("UnknownHost") || text.contains("Name or service not known") || text.contains("nodename nor servname") {
            self = .unknownHost
        } else {
            self = .other(text)
        }
    }

    /// An unknown host will not resolve on the next try either; everything else might work.
    public var isTransient: Bool { self != .unknownHost }

    public var description: String {
        switch self {
        case .timedOut: return "timed out"
        case .connectionClosed: return "connection closed by the server mid-response"
        case .connectionRefused: return "connection refused"
        case .unknownHost: return "unknown host (no network, or no DNS for it here)"
        case .other(let text): return text
        }
    }
}
