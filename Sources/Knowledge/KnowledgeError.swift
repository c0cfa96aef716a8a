import Foundation

/// Why the knowledge base cannot do what was asked. Every case names the file, so the one-line
/// message is enough to act on; nothing already committed is touched when one is thrown.
public enum KnowledgeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No database at the path (read commands never create one).
    case missing(path: String)
    /// `kb init` over an existing database without `--force`.
    case exists(path: String)
    /// The file is not SQLite at all.
    case notADatabase(path: String)
    /// A SQLite database, but some other program's.
    case foreign(path: String)
    /// Written by a newer llmalpha: migrations this build does not know.
    case newerSchema(path: String, unknown: [String])
    /// The file or its directory cannot be written.
    case readOnly(path: String)
    /// The disk (or the database's size cap) is full; the transaction was rolled back.
    case diskFull(path: String)
    /// Another process held the write lock past the busy timeout.
    case busy(path: String)
    /// SQLite reports damage.
    case corrupt(path: String, detail: String)
    /// An id (H003, S001) that names nothing.
    case notFound(String)
    /// A value the ledger refuses (empty name, unknown status, ...).
    case invalid(String)
    /// Reading or writing a hypothesis or strategy file failed.
    case file(path: String, detail: String)
    /// A hypothesis's locked holdout was opened before: it opens once.
    case holdoutOpened(hypothesis: String, openedAt: String, strategy: String?)
    /// Any other SQLite failure, with SQLite's own words.
    case sqlite(path: String, detail: String)
    /// A PostgreSQL knowledge base failed: the server (never its password), then what to fix.
    case server(location: String, detail: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no knowledge base here (create one with `llmalpha kb init`, or choose another with --kb)"
        case .exists(let path):
            return "\(path): a knowledge base already exists (use --force to back it up and start a new one)"
        case .notADatabase(let path):
            return "\(path): not a SQLite database; refusing to touch it (choose another file with --kb)"
        case .foreign(let path):
            return "\(path): a SQLite database, but not an llmalpha knowledge base; refusing to touch it"
        case .newerSchema(let path, let unknown):
            return "\(path): written by a newer llmalpha (unknown schema steps: \(unknown.joined(separator: ", "))); upgrade llmalpha to use it"
        case .readOnly(let path):
            return "\(path): cannot write the knowledge base (read-only file or directory)"
        case .diskFull(let path):
            return "\(path): disk full; the last write was rolled back, everything committed before it is kept"
        case .busy(let path):
            return "\(path): still locked by another writer after waiting; try again"
        case .corrupt(let path, let detail):
            return "\(path): the database is damaged (\(detail)); `llmalpha kb check` tells more, a backup is the safe way back"
        case .notFound(let what):
            return what
        case .invalid(let what):
            return what
        case .file(let path, let detail):
            return "\(path): \(detail)"
        case .holdoutOpened(let hypothesis, let openedAt, let strategy):
            return "\(hypothesis): its locked holdout was already opened on \(openedAt)" + (strategy.map { " for \($0)" } ?? "")
                + "; a holdout opens once, so its numbers cannot steer another try (hint: a refined hypothesis, with its own "
                + "validation, gets a holdout of its own)"
        case .sqlite(let path, let detail):
            return "\(path): \(detail)"
        case .server(let location, let detail):
            return "\(location): \(detail)"
        }
    }
}
