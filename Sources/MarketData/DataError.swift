/// Market data that cannot be used: what is wrong and where (`file:line: message`).
public struct DataError: Error, Sendable, CustomStringConvertible {
    public let file: String?
    public let line: Int?
    public let message: String
    public let hint: String?
    /// Set when the store simply has no bars for this symbol and interval (a download can fix it).
    public let missing: (symbol: String, interval: String)?

    public init(file: String? = nil, line: Int? = nil, _ message: String, hint: String? = nil,
                missing: (symbol: String, interval: String)? = nil) {
        self.file = file
        self.line = line
        self.message = message
        self.hint = hint
        self.missing = missing
    }

    public var description: String {
        var place = file ?? ""
        if let line { place += ":\(line)" }
        var text = place.isEmpty ? message : "\(place): \(message)"
        if let hint { text += " (hint: \(hint))" }
        return text
    }
}
