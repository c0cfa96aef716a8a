import Foundation
public import Knowledge

/// Where the knowledge base and its script folders are, from the configuration (relative to the
/// project) or `--kb PATH` (relative to the working directory, like any path on a command line).
/// `--kb postgres://...` or `knowledge.url` choose a shared PostgreSQL knowledge base instead.
public struct KnowledgeLocation: Sendable {
    /// The SQLite file's absolute path, or the PostgreSQL URL.
    public let database: String
    public let files: ScriptFiles

    public init(configuration: Configuration, paths: ProjectPaths, override: String? = nil) {
        let base = paths.root ?? FileManager.default.currentDirectoryPath
        func resolve(_ setting: String, against root: String) -> String {
            setting.hasPrefix("/") ? setting : (root as NSString).appendingPathComponent(setting)
        }
        if let override {
            database = PostgresLocation.isURL(override) ? override : resolve(override, against: FileManager.default.currentDirectoryPath)
        } else if !configuration.knowledge.url.isEmpty {
            database = configuration.knowledge.url
        } else {
            database = resolve(configuration.knowledge.path, against: base)
        }
        files = ScriptFiles(hypothesesDirectory: resolve(configuration.knowledge.hypothesesDirectory, against: base),
                            strategiesDirectory: resolve(configuration.knowledge.strategiesDirectory, against: base), root: base)
    }

    /// A PostgreSQL knowledge base (shared), not a file.
    public var isShared: Bool { PostgresLocation.isURL(database) }

    /// Whether there is one to read: a file that exists, or any server address (the server says).
    public var mayExist: Bool { isShared || FileManager.default.fileExists(atPath: database) }

    /// Opens it; writers create it on first use.
    public func open(_ access: KnowledgeBase.Access, create: Bool = false) throws(KnowledgeError) -> KnowledgeBase {
        try KnowledgeBase.open(at: database, files: files, access: access, create: create)
    }
}
