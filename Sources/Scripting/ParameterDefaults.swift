/// Rewrites the defaults of a script's `param.*` declarations in its text, so a promoted strategy
/// runs with the chosen values and nothing else changes: the declarations keep their ranges (the
/// search space stays documented), comments and layout stay as written.
///
/// ```swift
/// let promoted = try ParameterDefaults.rewrite(source, to: ["lookback": "96", "average": "\"ema\""])
/// ```
package enum ParameterDefaults {
    /// - Parameter values: the new default of each named parameter, as Lua source (`96`,
    ///   `0.25`, `true`, `"ema"`; ``literal(for:value:)`` makes them from declarations).
    /// - Throws: ``ScriptError`` (`.contract`) when a named parameter has no declaration of the
    ///   plain shape `param.kind("name", ...)` to rewrite.
    package static func rewrite(_ source: String, to values: [String: String]) throws(ScriptError) -> String {
        try rewrite(source, arguments: values.mapValues { value in { kind in [kind == "choice" ? 2 : kind == "bool" ? 1 : 3: value] } })
    }

    /// Rewrites any arguments of named declarations: for `param.int("n", 5, 50, 20)` index 1 is
    /// the minimum, 2 the maximum, 3 the default. `arguments[name]` gets the declaration's kind
    /// (`int`, `float`, `choice`, `bool`) and returns the new text of each argument to change.
    /// The research agent shifts a near-miss's parameter ranges with it.
    package static func rewrite(_ source: String,
                                arguments: [String: (String) -> [Int: String]]) throws(ScriptError) -> String {
        let text = LuaText(source)
        var edits: [(range: Range<Int>, replacement: String)] = []
        var done: Set<String> = []
        for d in scan(text) {
            guard let change = arguments[d.name] else { continue }
            let wanted = change(d.kind)
            guard wanted.keys.allSatisfy({ $0 > 0 && $0 < d.spans.count }) else { continue }
            for (index, replacement) in wanted { edits.append((d.spans[index], replacement)) }
            done.insert(d.name)
        }
        if let missing = arguments.keys.sorted().first(where: { !done.contains($0) }) {
            throw ScriptError(kind: .contract, message: "cannot set the default of param '\(missing)': no declaration "
                              + "param.<kind>(\"\(missing)\", ...) with its default written out was found in the script")
        }
        var bytes = text.bytes
        for edit in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            bytes.replaceSubrange(edit.range, with: Array(edit.replacement.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Every `param.*` declaration of the plain shape `param.kind("name", ...)`, in order, with
    /// its arguments' source text: what a refinement reads before moving a range.
    package static func declarations(_ source: String) -> [(kind: String, name: String, arguments: [String])] {
        let text = LuaText(source)
        return scan(text).map { d in (d.kind, d.name, d.spans.map { text.text($0) }) }
    }

    /// The declarations `param.int|float|choice|bool("name", ...)` outside strings and comments,
    /// with the span of each argument.
    private static func scan(_ text: LuaText) -> [(kind: String, name: String, spans: [Range<Int>])] {
        var found: [(kind: String, name: String, spans: [Range<Int>])] = []
        var i = 0
        let word = Array("param".utf8)
        while i < text.count {
            if let skipped = text.skipStringOrComment(at: i) { i = skipped.end; continue }
            guard text.isWord(word, at: i), i == 0 || text[i - 1] != 46 else { i += 1; continue }
            var j = text.skipTrivia(from: i + word.count)
            guard j < text.count, text[j] == 46 else { i = j; continue }
            j = text.skipTrivia(from: j + 1)
            var k = j
            while k < text.count, LuaText.isIdentifier(text[k]) { k += 1 }
            let kind = text.text(j..<k)
            guard ["int", "float", "choice", "bool"].contains(kind) else { i = max(k, i + 1); continue }
            let open = text.skipTrivia(from: k)
            guard open < text.count, text[open] == 40 else { i = max(open, i + 1); continue }
            let call = splitArguments(text, from: open + 1)
            i = call.end
            guard let first = call.spans.first, let name = stringLiteral(text, first) else { continue }
            found.append((kind, name, call.spans))
        }
        return found
    }

    /// The Lua literal that declares `value` as the default of `p`.
    package static func literal(for p: ParameterInfo, value: Double) -> String {
        switch p.kind {
        case .choice:
            let i = Int(value)
            guard p.choices.indices.contains(i) else { return p.valueText }
            switch p.choices[i] {
            case .number: return p.choices[i].text
            case .text(let s): return quoted(s)
            }
        default:
            return p.text(for: value)
        }
    }

    /// A Lua string literal for `s`.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 32 { out += "\\\(scalar.value)" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// The text of each top-level argument of a call whose `(` is just before `start` (trimmed
    /// of blank space and comments), and the index past its `)`.
    private static func splitArguments(_ text: LuaText, from start: Int) -> (spans: [Range<Int>], end: Int) {
        var spans: [Range<Int>] = []
        var depth = 0
        var argumentStart = start
        var lastSignificant = start
        var j = start
        func close(_ end: Int) {
            let s = text.skipTrivia(from: argumentStart)
            if s < end { spans.append(s..<max(s, lastSignificant)) }
        }
        while j < text.count {
            if let skipped = text.skipStringOrComment(at: j) {
                if skipped.isString { lastSignificant = skipped.end }
                j = skipped.end
                continue
            }
            let c = text[j]
            if c == 40 || c == 123 || c == 91 { depth += 1 }
            if c == 41 || c == 125 || c == 93 {
                if depth == 0 {
                    close(j)
                    return (spans, j + 1)
                }
                depth -= 1
            }
            if c == 44, depth == 0 {
                close(j)
                argumentStart = j + 1
                lastSignificant = j + 1
                j += 1
                continue
            }
            if !LuaText.isSpace(c) { lastSignificant = j + 1 }
            j += 1
        }
        return (spans, j)
    }

    /// The value of a plain quoted string literal without escapes.
    private static func stringLiteral(_ text: LuaText, _ span: Range<Int>) -> String? {
        guard span.count >= 2 else { return nil }
        let q = text[span.lowerBound]
        guard (q == 34 || q == 39), text[span.upperBound - 1] == q else { return nil }
        let inner = text.text((span.lowerBound + 1)..<(span.upperBound - 1))
        return inner.contains("\\") ? nil : inner
    }
}
