import Foundation

/// The Lua in a model's reply, found tolerantly: fenced or not, prose around it, several blocks,
/// a `<think>` block first, a fence left open by a reply cut at its token limit.
enum ReplyCode: Equatable {
    case lua(String)
    /// Code, but not Lua (the language as the fence or the code says).
    case otherLanguage(String)
    /// No code at all.
    case none

    static func extract(_ reply: String) -> ReplyCode {
        var text = reply
        // Reasoning a server left in the answer is not the answer.
        while let open = text.range(of: "<think>") {
            if let close = text.range(of: "</think>", range: open.upperBound..<text.endIndex) {
                text.removeSubrange(open.lowerBound..<close.upperBound)
            } else {
                text.removeSubrange(open.lowerBound...)
            }
        }
        let blocks = fencedBlocks(text)
        if !blocks.isEmpty {
            let lua = blocks.filter { ["lua", "luau", ""].contains($0.language) && looksLikeLua($0.code) }
            // The block holding the contract is the script; helpers in blocks of their own join it.
            if let whole = lua.filter({ isScript($0.code) }).max(by: { $0.code.count < $1.code.count }) {
                let helpers = lua.filter { $0.code != whole.code && !isScript($0.code) }.map(\.code)
                return .lua((helpers + [whole.code]).joined(separator: "\n\n"))
            }
            if !lua.isEmpty { return .lua(lua.map(\.code).joined(separator: "\n\n")) }
            if let other = blocks.first(where: { !$0.language.isEmpty && !["lua", "luau"].contains($0.language) }) ?? blocks.first {
                // A fence may claim Lua for code that is not: the code says what it is.
                let named = ["lua", "luau", ""].contains(other.language) ? guessLanguage(other.code) : other.language
                return named == "prose" ? .none : .otherLanguage(named)
            }
        }
        // No fences: the script starts at its first Lua-looking line.
        let lines = text.components(separatedBy: "\n")
        if isScript(text), let start = lines.firstIndex(where: startsLua) {
            var body = Array(lines[start...])
            // Prose after the script (a paragraph or two) goes; blank lines between them too.
            while let last = body.last, last.trimmingCharacters(in: .whitespaces).isEmpty || !looksLikeLuaLine(last) { body.removeLast() }
            return .lua(body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let language = guessLanguage(text)
        return language == "prose" ? .none : .otherLanguage(language)
    }

    struct Block {
        var language: String
        var code: String
    }

    /// ``` or ~~~ fences with their info strings; an unclosed last fence runs to the end.
    static func fencedBlocks(_ text: String) -> [Block] {
        var blocks: [Block] = []
        var current: (fence: String, language: String, lines: [String])? = nil
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let open = current {
                if trimmed.hasPrefix(open.fence), trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "`~")).isEmpty {
                    blocks.append(Block(language: open.language, code: open.lines.joined(separator: "\n")))
                    current = nil
                } else {
                    current!.lines.append(line)
                }
            } else if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                let fence = String(trimmed.prefix { $0 == "`" || $0 == "~" })
                let info = trimmed.dropFirst(fence.count).trimmingCharacters(in: .whitespaces).lowercased()
                current = (fence, String(info.split(separator: " ").first ?? ""), [])
            }
        }
        if let open = current, !open.lines.isEmpty { blocks.append(Block(language: open.language, code: open.lines.joined(separator: "\n"))) }
        return blocks.map { Block(language: $0.language, code: $0.code.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .filter { !$0.code.isEmpty }
    }

    /// Holds the contract: a `hypothesis{}` or a `factor`/`signal` function.
    static func isScript(_ code: String) -> Bool {
        code.range(of: #"(^|\n)\s*hypothesis\s*[{(]"#, options: .regularExpression) != nil
            || code.range(of: #"function\s+(factor|signal)\s*\("#, options: .regularExpression) != nil
    }

    static func looksLikeLua(_ code: String) -> Bool {
        if guessLanguage(code) != "lua" { return false }
        return true
    }

    private static func startsLua(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return ["--", "hypothesis", "local ", "param.", "function ", "strategy", "output"].contains { t.hasPrefix($0) }
    }

    private static func looksLikeLuaLine(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return startsLua(line) || t == "end" || t.hasPrefix("}") || t.hasPrefix("return") || t.hasSuffix(",") || t.hasSuffix("{")
            || t.hasSuffix(")") || t.hasPrefix("if ") || t.hasPrefix("end")
    }

    /// Lua, or the language it more likely is (`python`, `javascript`), or `prose`.
    static func guessLanguage(_ code: String) -> String {
        func has(_ pattern: String) -> Bool { code.range(of: pattern, options: .regularExpression) != nil }
        if has(#"(^|\n)\s*def \w+\(.*\)\s*:"#) || has(#"(^|\n)\s*(import|from) (numpy|pandas|talib)"#) || has(#"(^|\n)\s*import \w+\s*(\n|$)"#) {
            return "python"
        }
        if has(#"(^|\n)\s*(const|let) \w+\s*="#) || has(#"=>\s*\{"#) { return "javascript" }
        if has(#"\bfunction\b[\s\S]*\bend\b"#) || has(#"(^|\n)\s*local \w+"#) || has(#"(^|\n)\s*hypothesis\s*\{"#) || has(#"(^|\n)\s*--"#) {
            return "lua"
        }
        return "prose"
    }
}
