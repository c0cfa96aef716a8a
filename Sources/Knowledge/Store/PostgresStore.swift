import Foundation
internal import Logging
internal import NIOCore
internal import NIOPosix
internal import NIOSSL
internal import PostgresNIO

/// The PostgreSQL side of the knowledge base: one connection per process, used by one
/// transaction at a time, behind the same synchronous calls as SQLite's.
///
/// Writers serialize on a transaction-scoped advisory lock, as SQLite's `BEGIN IMMEDIATE` does:
/// every allocation the knowledge base makes under its write lock (H/S/R numbers, the holdout
/// claim, the lifetime trial count a promotion records) is then global across all workers on all
/// machines, with no new reasoning about races. Readers take a repeatable-read snapshot and never
/// wait. A connection the server or the network dropped before the commit is opened again and the
/// transaction run again (up to ``reconnectAttempts`` times), as is one the server rolled back for
/// a deadlock; a drop during the commit itself is reported, since the write may have landed.
final class PostgresStore: @unchecked Sendable {
    let location: PostgresLocation
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private let logger: Logger
    private var nextConnectionID = 1

    /// The advisory lock every write transaction holds ("LLMA" in ASCII).
    static let writeLockKey: Int64 = 0x4C4C_4D41
    static let reconnectAttempts = 5

    init(location: PostgresLocation) {
        self.location = location
        var logger = Logger(label: "llmalpha.knowledge.postgres")
        logger.logLevel = .critical
        self.logger = logger
    }

    deinit {
        if let connection { try? connection.close().wait() }
    }

    /// Connects now, so a wrong address or password is reported when the knowledge base opens.
    func connect() throws(KnowledgeError) {
        lock.lock()
        defer { lock.unlock() }
        do { _ = try connected() } catch { throw translate(error) }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if let connection { try? connection.close().wait() }
        connection = nil
    }

    /// Runs statements that cannot run in a transaction (CREATE DATABASE, DROP DATABASE): for the
    /// tests' throwaway databases and the benchmarks'.
    func executeOutsideTransaction(_ sql: String) throws(KnowledgeError) {
        lock.lock()
        defer { lock.unlock() }
        do { try PostgresSession(connection: try connected(), logger: logger).execute(sql: sql) } catch { throw translate(error) }
    }
}

/// Throwaway databases on a PostgreSQL server, for tests and benchmarks: created next to the
/// database a URL names (its user needs CREATE DATABASE), dropped with everything in them.
public enum PostgresScratch {
    /// Creates `llmalpha_<random>` on `url`'s server; returns its URL.
    public static func create(besides url: String) throws(KnowledgeError) -> String {
        var location = try PostgresLocation(url: url)
        let admin = PostgresStore(location: location)
        defer { admin.close() }
        let name = "llmalpha_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try admin.executeOutsideTransaction("CREATE DATABASE \(name)")
        location.database = String(name)
        var components = URLComponents(string: url)!
        components.path = "/" + location.database
        return components.string!
    }

    /// Drops the database `url` names, closing its connections; `server` is any other database
    /// on the same server to connect through.
    public static func drop(_ url: String, server: String) {
        guard let name = try? PostgresLocation(url: url).database, let location = try? PostgresLocation(url: server) else { return }
        let admin = PostgresStore(location: location)
        try? admin.executeOutsideTransaction("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }
}

extension PostgresStore {

    /// Runs `body` in one transaction: a write takes the knowledge base's write lock first.
    func transaction<T>(write: Bool, serialized: Bool = true, _ body: (any SQLDatabase) throws -> T) throws(KnowledgeError) -> T {
        lock.lock()
        defer { lock.unlock() }
        var attempt = 0
        while true {
            var session: PostgresSession?
            var committing = false
            do {
                let open = PostgresSession(connection: try connected(), logger: logger)
                session = open
                if write {
                    try open.execute(sql: "BEGIN")
                    if serialized { try open.execute(sql: "SELECT pg_advisory_xact_lock(\(Self.writeLockKey))") }
                } else {
                    try open.execute(sql: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                }
                let result = try body(open)
                committing = true
                try open.execute(sql: "COMMIT")
                return result
            } catch {
                if committing, Self.isConnectionLost(error) {
                    // The server may have committed before the connection went: running the body
                    // again could record it twice, so say so instead.
                    connection = nil
                    throw KnowledgeError.server(location: location.description, detail: "the connection dropped while committing; "
                                                + "the last write may or may not have been saved (llmalpha kb check, then try again)")
                }
                let retryable = Self.isConnectionLost(error) || Self.isTransient(error)
                if retryable, attempt < Self.reconnectAttempts {
                    attempt += 1
                    if Self.isConnectionLost(error) {
                        if let connection { _ = try? connection.close().wait() }
                        connection = nil
                    } else if let session {
                        _ = try? session.execute(sql: "ROLLBACK")
                    }
                    Thread.sleep(forTimeInterval: min(0.2 * Double(1 << attempt), 3))
                    continue
                }
                if let session { _ = try? session.execute(sql: "ROLLBACK") }
                throw translate(error)
            }
        }
    }

    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: try Self.tls(location.tls))
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "llmalpha")]
        let id = nextConnectionID
        nextConnectionID += 1
        let opened = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                    id: id, logger: logger).wait()
        // A process stopped inside a transaction (a suspended laptop, SIGSTOP) would hold the
        // write lock until TCP gave up, hours later, and every worker would wait on it: the
        // server ends such a session after a minute instead. The knowledge base's transactions
        // never sit idle that long.
        try PostgresSession(connection: opened, logger: logger).execute(sql: "SET idle_in_transaction_session_timeout = '60s'")
        connection = opened
        return opened
    }

    private static func tls(_ mode: PostgresLocation.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable:
            return .disable
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            return mode == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// A deadlock or serialization failure: the server rolled the transaction back, and running
    /// it again is the documented remedy.
    static func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        return ["40001", "40P01"].contains(error.serverInfo?[.sqlState] ?? "")
    }

    /// The connection is gone (server restart, network, idle kill): worth a new one.
    static func isConnectionLost(_ error: any Error) -> Bool {
        if error is ChannelError || error is IOError { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return true
        case .connectionError:
            return true
        case .server:
            // admin_shutdown, crash_shutdown, cannot_connect_now, and class 08 (connection exception).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
        default:
            return false
        }
    }

    /// One line naming the server and the database and what to do; never the password.
    func translate(_ error: any Error) -> KnowledgeError {
        if let known = error as? KnowledgeError { return known }
        let place = location.description
        if let error = error as? PSQLError {
            if error.code == .server, let info = error.serverInfo {
                let state = info[.sqlState] ?? ""
                let message = info[.message] ?? "error"
                switch state {
                case "28P01", "28000":
                    return .server(location: place, detail: "authentication failed for user \(location.user) (\(message)); "
                                   + "check the user and password in the URL, or the server's pg_hba.conf")
                case "3D000":
                    return .server(location: place, detail: "database \(location.database) does not exist; create it with "
                                   + "`createdb -h \(location.host) -p \(location.port) -U \(location.user) \(location.database)`")
                case "42501":
                    return .server(location: place, detail: "permission denied (\(message)); the user needs CREATE and write rights on the database")
                case "53100":
                    return .diskFull(path: place)
                case "53300":
                    return .server(location: place, detail: "too many connections (\(message)); raise max_connections or run fewer workers")
                default:
                    let detail = info[.detail].map { " (\($0))" } ?? ""
                    return .server(location: place, detail: "\(message)\(detail) [SQLSTATE \(state)]")
                }
            }
            if Self.isConnectionLost(error) || error.code == .connectionError {
                let cause = error.underlying.map { "\($0)" } ?? "\(error.code)"
                return .server(location: place, detail: "cannot reach the PostgreSQL server (\(cause)); is it running and listening on "
                               + "\(location.host):\(location.port)?")
            }
            if error.code == .sslUnsupported {
                return .server(location: place, detail: "the server does not offer TLS; use sslmode=disable or prefer in the URL")
            }
            return .server(location: place, detail: "\(error.code)")
        }
        if error is NIOConnectionError || error is IOError || error is ChannelError {
            return .server(location: place, detail: "cannot reach the PostgreSQL server (\(error)); is it running and listening on "
                           + "\(location.host):\(location.port)?")
        }
        return .server(location: place, detail: PostgresLocation.redacted("\(error)"))
    }
}

/// One connection inside one transaction: `?` placeholders become `$1, $2, ...`, values travel
/// as binary, rows come back as ``SQLValue``s.
struct PostgresSession: SQLDatabase {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    @discardableResult
    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        if arguments.values.isEmpty {
            // A script of several statements (the schema's steps) goes one statement at a time:
            // the extended protocol takes one per query.
            var changed = 0
            for statement in PostgresStatementText.statements(sql) {
                changed = try run(statement, arguments).metadata.rows ?? 0
            }
            return changed
        }
        return try run(sql, arguments).metadata.rows ?? 0
    }

    func fetchRows(sql: String, arguments: SQLArguments) throws -> [SQLRow] {
        let result = try run(sql, arguments)
        var rows: [SQLRow] = []
        rows.reserveCapacity(result.rows.count)
        var columns: [String]? = nil
        for row in result.rows {
            var values: [SQLValue] = []
            var names: [String] = []
            for cell in row {
                if columns == nil { names.append(cell.columnName) }
                values.append(try Self.value(cell))
            }
            if columns == nil { columns = names }
            rows.append(SQLRow(columns: columns!, values: values))
        }
        return rows
    }

    private func run(_ sql: String, _ arguments: SQLArguments) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.values.count)
        for value in arguments.values {
            switch value {
            case .null: binds.appendNull()
            case .integer(let i): binds.append(i)
            case .real(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .blob(let b): binds.append(ByteBuffer(bytes: b))
            }
        }
        let query = PostgresQuery(unsafeSQL: PostgresStatementText.numbered(sql), binds: binds)
        return try connection.query(query, logger: logger).wait()
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid:
            return .integer(try cell.decode(Int64.self))
        case .float4, .float8:
            return .real(try cell.decode(Double.self))
        case .numeric:
            let decimal = try cell.decode(Decimal.self)
            let number = NSDecimalNumber(decimal: decimal)
            if decimal == Decimal(number.int64Value) { return .integer(number.int64Value) }
            return .real(number.doubleValue)
        case .bool:
            return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return .blob(Data(buffer.readBytes(length: buffer.readableBytes) ?? []))
        default:
            return .text(try cell.decode(String.self))
        }
    }
}

/// The knowledge base's SQL as PostgreSQL's extended protocol takes it.
enum PostgresStatementText {
    /// `?` to `$n`, outside quoted text.
    static func numbered(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var quote: Character? = nil
        for c in sql {
            if let q = quote {
                if c == q { quote = nil }
                out.append(c)
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// The statements of a script: split at each `;` that ends a line (the schema's own scripts only).
    static func statements(_ script: String) -> [String] {
        script.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
            .filter { !$0.isEmpty && !$0.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") } }
    }
}
