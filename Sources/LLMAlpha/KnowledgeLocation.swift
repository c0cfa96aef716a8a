import Foundation
public import Knowledge

/// Where the knowledge base and its script folders are, from the configuration (relative to the
/// project) or `--kb PATH` (relative to the working directory, like any path on a command line).
public struct KnowledgeLocation: Sendable {
    public let database: String
    public let files: ScriptFiles

    public init(configuration: Configuration, paths: ProjectPaths, override: String? = nil) {
        let base = paths.root ?? FileManager.default.currentDirectoryPath
        func resolve(_ setting: String, against root: String) -> String {
            setting.hasPrefix("/") ? setting : (root as NSString).appendingPathComponent(setting)
        }
        database = override.map { resolve($0, against: FileManager.default.currentDirectoryPath) }
            ?? resolve(configuration.knowledge.path, against: base)
        files = ScriptFiles(hypothesesDirectory: resolve(configuration.knowledge.hypothesesDirectory, against: base),
                            strategiesDirectory: resolve(configuration.knowledge.strategiesDirectory, against: base), root: base)
    }

    /// Opens it; writers create it on first use.
    public func open(_ access: KnowledgeBase.Access, create: Bool = false) throws(KnowledgeError) -> KnowledgeBase {
        try KnowledgeBase.open(at: database, files: files, access: access, create: create)
    }
}
