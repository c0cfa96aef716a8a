/// A script that could not run to the end: what went wrong, where, and a hint.
///
/// `description` is the one line a user sees (`strategies/x.lua:14: attempt to compare ... (hint:
/// use lt(a, b))`); the Lua traceback is kept apart in `traceback` for `--verbose` and the ledger.
public struct ScriptError: Error, Sendable, CustomStringConvertible {
    public enum Limit: String, Sendable {
        case instructions, memory, time, output, interrupt
    }

    public enum Kind: Sendable, Equatable {
        /// The source does not compile.
        case syntax
        /// An error raised while running (including bad primitive arguments).
        case runtime
        /// A sandbox limit stopped the script; decided from host flags, never from the script.
        case resourceLimit(Limit)
        /// The script broke the hypothesis contract (factor returned a number, a bad param range).
        case contract
        /// The caller asked for something the script does not allow (`--param x=…` out of range).
        case usage
        /// Data the script asked for cannot be had (`market("XYZ")`).
        case data
    }

    public let kind: Kind
    public let message: String
    public let location: String?
    public let hint: String?
    public let traceback: String?
    /// What the script's `hypothesis{}` had declared before it failed, so a failed hypothesis is
    /// still recorded under its own name.
    public internal(set) var hypothesis: HypothesisInfo? = nil

    /// The longest message kept: `error(string.rep("A", 1e6))` must not put a megabyte on a
    /// terminal or into the ledger.
    public static let maxMessageCharacters = 400

    public init(kind: Kind, message: String, location: String? = nil, hint: String? = nil, traceback: String? = nil) {
        self.kind = kind
        self.message = Self.capped(message)
        self.location = location
        self.hint = hint
        self.traceback = traceback
    }

    public var description: String {
        var line = [location, message].compactMap { $0 }.joined(separator: ": ")
        if let hint { line += " (hint: \(hint))" }
        return line
    }

    /// The exit status of `llmalpha run` for this error (DESIGN.md section 3.4).
    public var exitCode: Int32 {
        switch kind {
        case .syntax, .runtime, .contract: return 1
        case .usage: return 2
        case .data: return 4
        case .resourceLimit(.interrupt): return 130
        case .resourceLimit: return 3
        }
    }
}

extension ScriptError {
    /// `text`, or its beginning with a note of how long it was.
    static func capped(_ text: String) -> String {
        // Room for the note, so a message capped once is not capped again.
        guard text.count > maxMessageCharacters + 48 else { return text }
        return String(text.prefix(maxMessageCharacters)) + "… (message of \(text.count) characters cut)"
    }

    /// Splits Lua's "chunk:line: message" into its location and message, so the location is not
    /// repeated and the message can carry its own hint.
    static func fromLua(kind: Kind, raw: String, traceback: String?) -> ScriptError {
        var message = raw
        var location: String? = nil
        // Lua prefixes "chunkname:line:"; chunk names are file paths without ": " in practice.
        if let range = raw.range(of: ": ") {
            let head = raw[raw.startIndex..<range.lowerBound]
            if let colon = head.lastIndex(of: ":"), head[head.index(after: colon)...].allSatisfy(\.isNumber),
               head.index(after: colon) < head.endIndex {
                location = String(head)
                message = String(raw[range.upperBound...])
            }
        }
        var hint: String? = nil
        if let open = message.range(of: " (hint: ", options: .backwards), message.hasSuffix(")") {
            hint = String(message[open.upperBound..<message.index(before: message.endIndex)])
            message = String(message[..<open.lowerBound])
        }
        return ScriptError(kind: kind, message: message, location: location, hint: hint, traceback: traceback)
    }
}
