import Foundation
import Primitives
import Scripting
internal import Yams

/// Settings of every command (DESIGN.md section 9). Precedence: flags > environment >
/// `--config` file > the project's `configs/default.yaml` > the built-in ``defaults`` (equal to
/// that file, so an installed binary behaves the same outside a checkout).
public struct Configuration: Sendable, Equatable {
    public var sandbox = SandboxLimits(timeout: 60, maxInstructions: 1_000_000_000, maxMemoryBytes: 2048 << 20,
                                       maxOutputBytes: 16 << 20)
    public var dataDirectory = "data"
    public var symbol = "BTCUSDT"
    public var interval = "1h"
    public var factorHorizons = [1, 4, 24]
    /// The knowledge base file and its script folders, relative to the project.
    public var knowledgePath = "data/knowledge.sqlite"
    public var hypothesesDirectory = "hypotheses"
    public var strategiesDirectory = "strategies"

    public static let defaults = Configuration()

    public init() {}

    /// One settable key: its dotted name, what it takes, and how it applies.
    struct Key: Sendable {
        enum Kind: Sendable { case positiveNumber, positiveInteger, text, integerList }
        let path: String
        let kind: Kind
        let apply: @Sendable (inout Configuration, Value) -> Void
    }

    enum Value: Sendable {
        case number(Double)
        case text(String)
        case integers([Int])
    }

    static let keys: [Key] = [
        Key(path: "sandbox.timeout_seconds", kind: .positiveNumber) { c, v in if case .number(let x) = v { c.sandbox.timeout = x } },
        Key(path: "sandbox.max_instructions", kind: .positiveInteger) { c, v in if case .number(let x) = v { c.sandbox.maxInstructions = Int64(x) } },
        Key(path: "sandbox.max_memory_mb", kind: .positiveInteger) { c, v in if case .number(let x) = v { c.sandbox.maxMemoryBytes = Int(x) << 20 } },
        Key(path: "sandbox.max_output_mb", kind: .positiveInteger) { c, v in if case .number(let x) = v { c.sandbox.maxOutputBytes = Int(x) << 20 } },
        Key(path: "data.dir", kind: .text) { c, v in if case .text(let s) = v { c.dataDirectory = s } },
        Key(path: "data.symbol", kind: .text) { c, v in if case .text(let s) = v { c.symbol = s } },
        Key(path: "data.interval", kind: .text) { c, v in if case .text(let s) = v { c.interval = s } },
        Key(path: "factor.horizons", kind: .integerList) { c, v in if case .integers(let l) = v { c.factorHorizons = l } },
        Key(path: "knowledge.path", kind: .text) { c, v in if case .text(let s) = v { c.knowledgePath = s } },
        Key(path: "knowledge.hypotheses_dir", kind: .text) { c, v in if case .text(let s) = v { c.hypothesesDirectory = s } },
        Key(path: "knowledge.strategies_dir", kind: .text) { c, v in if case .text(let s) = v { c.strategiesDirectory = s } },
    ]

    /// Loads the layered configuration.
    /// - Parameters:
    ///   - projectFile: the project's `configs/default.yaml`, when there is one.
    ///   - file: `--config FILE`.
    /// - Throws: ``ConfigurationError`` naming the file, the key and what is wrong.
    public static func load(projectFile: String?, file: String?, environment: [String: String]) throws(ConfigurationError) -> Configuration {
        var config = Configuration.defaults
        if let projectFile, FileManager.default.fileExists(atPath: projectFile) {
            try config.apply(yamlFile: projectFile)
        }
        if let file {
            guard FileManager.default.fileExists(atPath: file) else { throw ConfigurationError(file: file, "no such file") }
            try config.apply(yamlFile: file)
        }
        for key in keys {
            let name = "LLMALPHA_" + key.path.replacingOccurrences(of: ".", with: "_").uppercased()
            if let text = environment[name] { try config.apply(key, text: text, source: name) }
        }
        if let dir = environment["LLMALPHA_DATA_DIR"] { config.dataDirectory = dir }
        return config
    }

    mutating func apply(yamlFile path: String) throws(ConfigurationError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError(file: path, "cannot read the file")
        }
        let tree: Any?
        do { tree = try Yams.load(yaml: text) } catch {
            throw ConfigurationError(file: path, "not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let tree else { return }   // an empty file changes nothing
        guard let root = tree as? [String: Any] else { throw ConfigurationError(file: path, "expected a mapping of sections at the top") }
        let known = Configuration.keys.map(\.path)
        for (section, body) in root.sorted(by: { $0.key < $1.key }) {
            guard let fields = body as? [String: Any] else {
                let sections = Set(known.map { String($0.split(separator: ".")[0]) }).sorted()
                if !sections.contains(section) {
                    throw ConfigurationError(file: path, "unknown key '\(section)'", hint: suggestion(section, sections))
                }
                throw ConfigurationError(file: path, "'\(section)' must be a mapping of keys")
            }
            for (field, raw) in fields.sorted(by: { $0.key < $1.key }) {
                let dotted = "\(section).\(field)"
                guard let key = Configuration.keys.first(where: { $0.path == dotted }) else {
                    throw ConfigurationError(file: path, "unknown key '\(dotted)'", hint: suggestion(dotted, known))
                }
                try apply(key, any: raw, source: "\(path): \(dotted)")
            }
        }
    }

    private mutating func apply(_ key: Key, any raw: Any, source: String) throws(ConfigurationError) {
        switch key.kind {
        case .integerList:
            guard let list = raw as? [Any] else { throw ConfigurationError(file: nil, "\(source): expected a list of integers") }
            var values: [Int] = []
            for item in list {
                guard let n = (item as? Int) ?? (item as? Double).flatMap({ $0 == $0.rounded() ? Int($0) : nil }), n >= 1 else {
                    throw ConfigurationError(file: nil, "\(source): expected positive integers, got \(item)")
                }
                values.append(n)
            }
            key.apply(&self, .integers(values))
        default:
            try apply(key, text: "\(raw)", source: source)
        }
    }

    private mutating func apply(_ key: Key, text: String, source: String) throws(ConfigurationError) {
        switch key.kind {
        case .positiveNumber:
            guard let x = Double(text), x.isFinite, x > 0 else { throw ConfigurationError(file: nil, "\(source): expected a positive number, got '\(text)'") }
            key.apply(&self, .number(x))
        case .positiveInteger:
            guard let x = Int64(text), x > 0 else { throw ConfigurationError(file: nil, "\(source): expected a positive integer, got '\(text)'") }
            key.apply(&self, .number(Double(x)))
        case .text:
            guard !text.isEmpty else { throw ConfigurationError(file: nil, "\(source): expected a value") }
            key.apply(&self, .text(text))
        case .integerList:
            let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ConfigurationError(file: nil, "\(source): expected positive integers separated by commas, got '\(text)'")
            }
            key.apply(&self, .integers(parts.map { $0! }))
        }
    }

    private func suggestion(_ name: String, _ candidates: [String]) -> String {
        if let best = closestName(to: name, in: candidates) { return "did you mean '\(best)'?" }
        return "known keys: \(candidates.joined(separator: ", "))"
    }
}

/// A configuration file or variable that cannot be used; exit status 2.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let file: String?
    public let message: String
    public let hint: String?

    init(file: String?, _ message: String, hint: String? = nil) {
        self.file = file
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var line = file.map { "\($0): \(message)" } ?? message
        if let hint { line += " (hint: \(hint))" }
        return line
    }
}
