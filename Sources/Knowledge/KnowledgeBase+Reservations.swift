import Foundation

/// Writing a script file and its row safely: the number is reserved (committed) first, the file
/// is written outside the lock, then the row replaces the reservation. A crash at any point
/// leaves either nothing, a reservation without a file (cleared by `kb check --repair`), or a
/// reservation with its file (finished by `kb check --repair` from the recorded fields). A file
/// with neither row nor reservation was never this knowledge base's, and is left alone.
extension KnowledgeBase {
    enum ScriptKind: String {
        case hypothesis, strategy

        var prefix: String { self == .hypothesis ? "H" : "S" }
        var table: String { rawValue }

        func directory(_ files: ScriptFiles) -> String {
            self == .hypothesis ? files.hypothesesDirectory : files.strategiesDirectory
        }
    }

    struct Reservation {
        let kind: ScriptKind
        let number: Int
        /// Absolute.
        let path: String
        var id: String { ScriptFiles.identifier(kind.prefix, number) }
    }

    /// Takes the next free number (past every row, reservation and file of that kind, so no file
    /// is ever overwritten) inside the caller's write transaction; `text` makes the file's
    /// content once its id and path are known.
    func reserve(_ kind: ScriptKind, slug: String, record: [String: Any], in db: any SQLDatabase,
                 text: (Reservation) -> String) throws -> (Reservation, String) {
        let rows = try Int.fetchOne(db, sql: "SELECT max(number) FROM \(kind.table)") ?? 0
        let pending = try Int.fetchOne(db, sql: "SELECT max(number) FROM pending_script WHERE kind = ?", arguments: [kind.rawValue]) ?? 0
        let onDisk = files.numberedFiles(prefix: kind.prefix, in: kind.directory(files)).keys.max() ?? 0
        let number = max(rows, pending, onDisk) + 1
        let path = (kind.directory(files) as NSString)
            .appendingPathComponent("\(ScriptFiles.identifier(kind.prefix, number))-\(slug).lua")
        let reservation = Reservation(kind: kind, number: number, path: path)
        let content = text(reservation)
        // The machine that reserved it: on a shared knowledge base only it may finish or clear it.
        var fields = record
        fields["host"] = ProcessInfo.processInfo.hostName
        let json = String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO pending_script (kind, number, path, sha256, record, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [kind.rawValue, number, files.stored(path), ScriptFiles.sha256(content), json, Timestamp.iso(now())])
        return (reservation, content)
    }

    /// Writes the reserved file, or gives the reservation back.
    func writeReserved(_ reservation: Reservation, text: String) throws(KnowledgeError) {
        do {
            try ScriptFiles.writeAtomically(text, to: reservation.path)
        } catch {
            release(reservation)
            throw error
        }
    }

    /// Drops a reservation whose file or row could not be written (best effort: a leftover is
    /// cleared by `kb check --repair`).
    func release(_ reservation: Reservation) {
        _ = try? write { db in
            try db.execute(sql: "DELETE FROM pending_script WHERE kind = ? AND number = ?",
                           arguments: [reservation.kind.rawValue, reservation.number])
        }
    }

    /// Replaces a reservation with its row, in the caller's transaction.
    static func fulfil(_ reservation: Reservation, in db: any SQLDatabase) throws {
        try db.execute(sql: "DELETE FROM pending_script WHERE kind = ? AND number = ?",
                       arguments: [reservation.kind.rawValue, reservation.number])
    }
}
