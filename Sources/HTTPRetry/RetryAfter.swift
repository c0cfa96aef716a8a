public import Foundation

/// The wait a server asks for, from `retry-after-ms` (OpenAI's, in milliseconds) or `Retry-After`
/// (seconds, or an HTTP date).
public enum RetryAfter {
    /// - Parameters:
    ///   - header: looks a header up by name, case-insensitively.
    ///   - now: the clock an HTTP date is measured against.
    /// - Returns: seconds to wait, or `nil` when the server named no (readable) wait.
    public static func seconds(_ header: (String) -> String?, now: Date = Date()) -> Double? {
        if let ms = header("retry-after-ms").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), ms.isFinite, ms >= 0 {
            return ms / 1000
        }
        guard let value = header("retry-after")?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds.isFinite, seconds >= 0 { return seconds }
        guard let date = httpDate(value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// RFC 9110's IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`), and the obsolete RFC 850 and
    /// asctime forms a server may still send.
    static func httpDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
