import Foundation
internal import LuaSandboxC

/// The Lua files of `prelude/`, loaded into every sandbox before the script (DESIGN.md section 2).
/// They ship inside the binary's resource bundle, so an installed `llmalpha` needs no checkout.
enum Prelude {
    struct File: Sendable {
        let name: String
        let source: String
        /// Bytecode compiled once per process from `source`, loaded by every VM (parsing the text
        /// again for each fresh VM would cost more than the rest of its set-up).
        let bytecode: [CChar]
    }

    /// In name order, so a later file may build on an earlier one.
    static let files: [File] = load("prelude")

    /// `prelude/repl/`: help(), value printing and completion for `llmalpha repl` sessions only.
    static let replFiles: [File] = load("prelude/repl")

    private static func load(_ subfolder: String) -> [File] {
        guard let base = Bundle.module.url(forResource: "prelude", withExtension: nil) else {
            preconditionFailure("the prelude resource is missing from the build")
        }
        let folder = subfolder == "prelude" ? base : base.appendingPathComponent(String(subfolder.dropFirst("prelude/".count)))
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            preconditionFailure("\(subfolder) is missing from the build")
        }
        return names.filter { $0.hasSuffix(".lua") }.sorted().map { name in
            guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else {
                preconditionFailure("prelude/\(name) is unreadable")
            }
            var length = 0
            var error = [CChar](repeating: 0, count: 512)
            let chunk = "@\(subfolder)/\(name)"
            let bytes = Array(text.utf8CString)
            guard let compiled = bytes.withUnsafeBufferPointer({ src in
                llma_compile_chunk(src.baseAddress, bytes.count - 1, chunk, &length, &error, error.count)
            }) else {
                preconditionFailure("prelude/\(name) does not compile: \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            }
            defer { free(compiled) }
            return File(name: name, source: text, bytecode: Array(UnsafeBufferPointer(start: compiled, count: length)))
        }
    }
}
