import Foundation

/// Where the project's files are: the checkout that holds `configs/`, `data/` and `strategies/`.
///
/// Found from `LLMALPHA_HOME`, else by walking up from the executable (`.build/release/llmalpha`
/// lives inside the checkout), else the working directory. An installed binary outside any
/// checkout still works: it uses built-in defaults and `./data`.
public struct ProjectPaths: Sendable {
    public let root: String?

    /// - Parameter environment: the process environment (nil: this process's).
    public init(environment: [String: String]? = nil) {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let home = environment["LLMALPHA_HOME"], !home.isEmpty {
            root = home
            return
        }
        var candidates: [URL] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        root = candidates.lazy.compactMap(ProjectPaths.checkout(above:)).first
    }

    private static func checkout(above start: URL) -> String? {
        var url = start.standardizedFileURL
        for _ in 0..<8 {
            let marker = url.appendingPathComponent("configs/default.yaml").path
            if FileManager.default.fileExists(atPath: marker),
               FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { break }
            url = parent
        }
        return nil
    }

    /// The project's `configs/default.yaml`, if there is a project.
    public var defaultConfigFile: String? { root.map { ($0 as NSString).appendingPathComponent("configs/default.yaml") } }

    /// Resolves the data directory setting: absolute as given; relative against the working
    /// directory when that holds a store, else against the project.
    public func dataDirectory(_ setting: String) -> String {
        if setting.hasPrefix("/") { return setting }
        let local = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(setting)
        if FileManager.default.fileExists(atPath: (local as NSString).appendingPathComponent("binance-um")) || root == nil {
            return local
        }
        return (root! as NSString).appendingPathComponent(setting)
    }
}
