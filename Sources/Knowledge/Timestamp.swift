import Foundation

/// Timestamps as stored: ISO 8601 UTC with milliseconds, which sort as text.
enum Timestamp {
    static func iso(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Hand-formatted: String(format:) is a measurable part of recording a trial.
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2) + "T"
            + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + "."
            + digits(Int32(millis), 3) + "Z"
    }

    /// `20261201T224500Z`, for file names.
    static func compact(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// Reads back ``iso(_:)``.
    static func parse(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "-T:.Z".contains($0) }).compactMap { Int($0) }
        guard parts.count >= 6 else { return nil }
        var t = tm()
        t.tm_year = Int32(parts[0] - 1900); t.tm_mon = Int32(parts[1] - 1); t.tm_mday = Int32(parts[2])
        t.tm_hour = Int32(parts[3]); t.tm_min = Int32(parts[4]); t.tm_sec = Int32(parts[5])
        let seconds = timegm(&t)
        return Date(timeIntervalSince1970: Double(seconds) + Double(parts.count > 6 ? parts[6] : 0) / 1000)
    }
}
