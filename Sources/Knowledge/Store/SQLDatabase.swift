import Foundation

/// Which SQL a store speaks, where the two differ: full-text search, integrity checks and the
/// catalogue. Everything else the knowledge base writes is the SQL both accept.
enum SQLDialect: Sendable {
    case sqlite, postgres

    /// The database's clock in epoch seconds, as SQL: workers on several machines compare times
    /// the one server made, not their own clocks.
    var now: String {
        switch self {
        case .sqlite: return "((julianday('now') - 2440587.5) * 86400.0)"
        case .postgres: return "extract(epoch from clock_timestamp())::double precision"
        }
    }
}

/// One connection inside one transaction of a store: what every knowledge-base operation is
/// written against, so SQLite and PostgreSQL run the same queries. Placeholders are `?`.
protocol SQLDatabase {
    var dialect: SQLDialect { get }

    /// Runs one statement (or, without arguments, a script of several); returns the rows it changed.
    @discardableResult
    func execute(sql: String, arguments: SQLArguments) throws -> Int

    /// Runs one query and returns all its rows.
    func fetchRows(sql: String, arguments: SQLArguments) throws -> [SQLRow]
}

extension SQLDatabase {
    @discardableResult
    func execute(sql: String) throws -> Int { try execute(sql: sql, arguments: []) }
}

extension SQLRow {
    static func fetchAll(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        try db.fetchRows(sql: sql, arguments: arguments)
    }

    static func fetchOne(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        try db.fetchRows(sql: sql, arguments: arguments).first
    }
}

extension SQLDecodable {
    /// The first column of the first row; nil without a row or for NULL.
    static func fetchOne(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> Self? {
        guard let row = try db.fetchRows(sql: sql, arguments: arguments).first, !row.values.isEmpty else { return nil }
        return decode(row.values[0])
    }

    /// The first column of every row, NULLs left out.
    static func fetchAll(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> [Self] {
        try db.fetchRows(sql: sql, arguments: arguments).compactMap { $0.values.isEmpty ? nil : decode($0.values[0]) }
    }
}
