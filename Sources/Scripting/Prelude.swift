import Foundation

/// The Lua files of `prelude/`, loaded into every sandbox before the script (DESIGN.md section 2).
/// They ship inside the binary's resource bundle, so an installed `llmalpha` needs no checkout.
enum Prelude {
    struct File: Sendable {
        let name: String
        let source: String
    }

    /// In name order, so a later file may build on an earlier one.
    static let files: [File] = {
        guard let folder = Bundle.module.url(forResource: "prelude", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            preconditionFailure("the prelude resource is missing from the build")
        }
        return names.filter { $0.hasSuffix(".lua") }.sorted().map { name in
            guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else {
                preconditionFailure("prelude/\(name) is unreadable")
            }
            return File(name: name, source: text)
        }
    }()
}
