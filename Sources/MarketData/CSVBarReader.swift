import Foundation

/// Reads kline CSV files: a user's own (`--data path.csv`, header required) and the store's
/// monthly files (Binance archive shapes: with or without a header row, 6 or 12 columns).
///
/// Every problem is reported as `file:line: what is wrong`: a bad number, a missing column, a row
/// of the wrong width, or open times that are not strictly increasing.
package enum CSVBarReader {
    /// Columns of the Binance kline archive, in order; used when a file has no header row.
    static let archiveColumns = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
                                 "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore"]
    static let required = ["open_time", "open", "high", "low", "close", "volume"]
    /// Archive columns with no use in a script.
    static let dropped: Set<String> = ["close_time", "ignore", "taker_buy_quote_volume"]
    /// Archive names → the names scripts see (`d.trades`).
    static let renamed = ["count": "trades"]

    /// Parses one CSV file.
    /// - Parameters:
    ///   - headerRequired: true for user files (`--data`), whose header names the columns.
    /// - Throws: ``DataError`` naming the file and line.
    package static func read(path: String, symbol: String, interval: String, headerRequired: Bool) throws(DataError) -> Bars {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DataError(file: path, exists ? "cannot read the file" : "no such file")
        }
        var bytes = [UInt8](data)
        bytes.append(0)   // strtod stops at the terminator after the last field
        return try bytes.withUnsafeBufferPointer { (buffer) throws(DataError) -> Bars in
            try parse(buffer, count: buffer.count - 1, path: path, symbol: symbol, interval: interval, headerRequired: headerRequired)
        }
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>, count: Int, path: String, symbol: String, interval: String,
                              headerRequired: Bool) throws(DataError) -> Bars {
        var position = 0
        var lineNumber = 0
        // Header: a first field that is not a number.
        var names: [String]
        let firstLineEnd = lineEnd(text, from: 0, count: count)
        let firstLine = String(decoding: UnsafeBufferPointer(rebasing: text[0..<firstLineEnd]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let hasHeader = firstLine.first.map { !($0.isNumber || $0 == "-" || $0 == "+" || $0 == ".") } ?? false
        if hasHeader {
            names = firstLine.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            position = min(firstLineEnd + 1, count)
            lineNumber = 1
        } else if headerRequired {
            throw DataError(file: path, line: 1, "missing header row",
                            hint: "the first line must be open_time,open,high,low,close,volume[,...]")
        } else {
            let width = firstLine.split(separator: ",", omittingEmptySubsequences: false).count
            guard width == 6 || width == 12 else {
                throw DataError(file: path, line: 1, "expected 6 or 12 columns in a headerless kline file, got \(width)")
            }
            names = Array(archiveColumns.prefix(width))
        }
        if names == ["funding_time", "funding_rate", "mark_price"] || names.first == "calc_time" {
            throw DataError(file: path, line: 1, "this is a funding file, not klines")
        }
        for (i, name) in required.enumerated() {
            guard i < names.count, names[i] == name else {
                let found = i < names.count ? "'\(names[i])'" : "nothing"
                throw DataError(file: path, line: 1, "column \(i + 1) must be '\(name)', found \(found)",
                                hint: "the header must start open_time,open,high,low,close,volume")
            }
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw DataError(file: path, line: 1, "column '\(name)' appears twice")
        }
        let width = names.count
        var columns = [[Double]](repeating: [], count: width)
        let estimate = count / max(width * 8, 1)
        for c in 0..<width { columns[c].reserveCapacity(estimate) }

        while position < count {
            lineNumber += 1
            let end = lineEnd(text, from: position, count: count)
            // Skip blank lines (a trailing newline, a Windows \r).
            var probe = position
            while probe < end, text[probe] == 32 || text[probe] == 13 || text[probe] == 9 { probe += 1 }
            if probe == end { position = end + 1; continue }
            var field = 0
            var start = position
            while true {
                var stop = start
                while stop < end, text[stop] != 44 { stop += 1 }
                guard field < width else {
                    throw DataError(file: path, line: lineNumber, "\(countFields(text, position, end)) fields, the header has \(width)")
                }
                var fieldEnd = stop
                while fieldEnd > start, text[fieldEnd - 1] == 13 || text[fieldEnd - 1] == 32 { fieldEnd -= 1 }
                let value = try number(text, start, fieldEnd, path: path, line: lineNumber, column: names[field],
                                       optional: field >= required.count)
                columns[field].append(value)
                field += 1
                if stop >= end { break }
                start = stop + 1
            }
            guard field == width else {
                throw DataError(file: path, line: lineNumber, "\(field) fields, the header has \(width)")
            }
            position = end + 1
        }

        var bars = Bars(symbol: symbol, interval: interval)
        var times = columns[0]
        // Archive files from 2025 on may carry microsecond times; the store works in ms.
        if let first = times.first, first > 1e14 { for i in times.indices { times[i] = (times[i] / 1000).rounded(.down) } }
        let firstDataLine = hasHeader ? 2 : 1
        for i in times.indices {
            guard times[i] == times[i].rounded() else {
                throw DataError(file: path, line: firstDataLine + i, "open_time must be an integer (ms since 1970 UTC), got \(times[i])")
            }
            if i > 0, times[i] <= times[i - 1] {
                throw DataError(file: path, line: firstDataLine + i,
                                times[i] == times[i - 1] ? "duplicate open_time \(Int(times[i]))"
                                    : "open_time \(Int(times[i])) is before the previous row's \(Int(times[i - 1])) (rows must be sorted)")
            }
        }
        bars.time = times
        bars.open = columns[1]; bars.high = columns[2]; bars.low = columns[3]; bars.close = columns[4]; bars.volume = columns[5]
        for c in required.count..<width where !dropped.contains(names[c]) {
            let name = renamed[names[c]] ?? names[c]
            guard name.first.map({ $0.isLetter || $0 == "_" }) == true,
                  name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            bars.extra.append((name, columns[c]))
        }
        return bars
    }

    @inline(__always)
    private static func lineEnd(_ text: UnsafeBufferPointer<UInt8>, from: Int, count: Int) -> Int {
        var i = from
        while i < count, text[i] != 10 { i += 1 }
        return i
    }

    private static func countFields(_ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ end: Int) -> Int {
        var n = 1
        for i in from..<end where text[i] == 44 { n += 1 }
        return n
    }

    /// A plain decimal number (as Binance and pandas write them). Empty is NaN only in optional columns.
    @inline(__always)
    private static func number(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, path: String, line: Int,
                               column: String, optional: Bool) throws(DataError) -> Double {
        if start == end {
            if optional { return .nan }
            throw DataError(file: path, line: line, "empty \(column)")
        }
        let c = text[start]
        let startsLikeNumber = (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46
        var value = Double.nan
        var stop = start
        if startsLikeNumber {
            let base = text.baseAddress! + start
            var endPointer: UnsafeMutablePointer<CChar>? = nil
            value = base.withMemoryRebound(to: CChar.self, capacity: end - start + 1) { strtod($0, &endPointer) }
            if let endPointer {
                stop = start + UnsafeRawPointer(base).distance(to: UnsafeRawPointer(endPointer))
            }
        }
        guard startsLikeNumber, stop == end, value.isFinite else {
            let raw = String(decoding: UnsafeBufferPointer(rebasing: text[start..<end]), as: UTF8.self)
            throw DataError(file: path, line: line, "\(column) is not a number: '\(raw.prefix(40))'")
        }
        return value
    }
}
