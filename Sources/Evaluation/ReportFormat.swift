import Foundation

/// How reports write numbers: the same in the CLI's tables, the HTML reports and validation's
/// sentences. Not-a-number is "—" and infinities "∞", never "nan" or "inf".
package enum ReportFormat {
    /// 46899 → "46,899".
    package static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }

    /// A count and its noun: (1, "iteration") → "1 iteration", (3, "hypothesis", "hypotheses") →
    /// "3 hypotheses".
    package static func count(_ n: Int, _ noun: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? noun : plural ?? noun + "s")"
    }

    /// Seconds as people read them: "0.4 s", "12 s", "3.5 min".
    package static func duration(_ seconds: Double) -> String {
        if seconds >= 90 { return String(format: "%.1f min", seconds / 60) }
        return seconds < 9.95 ? String(format: "%.1f s", seconds) : String(format: "%.0f s", seconds)
    }

    /// `digits` decimals with trailing zeros dropped: 0.300 → "0.3", 2.0 → "2".
    package static func plain(_ x: Double, _ digits: Int = 2) -> String {
        guard x.isFinite else { return nonFinite(x) }
        var text = String(format: "%.\(digits)f", x)
        if digits > 0, text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// Exactly `digits` decimals.
    package static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return nonFinite(x) }
        return String(format: "%.\(digits)f", x)
    }

    /// With a sign: "+0.0072".
    package static func signed(_ x: Double, _ digits: Int = 2) -> String {
        guard x.isFinite else { return nonFinite(x) }
        return String(format: "%+.\(digits)f", x)
    }

    /// A fraction as a percentage: 0.4 → "40.0%".
    package static func percent(_ x: Double, _ digits: Int = 1) -> String {
        guard x.isFinite else { return nonFinite(x) }
        return String(format: "%.\(digits)f%%", x * 100)
    }

    private static func nonFinite(_ x: Double) -> String { x.isNaN ? "—" : (x > 0 ? "∞" : "−∞") }
}
