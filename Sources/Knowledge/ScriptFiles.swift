import Foundation
import DurableFiles

/// The plain-text side of the knowledge base: `hypotheses/H0NN-<slug>.lua` holds the exact script
/// each hypothesis ran, `strategies/S0NN-<slug>.lua` each promoted survivor with its validation
/// header. Rows store paths relative to the project, so a checkout can move.
public struct ScriptFiles: Sendable, Equatable {
    public let hypothesesDirectory: String
    public let strategiesDirectory: String
    /// Stored paths are relative to this when they lie inside it.
    public let root: String?

    public init(hypothesesDirectory: String, strategiesDirectory: String, root: String?) {
        self.hypothesesDirectory = hypothesesDirectory
        self.strategiesDirectory = strategiesDirectory
        self.root = root
    }

    /// A name as a file-name fragment: lowercase words joined by dashes, at most 48 characters.
    public static func slug(_ name: String) -> String {
        var words: [String] = []
        var word = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                word.unicodeScalars.append(scalar)
            } else if !word.isEmpty {
                words.append(word)
                word = ""
            }
        }
        if !word.isEmpty { words.append(word) }
        var slug = ""
        for w in words where slug.count + w.count + 1 <= 48 {
            slug += slug.isEmpty ? w : "-" + w
        }
        return slug.isEmpty ? "untitled" : slug
    }

    /// `H007` from 7; at least three digits, more when needed.
    static func identifier(_ prefix: String, _ number: Int) -> String {
        prefix + String(format: "%03d", number)
    }

    /// The number in an id such as `H007`, nil when it is not one.
    static func number(of id: String, prefix: String) -> Int? {
        guard id.hasPrefix(prefix), id.count > prefix.count else { return nil }
        return Int(id.dropFirst(prefix.count))
    }

    /// Files named `<prefix>NNN-<slug>.lua` in `directory`, by number.
    func numberedFiles(prefix: String, in directory: String) -> [Int: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [Int: String] = [:]
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".lua") {
            let digits = name.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, name.dropFirst(prefix.count + digits.count).hasPrefix("-"), let n = Int(digits) else { continue }
            found[n] = (directory as NSString).appendingPathComponent(name)
        }
        return found
    }

    /// The path as stored in a row.
    func stored(_ absolute: String) -> String {
        guard let root else { return absolute }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
    }

    /// A stored path made usable again.
    public func resolve(_ stored: String) -> String {
        if stored.hasPrefix("/") { return stored }
        guard let root else { return stored }
        return (root as NSString).appendingPathComponent(stored)
    }

    /// Writes through a temporary file and a rename, so a crash leaves the old file or the new
    /// one, never half of either.
    static func writeAtomically(_ text: String, to path: String) throws(KnowledgeError) {
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw .file(path: path, detail: "cannot create its folder")
        }
        do {
            try AtomicFile.write(Data(text.utf8), to: path)
        } catch {
            if error.diskFull { throw .diskFull(path: path) }
            throw .file(path: path, detail: error.reason)
        }
    }

    static func sha256(_ text: String) -> String { SHA256.hex(Array(text.utf8)) }

    /// The sha256 of a file's bytes, nil when it cannot be read.
    static func sha256(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return SHA256.hex(data)
    }
}
