/// A calendar month in UTC, for archive file names (`2024-01`) and their time spans.
struct UTCMonth: Hashable, Comparable, Sendable {
    let year: Int
    let month: Int

    static let dayMilliseconds: Int64 = 86_400_000

    /// The month containing `ms` (ms since 1970 UTC).
    init(containing ms: Int64) {
        let days = Int(ms >= 0 ? ms / Self.dayMilliseconds : (ms - Self.dayMilliseconds + 1) / Self.dayMilliseconds)
        let civil = CivilCalendar.civil(fromDays: days)
        year = civil.year
        month = civil.month
    }

    init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    static func < (a: UTCMonth, b: UTCMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }

    var label: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
    var next: UTCMonth { month == 12 ? UTCMonth(year: year + 1, month: 1) : UTCMonth(year: year, month: month + 1) }
    var previous: UTCMonth { month == 1 ? UTCMonth(year: year - 1, month: 12) : UTCMonth(year: year, month: month - 1) }
    /// First millisecond of the month.
    var start: Int64 { Int64(CivilCalendar.days(year: year, month: month, day: 1)) * Self.dayMilliseconds }
    /// First millisecond of the next month.
    var end: Int64 { next.start }

    /// `2024-01-31` for the day containing `ms`.
    static func dayLabel(_ ms: Int64) -> String {
        let c = CivilCalendar.civil(fromDays: Int(ms / dayMilliseconds))
        return "\(c.year)-\(c.month < 10 ? "0" : "")\(c.month)-\(c.day < 10 ? "0" : "")\(c.day)"
    }

    /// `2024-01-31 12:05:00` for `ms` (UTC): the archive's `create_time`.
    static func dateTimeLabel(_ ms: Int64) -> String {
        let dayStart = (ms >= 0 ? ms / dayMilliseconds : (ms - dayMilliseconds + 1) / dayMilliseconds) * dayMilliseconds
        let seconds = Int((ms - dayStart) / 1000)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(dayLabel(dayStart)) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }

    /// ms since 1970 of `2024-01-31 12:05:00`, `2024-01-31T12:05:00`, `2024-01-31` (UTC) or a
    /// number of ms (13 digits or more); nil for anything else.
    static func parseDateTime(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.count >= 12, let ms = Int64(s) { return ms }
        let halves = s.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard (1...2).contains(halves.count) else { return nil }
        let date = halves[0].split(separator: "-").compactMap { Int($0) }
        guard date.count == 3, (1...12).contains(date[1]), (1...31).contains(date[2]) else { return nil }
        var seconds = 0
        if halves.count == 2 {
            let clock = halves[1].split(separator: ":").compactMap { Int($0) }
            guard (2...3).contains(clock.count), (0...23).contains(clock[0]), (0...59).contains(clock[1]),
                  clock.count == 2 || (0...59).contains(clock[2]) else { return nil }
            seconds = clock[0] * 3600 + clock[1] * 60 + (clock.count == 3 ? clock[2] : 0)
        }
        return Int64(CivilCalendar.days(year: date[0], month: date[1], day: date[2])) * dayMilliseconds + Int64(seconds) * 1000
    }
}

/// Day counts since 1970-01-01 to and from proleptic Gregorian dates, without Foundation's
/// calendar (for file names, archive paths and report axes).
package enum CivilCalendar {
    /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
    package static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
    package static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
