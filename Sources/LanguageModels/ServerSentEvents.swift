/// The server-sent-events format (WHATWG HTML §9.2) as OpenAI and Anthropic stream it: bytes in,
/// whole events out, whatever the chunking. `event:` names an event, `data:` lines join with
/// newlines, a blank line ends the event, `:` lines are comments (OpenRouter's keep-alives), and
/// LF, CRLF and CR all end a line. (mattt/EventSource, on the package mirror, does not build on
/// Linux: it needs `URLSession.bytes`.)
struct ServerSentEvents {
    struct Event: Equatable {
        /// `nil` for the default type, `message`.
        var name: String?
        var data: String
    }

    private var line: [UInt8] = []
    private var afterCR = false
    private var name: String?
    private var data: [String] = []
    private var hasData = false
    private var started = false

    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Event] where Bytes.Element == UInt8 {
        var events: [Event] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A, 0x0D:
                afterCR = byte == 0x0D
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// The stream ended: an event without its closing blank line is dispatched anyway (a
    /// tolerant reading; the spec would drop it).
    mutating func finish() -> Event? {
        if !line.isEmpty, let event = endLine() { return event }
        return dispatch()
    }

    private mutating func endLine() -> Event? {
        var bytes = line[...]
        line.removeAll(keepingCapacity: true)
        if !started {
            started = true
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.isEmpty { return dispatch() }
        if bytes.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "event": name = String(value)
        case "data": data.append(String(value)); hasData = true
        default: break   // id and retry: a one-shot request does not reconnect
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        defer { name = nil; data.removeAll(); hasData = false }
        guard hasData else { return nil }
        return Event(name: name, data: data.joined(separator: "\n"))
    }
}
