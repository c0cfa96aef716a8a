import Foundation

/// Script texts kept in the database as well as in `hypotheses/` and `strategies/`: a worker on
/// another machine, or a colleague with only the shared knowledge base, can rerun any of them.
extension KnowledgeBase {
    /// Keeps a script's text under its stored path (the first text recorded for a path stays).
    static func storeScript(path: String, sha256: String, text: String, stamp: String, in db: any SQLDatabase) throws {
        try db.execute(sql: "INSERT INTO script_file (path, sha256, text, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       arguments: [path, sha256, text, stamp])
    }

    /// A hypothesis's script: the local file, or on a machine without it the copy this knowledge
    /// base keeps (written back to the file, so it can be read and run as any other). A local
    /// file that differs from the recorded script (edited, or another knowledge base's under the
    /// same name) gives way to the database's copy when there is one.
    public func script(of hypothesis: Hypothesis) -> String? {
        script(at: hypothesis.scriptPath, sha256: hypothesis.scriptSHA256)
    }

    /// A strategy's file, likewise.
    public func script(of strategy: Strategy) -> String? {
        script(at: strategy.filePath, sha256: strategy.fileSHA256)
    }

    func script(at stored: String, sha256: String) -> String? {
        let path = files.resolve(stored)
        let local = try? String(contentsOfFile: path, encoding: .utf8)
        if let local, ScriptFiles.sha256(local) == sha256 { return local }
        guard let text = try? storedScript(stored), ScriptFiles.sha256(text) == sha256 else { return local }
        if local == nil { try? ScriptFiles.writeAtomically(text, to: path) }
        return text
    }

    /// The copy kept in the database.
    func storedScript(_ stored: String) throws(KnowledgeError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT text FROM script_file WHERE path = ?", arguments: [stored]) }
    }

    /// Paths of recorded scripts that have no copy in the database (recorded before it kept them).
    func unstoredScripts() throws(KnowledgeError) -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT script_path FROM hypothesis WHERE script_path NOT IN (SELECT path FROM script_file)
                UNION SELECT file_path FROM strategy WHERE file_path NOT IN (SELECT path FROM script_file)
                """))
        }
    }
}
