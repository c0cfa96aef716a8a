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
