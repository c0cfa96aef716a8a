/// A script's source as bytes, with just enough of Lua's lexical rules to walk it without being
/// fooled by strings and comments: what reading `output{...}` keys and rewriting `param.*`
/// defaults need, where running the script would not do.
struct LuaText {
    let bytes: [UInt8]

    init(_ source: String) { bytes = Array(source.utf8) }

    var count: Int { bytes.count }
    subscript(i: Int) -> UInt8 { bytes[i] }

    static func isIdentifier(_ c: UInt8) -> Bool { c == 95 || (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 122) }
    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }

    /// When a comment or a string starts at `i`: the index just past it, and whether it was a
    /// string (a value) rather than a comment (blank space). Long brackets of any level
    /// (`[==[ ... ]==]`) and escapes in quoted strings are honoured.
    func skipStringOrComment(at i: Int) -> (end: Int, isString: Bool)? {
        guard i < count else { return nil }
        let c = bytes[i]
        if c == 45, i + 1 < count, bytes[i + 1] == 45 {   // -- comment, short or long
            if let end = skipLongBracket(at: i + 2) { return (end, false) }
            var j = i + 2
            while j < count, bytes[j] != 10 { j += 1 }
            return (j, false)
        }
        if c == 34 || c == 39 {   // "..." or '...'
            var j = i + 1
            while j < count, bytes[j] != c, bytes[j] != 10 {
                if bytes[j] == 92 { j += 1 }
                j += 1
            }
            return (min(j + 1, count), true)
        }
        if let end = skipLongBracket(at: i) { return (end, true) }
        return nil
    }

    /// `[[`, `[=[`, ... at `i`: the index past its closing bracket (the end of the text when unclosed).
    private func skipLongBracket(at i: Int) -> Int? {
        guard i < count, bytes[i] == 91 else { return nil }
        var j = i + 1
        var level = 0
        while j < count, bytes[j] == 61 { level += 1; j += 1 }
        guard j < count, bytes[j] == 91 else { return nil }
        j += 1
        while j < count {
            if bytes[j] == 93 {
                var k = j + 1
                var closing = 0
                while k < count, bytes[k] == 61 { closing += 1; k += 1 }
                if closing == level, k < count, bytes[k] == 93 { return k + 1 }
            }
            j += 1
        }
        return count
    }

    /// Skips blank space and comments from `i`.
    func skipTrivia(from i: Int) -> Int {
        var j = i
        while j < count {
            if Self.isSpace(bytes[j]) { j += 1; continue }
            if let skipped = skipStringOrComment(at: j), !skipped.isString { j = skipped.end; continue }
            break
        }
        return j
    }

    /// True when the identifier `word` stands alone at `i` (not part of a longer name, not a field `x.word`
    /// unless `allowField`).
    func isWord(_ word: [UInt8], at i: Int) -> Bool {
        guard i + word.count <= count, Array(bytes[i..<(i + word.count)]) == word else { return false }
        if i > 0, Self.isIdentifier(bytes[i - 1]) { return false }
        return i + word.count == count || !Self.isIdentifier(bytes[i + word.count])
    }

    func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
}
