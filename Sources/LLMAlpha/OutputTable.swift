import Foundation
public import Scripting

/// Writes `output{}` columns as CSV: `open_time` first, then the columns in the order given; NaN as
/// an empty field; numbers in their shortest round-trip form; masks as 1/0.
public enum OutputTable {
    public static func csv(time: [Double], columns: [OutputColumn]) -> String {
        var text = "open_time"
        for column in columns { text += "," + column.name }
        text += "\n"
        text.reserveCapacity(time.count * (12 + columns.count * 12))
        for i in time.indices {
            text += shortest(time[i])
            for column in columns {
                text += ","
                text += shortest(column.values[i])
            }
            text += "\n"
        }
        return text
    }

    /// The shortest text that reads back as the same Double ("0.1", "42", "1e-05"); "" for NaN.
    public static func shortest(_ x: Double) -> String {
        if x.isNaN { return "" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// Writes atomically: a reader never sees half a file, and a failure leaves the old file intact.
    public static func write(_ text: String, to path: String) throws(OutputFileError) {
        let url = URL(fileURLWithPath: path)
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw OutputFileError(path: path, message: "cannot write: \((error as NSError).localizedDescription)")
        }
    }
}

/// An output file that cannot be written; exit status 1.
public struct OutputFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
