import Foundation

/// Dates for `--from` / `--to`: `2024-01-31`, `2024-01-31T12:00`, `2024-01-31T12:00:00Z` (UTC) or
/// milliseconds since 1970. A bare date used as an upper bound covers that whole day.
public enum TimeBound {
    /// - Returns: milliseconds since 1970 UTC.
    /// - Throws: ``DataError`` with the accepted forms.
    public static func parse(_ text: String, endOfDay: Bool) throws(DataError) -> Double {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let ms = Int64(s), s.count >= 10 { return Double(ms) }
        var t = s.hasSuffix("Z") ? String(s.dropLast()) : s
        t = t.replacingOccurrences(of: " ", with: "T")
        let parts = t.split(separator: "T", maxSplits: 1)
        let dateParts = parts.first.map { $0.split(separator: "-").map { Int($0) } } ?? []
        guard dateParts.count == 3, let y = dateParts[0], let m = dateParts[1], let d = dateParts[2],
              (1970...9999).contains(y), (1...12).contains(m), (1...31).contains(d) else {
            throw DataError("bad date '\(text)'", hint: "use YYYY-MM-DD, YYYY-MM-DDTHH:MM or milliseconds since 1970")
        }
        var hour = 0, minute = 0, second = 0
        if parts.count == 2 {
            let clock = parts[1].split(separator: ":").map { Int($0) }
            guard (2...3).contains(clock.count), let h = clock[0], let mi = clock[1], (0...23).contains(h), (0...59).contains(mi) else {
                throw DataError("bad time in '\(text)'", hint: "use YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (UTC)")
            }
            hour = h; minute = mi
            if clock.count == 3 { guard let sec = clock[2], (0...59).contains(sec) else { throw DataError("bad seconds in '\(text)'") }; second = sec }
        }
        var components = DateComponents()
        components.year = y; components.month = m; components.day = d
        components.hour = hour; components.minute = minute; components.second = second
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == d else {
            throw DataError("no such date '\(text)'")
        }
        var ms = date.timeIntervalSince1970 * 1000
        if endOfDay && parts.count == 1 { ms += 86_400_000 - 1 }
        return ms.rounded()
    }

    /// `2024-01-31 12:00` in UTC, for reports.
    public static func format(_ ms: Double) -> String {
        let date = Date(timeIntervalSince1970: ms / 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }
}
