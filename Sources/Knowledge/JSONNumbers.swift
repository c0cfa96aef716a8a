import Foundation

/// `{"name": number}` objects as stored in `params` and `metrics`: sorted keys, finite values
/// only, numbers printed so they read back bit for bit. Hand-written because JSONEncoder is
/// the slowest part of recording 100,000 trials.
enum JSONNumbers {
    static func encode(_ values: [String: Double]) -> String {
        var out = "{"
        var first = true
        for key in values.keys.sorted() {
            guard let value = values[key], value.isFinite else { continue }
            if !first { out += "," }
            first = false
            out += "\"" + escape(key) + "\":" + format(value)
        }
        return out + "}"
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func decode(_ text: String?) -> [String: Double] {
        guard let text, let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var values: [String: Double] = [:]
        for (key, value) in object {
            if let number = value as? NSNumber { values[key] = number.doubleValue }
        }
        return values
    }

    private static func escape(_ key: String) -> String {
        if !key.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return key }
        var out = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
