import Foundation

/// One value as both stores hold it: SQLite's storage classes, which PostgreSQL's column types
/// map onto (BIGINT and BOOLEAN to integer, DOUBLE PRECISION and NUMERIC to real, TEXT, BYTEA).
enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// A Swift value that can be a statement argument.
protocol SQLBindable { var sqlValue: SQLValue { get } }

extension Int: SQLBindable { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { var sqlValue: SQLValue { .integer(self) } }
extension Int32: SQLBindable { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Double: SQLBindable { var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLBindable { var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Data: SQLBindable { var sqlValue: SQLValue { .blob(self) } }

/// A statement's arguments, in the order of its `?` placeholders.
struct SQLArguments: ExpressibleByArrayLiteral, Sendable {
    var values: [SQLValue]

    init(arrayLiteral elements: (any SQLBindable)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    init<S: Sequence>(_ elements: S) where S.Element: SQLBindable {
        values = elements.map(\.sqlValue)
    }

    static func += (lhs: inout SQLArguments, rhs: SQLArguments) { lhs.values += rhs.values }
}

/// A Swift value a column can be read as. Conversions are the lossless ones only: an integral
/// real reads as an integer (PostgreSQL's `sum` of integers is NUMERIC), an integer as a real.
protocol SQLDecodable {
    /// nil for NULL and for a value of another kind.
    static func decode(_ value: SQLValue) -> Self?
}

extension Int64: SQLDecodable {
    static func decode(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let i): return i
        case .real(let d): return d == d.rounded() && abs(d) < 9.2e18 ? Int64(d) : nil
        default: return nil
        }
    }
}

extension Int: SQLDecodable {
    static func decode(_ value: SQLValue) -> Int? { Int64.decode(value).map { Int($0) } }
}

extension Int32: SQLDecodable {
    static func decode(_ value: SQLValue) -> Int32? { Int64.decode(value).flatMap { Int32(exactly: $0) } }
}

extension Double: SQLDecodable {
    static func decode(_ value: SQLValue) -> Double? {
        switch value {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
}

extension Bool: SQLDecodable {
    static func decode(_ value: SQLValue) -> Bool? { Int64.decode(value).map { $0 != 0 } }
}

extension String: SQLDecodable {
    static func decode(_ value: SQLValue) -> String? {
        if case .text(let s) = value { return s }
        return nil
    }
}

extension Data: SQLDecodable {
    static func decode(_ value: SQLValue) -> Data? {
        switch value {
        case .blob(let d): return d
        case .text(let s): return Data(s.utf8)
        default: return nil
        }
    }
}

/// One result row, read by column name (or position) as the type the context asks for:
/// `let id: String = row["id"]`, `let note: String? = row["note"]`.
struct SQLRow: Sendable {
    /// Shared by every row of one result.
    let columns: [String]
    let values: [SQLValue]

    func value(_ column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else {
            preconditionFailure("no column \(column) in the result (columns: \(columns.joined(separator: ", ")))")
        }
        return values[index]
    }

    /// A column the schema declares NOT NULL; reading NULL or another kind is a programming error.
    subscript<T: SQLDecodable>(_ column: String) -> T {
        let raw = value(column)
        guard let decoded = T.decode(raw) else { preconditionFailure("column \(column): \(raw) is not a \(T.self)") }
        return decoded
    }

    subscript<T: SQLDecodable>(_ column: String) -> T? {
        let raw = value(column)
        if raw == .null { return nil }
        guard let decoded = T.decode(raw) else { preconditionFailure("column \(column): \(raw) is not a \(T.self)") }
        return decoded
    }

    subscript<T: SQLDecodable>(_ index: Int) -> T? {
        T.decode(values[index])
    }
}
