import Foundation
import ZIPFoundation

/// One kline in the archive's 12-column shape; fields kept as the exchange wrote them.
struct KlineRow: Sendable {
    var openTime: Int64
    var closeTime: Int64
    var fields: [String]
}

/// One funding settlement.
struct FundingRow: Sendable {
    var time: Int64
    var intervalHours: Int
    var rate: String
}

/// One 5-minute row of the `metrics` archive: the 8 columns of ``ArchiveRows/metricsHeader``,
/// `create_time` written `YYYY-MM-DD HH:MM:SS` (UTC); the ratio columns are empty for REST rows.
struct MetricsRow: Sendable {
    var time: Int64
    var fields: [String]
}

/// Parsing and checking what the archive and REST return, and writing the store's CSV shapes.
enum ArchiveRows {
    static let klineHeader = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"
    static let fundingHeader = "calc_time,funding_interval_hours,last_funding_rate"
    static let metricsHeader = "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
        + "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio"

    /// The single CSV entry of an archive zip, read in memory.
    static func unzipSingleCSV(_ zip: Data, url: String) throws(DownloadError) -> Data {
        do {
            let archive = try Archive(data: zip, accessMode: .read)
            guard let entry = archive.first(where: { $0.type == .file }) else {
                throw DownloadError.badData(url: url, reason: "the zip holds no file")
            }
            var out = Data()
            _ = try archive.extract(entry) { out.append($0) }
            return out
        } catch let error as DownloadError {
            throw error
        } catch {
            throw .badData(url: url, reason: "not a readable zip (\(error))")
        }
    }

    /// `<64 hex>  <name>` → the hex digest.
    static func checksum(_ body: Data, url: String) throws(DownloadError) -> String {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let hex = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map({ $0.lowercased() }),
              hex.count == 64, hex.allSatisfy({ $0.isHexDigit }) else {
            throw .badData(url: url, reason: "not a sha256 CHECKSUM line: '\(text.prefix(80))'")
        }
        return hex
    }

    /// Kline rows of an archive CSV (with or without a header, ms or µs times), checked.
    /// - Returns: the rows sorted by open time without duplicates, and whether the input already was.
    static func klines(csv: Data, source: String) throws(DownloadError) -> (rows: [KlineRow], clean: Bool) {
        let text = String(decoding: csv, as: UTF8.self)
        var rows: [KlineRow] = []
        for (index, line) in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if index == 0, let first = fields.first, Int64(first) == nil { continue }   // header row
            rows.append(try kline(fields, source: "\(source) line \(index + 1)"))
        }
        return normalized(rows)
    }

    /// Kline rows of a `/fapi/v1/klines` body: an array of 12-element arrays, times as numbers,
    /// prices as strings.
    static func klines(json: Data, url: String) throws(DownloadError) -> [KlineRow] {
        guard let array = try? JSONSerialization.jsonObject(with: json) as? [Any] else {
            throw .badData(url: url, reason: "expected a JSON array of klines, got '\(String(decoding: json.prefix(80), as: UTF8.self))'")
        }
        var rows: [KlineRow] = []
        for (i, element) in array.enumerated() {
            guard let items = element as? [Any] else { throw .badData(url: url, reason: "kline \(i) is not an array") }
            rows.append(try kline(items.map(field), source: "\(url) kline \(i)"))
        }
        return rows
    }

    /// Funding rows of a `/fapi/v1/fundingRate` body (`markPrice` may be "", and is not kept).
    static func funding(json: Data, url: String) throws(DownloadError) -> [(time: Int64, rate: String)] {
        guard let array = try? JSONSerialization.jsonObject(with: json) as? [[String: Any]] else {
            throw .badData(url: url, reason: "expected a JSON array of funding records")
        }
        var out: [(time: Int64, rate: String)] = []
        for (i, item) in array.enumerated() {
            guard let time = item["fundingTime"].flatMap({ Int64(field($0)) }), let rate = item["fundingRate"].map(field),
                  Double(rate)?.isFinite == true else {
                throw .badData(url: url, reason: "funding record \(i) lacks a fundingTime or numeric fundingRate")
            }
            out.append((time, rate))
        }
        return out
    }

    /// Funding rows of an archive CSV `calc_time,funding_interval_hours,last_funding_rate`.
    static func funding(csv: Data, source: String) throws(DownloadError) -> [FundingRow] {
        var rows: [FundingRow] = []
        for (index, line) in String(decoding: csv, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map(String.init)
            if fields.isEmpty { continue }
            if index == 0, Int64(fields[0]) == nil { continue }
            guard fields.count >= 3, let time = Int64(fields[0]), let hours = Int(fields[1]), Double(fields[2])?.isFinite == true else {
                throw .badData(url: source, reason: "line \(index + 1): expected calc_time,funding_interval_hours,last_funding_rate")
            }
            rows.append(FundingRow(time: time, intervalHours: hours, rate: fields[2]))
        }
        rows.sort { $0.time < $1.time }
        var unique: [FundingRow] = []
        for row in rows where unique.last?.time != row.time { unique.append(row) }
        return unique
    }

    /// Rows of a daily `metrics` archive CSV (header optional; `create_time` as `YYYY-MM-DD HH:MM:SS`,
    /// a bare date, or ms), checked: a time, and numeric `sum_open_interest` and `sum_open_interest_value`.
    static func metrics(csv: Data, source: String) throws(DownloadError) -> [MetricsRow] {
        var rows: [MetricsRow] = []
        for (index, line) in String(decoding: csv, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            var fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if index == 0, fields.first == "create_time" { continue }
            guard fields.count >= 4, let time = UTCMonth.parseDateTime(fields[0]) else {
                throw .badData(url: source, reason: "line \(index + 1): expected create_time,symbol,sum_open_interest,sum_open_interest_value,..., "
                               + "got '\(trimmed.prefix(80))'")
            }
            guard Double(fields[2])?.isFinite == true, Double(fields[3])?.isFinite == true else {
                throw .badData(url: source, reason: "line \(index + 1): sum_open_interest '\(fields[2])' or sum_open_interest_value '\(fields[3])' is not a number")
            }
            fields[0] = UTCMonth.dateTimeLabel(time)
            fields = Array((fields + Array(repeating: "", count: 8)).prefix(8))
            rows.append(MetricsRow(time: time, fields: fields))
        }
        return rows
    }

    /// Rows of a `/futures/data/openInterestHist` body. `timestamp` may be a number (live API) or a
    /// string (the docs); the open interest figures are strings or numbers.
    static func openInterest(json: Data, url: String) throws(DownloadError) -> [MetricsRow] {
        guard let array = try? JSONSerialization.jsonObject(with: json) as? [[String: Any]] else {
            throw .badData(url: url, reason: "expected a JSON array of open interest records, got '\(String(decoding: json.prefix(80), as: UTF8.self))'")
        }
        var rows: [MetricsRow] = []
        for (i, item) in array.enumerated() {
            guard let time = item["timestamp"].flatMap({ Int64(field($0)) }) else {
                throw .badData(url: url, reason: "open interest record \(i) lacks a numeric timestamp")
            }
            guard let amount = item["sumOpenInterest"].map(field), Double(amount)?.isFinite == true,
                  let value = item["sumOpenInterestValue"].map(field), Double(value)?.isFinite == true else {
                throw .badData(url: url, reason: "open interest record \(i) lacks a numeric sumOpenInterest or sumOpenInterestValue")
            }
            let symbol = item["symbol"].map(field) ?? ""
            rows.append(MetricsRow(time: time, fields: [UTCMonth.dateTimeLabel(time), symbol, amount, value, "", "", "", ""]))
        }
        return rows
    }

    static func metricsCSV(_ rows: [MetricsRow]) -> Data {
        var text = metricsHeader + "\n"
        for row in rows { text += row.fields.joined(separator: ",") + "\n" }
        return Data(text.utf8)
    }

    /// Sorted by `time`, the first of each duplicate (in input order) kept.
    static func sortedUnique<Row>(_ rows: [Row], time: (Row) -> Int64) -> [Row] {
        let sorted = rows.enumerated().sorted { (time($0.element), $0.offset) < (time($1.element), $1.offset) }.map(\.element)
        var unique: [Row] = []
        unique.reserveCapacity(sorted.count)
        for row in sorted where unique.last.map(time) != time(row) { unique.append(row) }
        return unique
    }

    /// Sorted by open time, first of each duplicate kept.
    static func normalized(_ rows: [KlineRow]) -> (rows: [KlineRow], clean: Bool) {
        var clean = true
        for i in rows.indices.dropFirst() where rows[i].openTime <= rows[i - 1].openTime { clean = false; break }
        if clean { return (rows, true) }
        let sorted = rows.enumerated().sorted { ($0.element.openTime, $0.offset) < ($1.element.openTime, $1.offset) }.map(\.element)
        var unique: [KlineRow] = []
        unique.reserveCapacity(sorted.count)
        for row in sorted where unique.last?.openTime != row.openTime { unique.append(row) }
        return (unique, false)
    }

    static func klineCSV(_ rows: [KlineRow]) -> Data {
        var text = klineHeader + "\n"
        for row in rows { text += row.fields.joined(separator: ",") + "\n" }
        return Data(text.utf8)
    }

    static func fundingCSV(_ rows: [FundingRow]) -> Data {
        var text = fundingHeader + "\n"
        for row in rows { text += "\(row.time),\(row.intervalHours),\(row.rate)\n" }
        return Data(text.utf8)
    }

    private static func kline(_ raw: [String], source: String) throws(DownloadError) -> KlineRow {
        guard raw.count == 12 || raw.count == 6 else {
            throw .badData(url: source, reason: "expected 12 kline fields, got \(raw.count)")
        }
        guard var open = Int64(raw[0]) else { throw .badData(url: source, reason: "open_time '\(raw[0])' is not an integer") }
        var fields = raw
        if open > 100_000_000_000_000 {   // µs (spot archive from 2025): the store works in ms
            open /= 1000
            fields[0] = String(open)
            if raw.count == 12, let close = Int64(raw[6]) { fields[6] = String(close / 1000) }
        }
        let prices = (1...5).map { Double(raw[$0]) }
        guard prices.allSatisfy({ $0?.isFinite == true && $0! >= 0 }) else {
            throw .badData(url: source, reason: "open/high/low/close/volume are not all numbers: \(raw[1...5].joined(separator: ","))")
        }
        let o = prices[0]!, h = prices[1]!, l = prices[2]!, c = prices[3]!
        guard l <= h, l <= min(o, c), h >= max(o, c) else {
            throw .badData(url: source, reason: "inconsistent OHLC (low \(l), high \(h), open \(o), close \(c))")
        }
        let close = raw.count == 12 ? (Int64(fields[6]) ?? open) : open
        return KlineRow(openTime: open, closeTime: close, fields: fields)
    }

    /// A JSON value as the text the archive CSV would hold (`1616338800000`, `57212.69`).
    private static func field(_ value: Any) -> String {
        if let s = value as? String { return s }
        if let n = value as? NSNumber {
            let d = n.doubleValue
            if d == d.rounded(), abs(d) < 9e15 { return String(n.int64Value) }
            return "\(d)"
        }
        return "\(value)"
    }
}
