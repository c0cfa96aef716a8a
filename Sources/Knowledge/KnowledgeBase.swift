public import Foundation
internal import GRDB

/// The research memory: one SQLite file (WAL, versioned migrations) plus the hypothesis and
/// strategy scripts it points at (DESIGN.md section 7); or, given a `postgres://` URL, a
/// PostgreSQL database that many workers on many machines share (section 11), with the same
/// schema, operations and guarantees.
///
/// Readers never block the writer, and a second process writing waits up to ``busyTimeout``
/// for the lock, so `llmalpha kb stats` can run while a research loop records trials.
///
/// ```swift
/// let kb = try KnowledgeBase.open(at: "data/knowledge.sqlite", files: files, create: true)
/// let h = try kb.recordHypothesis(HypothesisDraft(name: "funding fade", script: source))
/// try kb.recordTrial(TrialDraft(hypothesis: h.id, data: span, stage: .factor, passed: false, ...))
/// ```
public final class KnowledgeBase: Sendable {
    /// How a command will use the database.
    public enum Access: Sendable {
        /// Reads only; works on a database in a read-only directory.
        case read
        /// Reads and writes; upgrades an older schema first.
        case write
    }

    /// The SQLite file, or the PostgreSQL server and database (`postgres://user@host:port/db`,
    /// never the password): what messages name.
    public let path: String
    public let files: ScriptFiles
    let store: Store
    let now: @Sendable () -> Date

    /// Where the rows live.
    enum Store: Sendable {
        case sqlite(reader: any DatabaseReader, writer: (any DatabaseWriter)?)
        case postgres(PostgresStore)
    }

    /// How long a write waits for another process's transaction before giving up.
    public static let busyTimeout: TimeInterval = 15

    private init(path: String, files: ScriptFiles, store: Store, now: @escaping @Sendable () -> Date) {
        self.path = path
        self.files = files
        self.store = store
        self.now = now
    }

    /// False for a SQLite file opened read-only.
    var canWrite: Bool {
        switch store {
        case .sqlite(_, let writer): return writer != nil
        case .postgres: return true
        }
    }

    /// The same knowledge base through a connection of its own: a worker's heartbeat goes on
    /// while the loop's connection waits for the write lock. (SQLite's pool has one already.)
    public func reopened() throws(KnowledgeError) -> KnowledgeBase {
        guard case .postgres(let server) = store else { return self }
        let fresh = PostgresStore(location: server.location)
        try fresh.connect()
        return KnowledgeBase(path: path, files: files, store: .postgres(fresh), now: now)
    }

    /// True for a PostgreSQL knowledge base that other workers may be writing too.
    public var isShared: Bool {
        if case .postgres = store { return true }
        return false
    }

    /// Opens a PostgreSQL knowledge base, creating its tables (under the write lock) when the
    /// database is empty and `create` is set.
    private static func openPostgres(_ url: String, files: ScriptFiles, access: Access, create: Bool,
                                     now: @escaping @Sendable () -> Date) throws(KnowledgeError) -> KnowledgeBase {
        let location = try PostgresLocation(url: url)
        let store = PostgresStore(location: location)
        try store.connect()
        let name = location.description
        let upToDate = try store.transaction(write: false) { db in
            try PostgresSchema.migrate(db, location: name, write: false) == PostgresSchema.migrations.map(\.identifier).sorted()
        }
        if !upToDate {
            let exists = try store.transaction(write: false) { db in
                try Bool.fetchOne(db, sql: """
                    SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
                                   AND table_name = 'llmalpha_meta')
                    """) ?? false
            }
            guard exists || (create && access == .write) else { throw .missing(path: name) }
            _ = try store.transaction(write: true) { db in try PostgresSchema.migrate(db, location: name, write: true) }
        }
        return KnowledgeBase(path: name, files: files, store: .postgres(store), now: now)
    }

    /// Opens the database at `path`.
    /// - Parameters:
    ///   - create: make a new database when there is none (writers such as `run --record`);
    ///     read commands pass false and get ``KnowledgeError/missing(path:)``.
    ///   - maximumPages: caps the file's size in pages (tests use it to fill the "disk").
    /// - Throws: ``KnowledgeError``: not SQLite, another program's database, a newer schema,
    ///   read-only, damaged. The file is never modified when one is thrown.
    public static func open(at path: String, files: ScriptFiles, access: Access = .write, create: Bool = false,
                            now: @escaping @Sendable () -> Date = Date.init,
                            maximumPages: Int? = nil) throws(KnowledgeError) -> KnowledgeBase {
        if PostgresLocation.isURL(path) { return try openPostgres(path, files: files, access: access, create: create, now: now) }
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists {
            guard create, access == .write else { throw .missing(path: path) }
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                    throw .readOnly(path: path)
                }
            }
        } else if !HeaderChecks.done(path) {
            try checkHeader(path)
        }

        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "knowledge"
        configuration.prepareDatabase { db in
            // 32 MB of page cache per connection: the trial indexes of a long research history stay in memory.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            if let maximumPages { try db.execute(sql: "PRAGMA max_page_count = \(maximumPages)") }
        }

        if access == .write {
            do {
                // Identify the file through a read-only connection first: opening the pool
                // switches the journal to WAL, which rewrites a foreign file's header.
                if exists, (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 > 0 {
                    var inspect = configuration
                    inspect.readonly = true
                    let queue = try DatabaseQueue(path: path, configuration: inspect)
                    try queue.read { db in try checkIdentity(db, path: path) }
                    try queue.close()
                }
                let pool = try DatabasePool(path: path, configuration: configuration)
                let current = try pool.read { db in
                    try checkIdentity(db, path: path)
                    return try Schema.migrator.hasCompletedMigrations(db)
                }
                // Only an older (or new) database is written to on open.
                if !current { try Schema.migrator.migrate(pool) }
                HeaderChecks.record(path)
                return KnowledgeBase(path: path, files: files, store: .sqlite(reader: pool, writer: pool), now: now)
            } catch {
                throw translate(error, path: path)
            }
        }
        // Reading goes through a read-only connection, so read commands never write to the file
        // (not even on a damaged one); only a database on an older schema is opened for its upgrade.
        configuration.readonly = true
        func inspect(_ location: String) throws(KnowledgeError) -> (DatabaseQueue, Bool) {
            do {
                let queue = try DatabaseQueue(path: location, configuration: configuration)
                let upToDate = try queue.read { db in
                    try checkIdentity(db, path: path)
                    return try Schema.migrator.hasCompletedMigrations(db)
                }
                return (queue, upToDate)
            } catch {
                throw translate(error, path: path)
            }
        }
        var opened: (DatabaseQueue, Bool)
        do {
            opened = try inspect(path)
        } catch .readOnly {
            // A WAL database in a directory we cannot write: SQLite cannot make its -shm file.
            // Nobody can be writing there either, so read it as an immutable file.
            let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))) ?? path
            opened = try inspect("file:\(escaped)?immutable=1")
        }
        let (queue, upToDate) = opened
        HeaderChecks.record(path)
        if upToDate { return KnowledgeBase(path: path, files: files, store: .sqlite(reader: queue, writer: nil), now: now) }
        try? queue.close()
        return try open(at: path, files: files, access: .write, create: false, now: now, maximumPages: maximumPages)
    }

    /// Creates a new, empty database (`kb init`).
    /// - Parameter force: when one exists, copy it to `<path>.<timestamp>.bak` first, then start fresh.
    /// - Returns: the database and the backup's path, if one was made.
    public static func initialize(at path: String, files: ScriptFiles, force: Bool,
                                  now: @escaping @Sendable () -> Date = Date.init) throws(KnowledgeError) -> (KnowledgeBase, backup: String?) {
        if PostgresLocation.isURL(path) {
            let location = try PostgresLocation(url: path)
            if let existing = try? open(at: path, files: files, access: .read, now: now) {
                guard force else { throw .exists(path: existing.path) }
                throw .invalid("\(location): kb init --force does not drop a shared knowledge base; drop the database "
                               + "(dropdb) to start over, or kb export it first to keep a copy")
            }
            return (try open(at: path, files: files, access: .write, create: true, now: now), nil)
        }
        var backup: String? = nil
        if FileManager.default.fileExists(atPath: path) {
            guard force else {
                try checkHeader(path)   // say what the file is when it is not ours at all
                throw .exists(path: path)
            }
            backup = try moveAside(path, now: now())
        }
        let kb = try open(at: path, files: files, access: .write, create: true, now: now)
        return (kb, backup)
    }

    /// Moves the database and its WAL files aside, keeping them as a backup.
    private static func moveAside(_ path: String, now: Date) throws(KnowledgeError) -> String {
        let stamp = Timestamp.compact(now)
        var backup = "\(path).\(stamp).bak"
        var attempt = 1
        while FileManager.default.fileExists(atPath: backup) {
            attempt += 1
            backup = "\(path).\(stamp)-\(attempt).bak"
        }
        // A checkpoint first, so the backup is one self-contained file.
        if (try? checkHeader(path)) != nil, let queue = try? DatabaseQueue(path: path) {
            _ = try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try? queue.close()
        }
        do {
            try FileManager.default.moveItem(atPath: path, toPath: backup)
            for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.moveItem(atPath: path + suffix, toPath: backup + suffix)
            }
        } catch {
            throw .readOnly(path: path)
        }
        return backup
    }

    /// Files this process has opened through SQLite, whose header is not read again. Closing any
    /// descriptor of a file drops every POSIX lock the process holds on it, SQLite's included: a
    /// second knowledge base opened on the same file (a worker opens several) would then let
    /// another process, closing the last connection it sees, check the WAL into the database and
    /// delete it under this one, whose later commits went to the deleted file.
    enum HeaderChecks {
        private static let lock = NSLock()
        nonisolated(unsafe) private static var paths: Set<String> = []

        static func key(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        static func done(_ path: String) -> Bool { lock.withLock { paths.contains(key(path)) } }
        static func record(_ path: String) { lock.withLock { _ = paths.insert(key(path)) } }
    }

    /// Refuses a file that is not SQLite before SQLite is let near it.
    private static func checkHeader(_ path: String) throws(KnowledgeError) {
        guard let head = header(path) else { throw .file(path: path, detail: "cannot read the file") }
        if head.isEmpty { return }   // an empty file is a new database to SQLite
        guard head == sqliteHeader else { throw .notADatabase(path: path) }
    }

    private static let sqliteHeader = Data("SQLite format 3\0".utf8)

    /// The file's first 16 bytes; nil when it cannot be read.
    private static func header(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 16)) ?? Data()
    }

    /// True for a SQLite file (what `kb import` tells a knowledge base from a JSON export by).
    /// Call it before the file is opened as a knowledge base in this process (see ``HeaderChecks``).
    public static func isSQLiteFile(_ path: String) -> Bool {
        header(path) == sqliteHeader
    }

    /// Ours (application id), foreign, or from a newer build.
    private static func checkIdentity(_ db: Database, path: String) throws {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        if applicationID != Schema.applicationID && (applicationID != 0 || !tables.isEmpty) {
            throw KnowledgeError.foreign(path: path)
        }
        if try Schema.migrator.hasBeenSuperseded(db) {
            let known = Set(Schema.migrator.migrations)
            let applied = try Schema.migrator.appliedIdentifiers(db)
            throw KnowledgeError.newerSchema(path: path, unknown: applied.subtracting(known).sorted())
        }
    }

    /// The schema steps this database has had applied.
    public func schemaVersion() throws(KnowledgeError) -> [String] {
        switch store {
        case .sqlite(let reader, _):
            do { return try reader.read { db in try Schema.migrator.appliedIdentifiers(db).sorted() } } catch {
                throw Self.translate(error, path: path)
            }
        case .postgres:
            return try read { db in try PostgresSchema.appliedIdentifiers(db) }
        }
    }

    // MARK: - Transactions

    func read<T>(_ body: (any SQLDatabase) throws -> T) throws(KnowledgeError) -> T {
        switch store {
        case .sqlite(let reader, _):
            do { return try reader.read { db in try body(SQLiteDatabase(db: db)) } } catch { throw Self.translate(error, path: path) }
        case .postgres(let server):
            return try server.transaction(write: false, body)
        }
    }

    /// Reads that may also use temporary tables of their connection (GRDB's read access forbids
    /// even those): the read-only queue directly, or the writer outside a transaction.
    /// One deferred transaction, so every statement sees the same snapshot even while another
    /// process commits. (PostgreSQL's reads are such snapshots already.)
    func scratchRead<T>(_ body: (any SQLDatabase) throws -> T) throws(KnowledgeError) -> T {
        guard case .sqlite(let reader, let writer) = store else { return try read(body) }
        func snapshot(_ db: Database) throws -> T {
            var result: T?
            try db.inTransaction(.deferred) {
                result = try body(SQLiteDatabase(db: db))
                return .commit
            }
            return result!
        }
        do {
            if let queue = reader as? DatabaseQueue { return try queue.inDatabase(snapshot) }
            if let writer { return try writer.writeWithoutTransaction(snapshot) }
            return try reader.read { db in try body(SQLiteDatabase(db: db)) }
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// One IMMEDIATE transaction: the write lock is taken up front, so id allocation and the
    /// files written under it cannot race another process. (On PostgreSQL, the knowledge base's
    /// advisory lock: the same guarantee across machines.)
    /// - Parameter serialized: false for a transaction that allocates nothing global (a work
    ///   item's claim, a heartbeat): on PostgreSQL it runs beside other writers, relying on row
    ///   locks alone; SQLite has one writer at a time whatever this says.
    func write<T>(serialized: Bool = true, _ body: (any SQLDatabase) throws -> T) throws(KnowledgeError) -> T {
        switch store {
        case .sqlite(_, let writer):
            guard let writer else { throw .readOnly(path: path) }
            do {
                return try writer.writeWithoutTransaction { db in
                    var result: T?
                    try db.inTransaction(.immediate) {
                        result = try body(SQLiteDatabase(db: db))
                        return .commit
                    }
                    return result!
                }
            } catch {
                throw Self.translate(error, path: path)
            }
        case .postgres(let server):
            return try server.transaction(write: true, serialized: serialized, body)
        }
    }

    /// SQLite's own words for a failure (the check reports them as they are).
    static func message(_ error: any Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }

    static func translate(_ error: any Error, path: String) -> KnowledgeError {
        if let known = error as? KnowledgeError { return known }
        guard let error = error as? DatabaseError else { return .sqlite(path: path, detail: "\(error)") }
        switch error.resultCode {
        case .SQLITE_NOTADB: return .notADatabase(path: path)
        case .SQLITE_CORRUPT: return .corrupt(path: path, detail: error.message ?? "corrupt")
        case .SQLITE_FULL: return .diskFull(path: path)
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN: return .readOnly(path: path)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(path: path)
        default: return .sqlite(path: path, detail: error.message ?? "\(error)")
        }
    }
}
