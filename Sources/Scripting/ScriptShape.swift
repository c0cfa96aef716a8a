/// What a hypothesis script looks like without running it: the layer functions it defines at
/// top level, where its `param.*` declarations sit, and a fingerprint of its factor's structure.
/// The research agent's static checks and its duplicate test read it; a script that cannot be
/// walked (unbalanced blocks) still gets a shape, and the sandbox run says what is wrong.
package struct ScriptShape: Sendable, Equatable {
    /// Functions defined at top level (`function factor(d)`, `factor = function(d)`,
    /// `function M.f(d)` as `M.f`).
    package let functions: Set<String>
    /// Globals assigned at top level (`factor = make(24)`): a layer may be defined that way.
    package let assigned: Set<String>
    /// Every `function`, `if`, `do` and `repeat` is closed: the walk can be trusted (else the
    /// sandbox's parser says what is wrong).
    package let balanced: Bool
    /// Names of `param.*` declarations made inside a function body (a contract error).
    package let nestedParameters: [String]
    /// A 128-bit hash (hex) of the factor body's tokens with numbers and parameter names
    /// blanked: two scripts share it when their factors are the same expression up to parameter
    /// values. The signal body stands in for a script without a factor; nil without either.
    package let fingerprint: String?

    package init(_ source: String) {
        let tokens = Self.tokens(source)
        var functions: Set<String> = []
        var assigned: Set<String> = []
        var nested: [String] = []
        var parameterNames: Set<String> = []
        var bodies: [String: Range<Int>] = [:]
        var depth = 0
        var open: [(name: String?, depth: Int, start: Int)] = []
        var i = 0
        while i < tokens.count {
            let t = tokens[i]
            switch t {
            case "function":
                var name: String? = nil
                if depth == 0, i + 1 < tokens.count, Self.isName(tokens[i + 1]) {
                    // `function M.f(d)` and `function M:f(d)` are named M.f.
                    var parts = [tokens[i + 1]]
                    var j = i + 2
                    while j + 1 < tokens.count, tokens[j] == "." || tokens[j] == ":", Self.isName(tokens[j + 1]) {
                        parts.append(tokens[j + 1])
                        j += 2
                    }
                    name = parts.joined(separator: ".")
                }
                if depth == 0, i >= 2, tokens[i - 1] == "=", Self.isName(tokens[i - 2]) { name = tokens[i - 2] }
                if let name { functions.insert(name) }
                open.append((name, depth, i))
                depth += 1
            case "if", "do", "repeat":
                depth += 1
            case "while", "for":
                break   // their `do` opens the block
            case "local" where depth == 0:
                // `local base = factor`: an alias of a function defined so far (a refinement's
                // wrapper calls the factor it replaced through one).
                if i + 4 < tokens.count, Self.isName(tokens[i + 1]), tokens[i + 2] == "=", let body = bodies[tokens[i + 3]],
                   !["(", ".", ":", "["].contains(tokens[i + 4]) {
                    bodies[tokens[i + 1]] = body
                }
            case "=" where depth == 0 && i >= 1 && i + 1 < tokens.count:
                // Globals assigned at top level: `factor = make(24)`, `factor, signal = f, s`,
                // `_G["factor"] = f`; a single `base = factor` is an alias as a `local` one is.
                var targets: [String] = []
                var j = i - 1
                while j >= 0 {
                    if Self.isName(tokens[j]), j == 0 || ![".", ":", "local"].contains(tokens[j - 1]) {
                        targets.append(tokens[j])
                    } else if j >= 3, tokens[j] == "]", tokens[j - 1].hasPrefix("\""), tokens[j - 2] == "[", tokens[j - 3] == "_G" {
                        targets.append(String(tokens[j - 1].dropFirst().dropLast()))
                        j -= 3
                    } else {
                        break
                    }
                    guard j >= 1, tokens[j - 1] == "," else { break }
                    j -= 2
                }
                if j >= 1, tokens[j - 1] == "local" { targets = [] }
                assigned.formUnion(targets)
                if targets.count == 1, let body = bodies[tokens[i + 1]], i + 2 >= tokens.count || !["(", ".", ":", "[", ","].contains(tokens[i + 2]) {
                    bodies[targets[0]] = body
                }
            case "end", "until":
                depth = max(0, depth - 1)
                if let last = open.last, last.depth == depth {
                    open.removeLast()
                    if let name = last.name { bodies[name] = last.start..<(i + 1) }
                }
            case "param":
                if i + 2 < tokens.count, tokens[i + 1] == ".", i + 4 < tokens.count {
                    // param.int("name", ...): the name is the string after "(".
                    let name = tokens[i + 4].hasPrefix("\"") ? String(tokens[i + 4].dropFirst().dropLast()) : tokens[i + 4]
                    // Inside a function is a contract error; inside a top-level `if` is not.
                    if !open.isEmpty { nested.append(name) }
                    if open.isEmpty, i >= 2, tokens[i - 1] == "=", Self.isName(tokens[i - 2]) { parameterNames.insert(tokens[i - 2]) }
                }
            default:
                break
            }
            i += 1
        }
        functions = functions.filter { !$0.isEmpty }
        self.functions = functions
        self.assigned = assigned
        balanced = depth == 0 && open.isEmpty
        nestedParameters = nested
        // A factor assigned but not walkable (`factor = make(24)`) has no fingerprint: the
        // signal's would call different factors the same.
        let walkable = bodies["factor"] ?? (functions.contains("factor") || assigned.contains("factor") ? nil : bodies["signal"])
        if let body = walkable {
            // The body with every call of a function the script defines replaced by that
            // function's own body: helpers' names do not count, what they compute does.
            func expanded(_ range: Range<Int>, _ level: Int) -> [String] {
                var out: [String] = []
                var k = range.lowerBound
                while k < range.upperBound {
                    let token = tokens[k]
                    // A call `name(` or `M.name(` of a function the script defines.
                    var callee = token
                    var next = k + 1
                    while next + 1 < range.upperBound, tokens[next] == "." || tokens[next] == ":", Self.isName(tokens[next + 1]) {
                        callee += "." + tokens[next + 1]
                        next += 2
                    }
                    // Not a field of something else (`lib.c(` is not the script's `c`).
                    if level < 4, next < range.upperBound, tokens[next] == "(", let inner = bodies[callee], inner != range,
                       k == range.lowerBound || !["function", ".", ":"].contains(tokens[k - 1]) {
                        out.append("{")
                        // Without `function name`, however long the name.
                        out += expanded(inner, level + 1).drop { $0 != "(" }
                        out.append("}")
                        k = next
                        continue
                    } else if parameterNames.contains(token) {
                        // A parameter and a literal in its place are the same expression up to values.
                        out.append("#")
                    } else if let first = token.first, first.isNumber || (first == "." && token.count > 1) {
                        out.append("#")
                    } else {
                        out.append(token)
                    }
                    k += 1
                }
                return out
            }
            fingerprint = Self.hash(expanded(body, 0).drop { $0 != "(" }.joined(separator: " "))
        } else {
            fingerprint = nil
        }
    }

    /// Lua tokens without comments and blank space; strings kept whole with their quotes.
    static func tokens(_ source: String) -> [String] {
        let text = LuaText(source)
        var out: [String] = []
        var i = 0
        while i < text.count {
            let c = text[i]
            if LuaText.isSpace(c) { i += 1; continue }
            if let skipped = text.skipStringOrComment(at: i) {
                if skipped.isString { out.append("\"" + text.text(i..<skipped.end).trimmingQuotes() + "\"") }
                i = skipped.end
                continue
            }
            if LuaText.isIdentifier(c) {
                var j = i + 1
                // Numbers: digits, a fraction, an exponent with its sign, hex.
                let number = c >= 48 && c <= 57
                while j < text.count, LuaText.isIdentifier(text[j]) || (number && (text[j] == 46
                        || ((text[j] == 43 || text[j] == 45) && (text[j - 1] | 0x20) == 101))) { j += 1 }
                out.append(text.text(i..<j))
                i = j
                continue
            }
            if c == 46, i + 1 < text.count, text[i + 1] >= 48, text[i + 1] <= 57 {   // .5
                var j = i + 1
                while j < text.count, LuaText.isIdentifier(text[j]) || text[j] == 46 { j += 1 }
                out.append(text.text(i..<j))
                i = j
                continue
            }
            // Operators: the two- and three-character ones Lua has, else one character.
            for width in [3, 2, 1] where i + width <= text.count {
                let op = text.text(i..<(i + width))
                if width == 1 || ["...", "..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>"].contains(op) {
                    out.append(op)
                    i += width
                    break
                }
            }
        }
        return out
    }

    /// Two FNV-1a 64-bit hashes with different offsets: stable across runs and platforms, which
    /// Swift's `Hasher` is not.
    package static func hash(_ text: String) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in text.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte ^ 0x5a)) &* 0x0000_0100_0000_01b3
        }
        let hex = { (x: UInt64) in String(repeating: "0", count: 16 - String(x, radix: 16).count) + String(x, radix: 16) }
        return hex(a) + hex(b)
    }

    private static func isName(_ token: String) -> Bool {
        guard let first = token.first, first == "_" || first.isLetter else { return false }
        return !["and", "or", "not", "nil", "true", "false", "function", "local", "return", "end", "if", "then", "else"].contains(token)
    }
}

private extension String {
    /// The inside of a quoted or long-bracket string literal.
    func trimmingQuotes() -> String {
        if hasPrefix("\"") || hasPrefix("'") { return String(dropFirst().dropLast()) }
        guard let open = firstIndex(of: "["), let inner = self[index(after: open)...].firstIndex(of: "[") else { return self }
        let body = self[index(after: inner)...]
        return String(body.prefix(max(0, body.count - (distance(from: startIndex, to: inner) + 1))))
    }
}
