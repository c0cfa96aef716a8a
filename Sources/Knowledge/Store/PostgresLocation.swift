import Foundation

/// A PostgreSQL knowledge base's address, from `postgres://user:password@host:5432/database?sslmode=...`
/// (libpq's URL form). ``description`` never includes the password: it is what errors and reports name.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, unverified (libpq's default).
        case prefer
        /// TLS or nothing, unverified.
        case require
        /// TLS with the server's certificate and host name verified.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// True for `postgres://` and `postgresql://` addresses: what `--kb` tells from a file path by.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// - Throws: ``KnowledgeError/invalid(_:)`` naming what is wrong with the address.
    public init(url text: String) throws(KnowledgeError) {
        guard Self.isURL(text), let url = URLComponents(string: text) else {
            throw .invalid("\(Self.redacted(text)): not a PostgreSQL URL (expected postgres://user:password@host:5432/database)")
        }
        guard let user = url.user, !user.isEmpty else {
            throw .invalid("\(Self.redacted(text)): the URL names no user (postgres://USER:password@host/database)")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw .invalid("\(Self.redacted(text)): the URL names no database (postgres://user@host/DATABASE)")
        }
        self.host = url.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        self.port = url.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        // Without one in the URL, libpq's variable: suggested commands and logs can then carry
        // the URL without a secret in it.
        self.password = url.password.map { $0.removingPercentEncoding ?? $0 } ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
        self.database = database.removingPercentEncoding ?? database
        var tls = TLSMode.prefer
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: item.value ?? "") else {
                    throw .invalid("\(Self.redacted(text)): sslmode \(item.value ?? "") is not one of disable, prefer, require, verify-full")
                }
                tls = mode
            case "application_name", "connect_timeout":
                continue
            default:
                throw .invalid("\(Self.redacted(text)): unknown URL parameter \(item.name) (known: sslmode)")
            }
        }
        self.tls = tls
    }

    /// `postgres://user@host:port/database`: no password, ever.
    public var description: String { "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    /// The address to repeat in a suggested command: ``description`` with the TLS mode, no
    /// password (the user's PGPASSWORD or their own URL supplies it).
    public var withoutPassword: String { tls == .prefer ? description : "\(description)?sslmode=\(tls.rawValue)" }

    /// Any text that may hold a URL, with a password in it replaced by `***`.
    public static func redacted(_ text: String) -> String {
        // The credentials end at the last `@` before the host's path: a password may hold `@`.
        guard let scheme = text.range(of: "://") else { return text }
        let authorityEnd = text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex
        guard let at = text[scheme.upperBound..<authorityEnd].lastIndex(of: "@") else { return text }
        let credentials = text[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
