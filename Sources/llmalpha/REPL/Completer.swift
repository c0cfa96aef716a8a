import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting

/// Tab completion for the REPL: globals and primitives, `d.` columns and table fields, Series
/// methods after `:`, Lua keywords and the hypothesis contract's words.
final class Completer {
    /// Set once by the line reader; read only on the REPL thread by libedit's callback.
    nonisolated(unsafe) static var current: Completer?   // libedit's C callback cannot carry context

    private let names: (String?) -> [String]
    private var candidates: [String] = []
    private var index = 0

    static let keywords = ["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
                           "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]
    static let contract = ["hypothesis", "param", "factor", "signal", "strategy", "output", "backtest"]

    /// - Parameter names: globals when given nil, else the fields of that table global.
    init(names: @escaping (String?) -> [String]) {
        self.names = names
    }

    /// All completions of `word`, sorted, without duplicates. `before` is the line up to the
    /// word: after `x:` a Series method, after `name.` a field of the table global `name`.
    func completions(of word: String, after before: String) -> [String] {
        if before.hasSuffix(":") {
            let methods = PrimitiveRegistry.all.filter { $0.placement == .method }.map(\.name) + ["last", "values"]
            return Set(methods).filter { $0.hasPrefix(word) }.sorted()
        }
        if before.hasSuffix(".") {
            let base = String(before.dropLast().reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
            guard !base.isEmpty else { return [] }
            var fields = names(base)
            if base == "param" { fields += ["int", "float", "bool"] }
            return Set(fields).filter { $0.hasPrefix(word) }.sorted()
        }
        let all = Set(names(nil) + Self.keywords + Self.contract)
        return all.filter { $0.hasPrefix(word) && !$0.hasPrefix("_") }.sorted()
    }

    func prepare(_ word: String, after before: String) {
        candidates = completions(of: word, after: before)
        index = 0
    }

    func next() -> String? {
        guard index < candidates.count else { return nil }
        defer { index += 1 }
        return candidates[index]
    }
}
