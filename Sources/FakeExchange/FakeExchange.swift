package import Foundation
import MarketData
import DurableFiles
package import LoopbackHTTP
package import NIOCore
import NIOHTTP1
import NIOPosix
import ZIPFoundation

/// A fake Binance USD-M exchange: a real HTTP/1.1 server on 127.0.0.1 (port 0) serving the archive
/// (monthly and daily kline and mark-price kline zips, funding zips, daily `metrics` zips,
/// `.CHECKSUM`) and REST (`/fapi/v1/time`, `/fapi/v1/klines`, `/fapi/v1/markPriceKlines`,
/// `/fapi/v1/fundingRate`, `/futures/data/openInterestHist`) in the real wire shapes, from the
/// bundled BTCUSDT 1h bars re-timed so that the exchange's "now" is whatever the test sets. Faults
/// are injected per path substring for a number of requests.
///
/// Open interest is a made-up 5-minute series (the sample has none) in the shapes of the fixtures
/// `futures-data-openInterestHist.json` and `um-BTCUSDT-metrics-2023-01-21.csv`; like Binance,
/// `openInterestHist` refuses a `startTime` older than 30 days. Mark prices are the bars' prices
/// plus 0.5 with zero volume, as mark-price klines have.
///
/// ```swift
/// try await FakeExchange.with { exchange in
///     exchange.inject(.status(503), on: "/monthly/klines/", times: 2)
///     ... BinanceDownloader(baseURL: exchange.baseURL, ...)
/// }
/// ```
package final class FakeExchange: Sendable {
    package enum Fault: Sendable, Equatable {
        /// Answer with this status (and `Retry-After` seconds) and a Binance error payload.
        case status(Int, retryAfter: Int? = nil)
        /// Send the head with the full Content-Length, half the body, then close the connection.
        case reset
        /// Serve the body cut in half with a matching Content-Length (a truncated zip).
        case truncate
        /// Serve a `.CHECKSUM` with a wrong digest.
        case wrongChecksum
        /// Wait this long before answering.
        case slow(seconds: Double)
        /// REST pages in reverse order.
        case reversed
        /// REST pages with every row twice.
        case duplicated
        /// An empty REST page (`[]`).
        case empty
        /// `openInterestHist` in the docs' shape: `timestamp` as a string, plus `CMCCirculatingSupply`.
        case stringTimestamp
    }

    package struct Rule: Sendable {
        let pathContains: String
        let fault: Fault
        var remaining: Int
    }

    private struct State {
        var rules: [Rule] = []
        var log: [String] = []
        var zips: [String: Data] = [:]
        var weight = 0
        /// Monthly zips exist for months ending at or before this (ms); default: before now's month.
        var monthlyPublishedBefore: Int64
        /// Daily metrics zips exist for days ending at or before this (ms); default: today's start.
        var metricsPublishedBefore: Int64
    }

    package static let symbol = "BTCUSDT"
    package static let hour: Int64 = 3_600_000
    /// 2025-03-10 05:30:00 UTC.
    package static let defaultNow: Int64 = 1_741_584_600_000
    /// First bar the exchange has: 2024-11-01 00:00 UTC.
    package static let seriesStart: Int64 = 1_730_419_200_000

    package let now: Int64
    /// All bars the exchange has (1h, open time ascending), including the still-open one at `now`.
    package let bars: [(time: Int64, fields: [String])]
    /// Funding settlements every 8 h: (time, rate string, mark price string, "" for some).
    package let funding: [(time: Int64, rate: String, mark: String)]
    /// Mark-price klines, one per bar (1h): the bar's prices plus 0.5, zero volume.
    package let markBars: [(time: Int64, fields: [String])]
    /// Open interest every 5 minutes from `seriesStart` to `now`: (time, contracts, value) as strings.
    package let openInterest: [(time: Int64, amount: String, value: String)]
    package static let fiveMinutes: Int64 = 300_000
    private let state: Locked<State>
    private let server: LoopbackHTTPServer
    package let port: Int

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts a server, runs `body`, and shuts the server down whether `body` returned or threw.
    package static func with<T>(now: Int64 = defaultNow, _ body: (FakeExchange) async throws -> T) async throws -> T {
        let exchange = try await FakeExchange(now: now, dataRoot: bundledData, port: 0)
        do {
            let result = try await body(exchange)
            await exchange.shutdown()
            return result
        } catch {
            await exchange.shutdown()
            throw error
        }
    }

    /// Starts a server that runs until ``shutdown()``: the `llmalpha-fake-exchange` tool.
    /// - Parameters:
    ///   - dataRoot: a store holding BTCUSDT 1h bars (the bundled `data/`), re-timed to end at `now`.
    ///   - port: 0 picks a free one (see ``port``).
    package static func start(now: Int64, dataRoot: String, port: Int) async throws -> FakeExchange {
        try await FakeExchange(now: now, dataRoot: dataRoot, port: port)
    }

    /// The repository's bundled store.
    package static var bundledData: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../data").standardized.path
    }

    private init(now: Int64, dataRoot: String, port: Int) async throws {
        self.now = now
        // Bundled real 1h bars, in order, re-timed onto the exchange's hours.
        let source = try MarketStore(root: dataRoot).klines(symbol: Self.symbol, interval: "1h")
        let count = Int((now - Self.seriesStart) / Self.hour) + 1
        let offset = max(0, source.count - count - 10)
        precondition(source.count >= count, "the bundled sample is too short for the fake exchange")
        bars = (0..<count).map { i in
            let t = Self.seriesStart + Int64(i) * Self.hour
            let j = offset + i
            let (o, h, l, c, v) = (source.open[j], source.high[j], source.low[j], source.close[j], source.volume[j])
            return (t, ["\(t)", "\(o)", "\(h)", "\(l)", "\(c)", "\(v)", "\(t + Self.hour - 1)", String(format: "%.4f", v * c),
                        "\(100 + j % 997)", "\(v / 2)", String(format: "%.4f", v * c / 2), "0"])
        }
        var events: [(time: Int64, rate: String, mark: String)] = []
        var t = Self.seriesStart
        while t <= now {
            let i = events.count
            let rate = String(format: "%.8f", Double((i * 37) % 21 - 5) * 0.00001)
            events.append((t, rate, i % 5 == 0 ? "" : String(format: "%.8f", 60_000 + Double(i))))
            t += 8 * Self.hour
        }
        funding = events
        markBars = bars.map { bar in
            let f = bar.fields
            let p = (1...4).map { String(format: "%.4f", Double(f[$0])! + 0.5) }
            return (bar.time, [f[0], p[0], p[1], p[2], p[3], "0", f[6], "0", "60", "0", "0", "0"])
        }
        var interest: [(time: Int64, amount: String, value: String)] = []
        t = Self.seriesStart
        while t <= now {
            let i = interest.count
            let amount = 80_000 + 5_000 * sin(Double(i) / 300) + Double(i % 17)
            let close = Double(bars[min(bars.count - 1, Int((t - Self.seriesStart) / Self.hour))].fields[4])!
            interest.append((t, String(format: "%.8f", amount), String(format: "%.8f", amount * close)))
            t += Self.fiveMinutes
        }
        openInterest = interest
        state = Locked(State(monthlyPublishedBefore: Self.monthStart(containing: now), metricsPublishedBefore: now / 86_400_000 * 86_400_000))

        let exchange = Locked<FakeExchange?>(nil)
        server = try await LoopbackHTTPServer(port: port) { ExchangeConnection(server: exchange) }
        self.port = server.port
        exchange.withLock { $0 = self }
    }

    package func shutdown() async {
        await server.shutdown()
    }

    // MARK: Control

    /// The next `times` requests whose path (with query) contains `path` get `fault`.
    package func inject(_ fault: Fault, on path: String, times: Int = 1) {
        state.withLock { $0.rules.append(Rule(pathContains: path, fault: fault, remaining: times)) }
    }

    /// Monthly kline and funding zips exist only for months ending at or before `ms`.
    package func publishMonthlyZips(before ms: Int64) { state.withLock { $0.monthlyPublishedBefore = ms } }

    /// Daily metrics zips exist only for days ending at or before `ms`.
    package func publishDailyMetrics(before ms: Int64) { state.withLock { $0.metricsPublishedBefore = ms } }

    /// Every request so far (path and query), in arrival order.
    package var requests: [String] { state.withLock { $0.log } }

    package func clearFaults() { state.withLock { $0.rules.removeAll() } }

    package func clearLog() { state.withLock { $0.log.removeAll() } }

    /// Bars whose open lies in `from..<to` and that are closed at `now`.
    package func closedBars(from: Int64, to: Int64) -> [(time: Int64, fields: [String])] {
        bars.filter { $0.time >= from && $0.time < to && $0.time + Self.hour - 1 < now }
    }

    package static func monthStart(containing ms: Int64) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        let start = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
        return Int64(start.timeIntervalSince1970 * 1000)
    }

    package static func nextMonthStart(after ms: Int64) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = Date(timeIntervalSince1970: Double(monthStart(containing: ms)) / 1000)
        return Int64(calendar.date(byAdding: .month, value: 1, to: start)!.timeIntervalSince1970 * 1000)
    }

    package static func label(_ ms: Int64, day: Bool) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        return day ? String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!) : String(format: "%04d-%02d", c.year!, c.month!)
    }

    // MARK: Serving

    fileprivate struct Reply {
        var status: HTTPResponseStatus = .ok
        var headers: [(String, String)] = []
        var body = Data()
        var fault: Fault?
    }

    fileprivate func respond(to uri: String) -> Reply {
        let fault: Fault? = state.withLock { state in
            state.log.append(uri)
            state.weight += 1
            // A rule naming a `.zip` hits the zip only, not its `.CHECKSUM`.
            guard let i = state.rules.firstIndex(where: { rule in
                uri.contains(rule.pathContains) && rule.remaining > 0 && (!rule.pathContains.hasSuffix(".zip") || uri.hasSuffix(rule.pathContains))
            }) else { return nil }
            state.rules[i].remaining -= 1
            return state.rules[i].fault
        }
        let weight = state.withLock { $0.weight }
        var reply: Reply
        if case .status(let code, let retryAfter) = fault {
            reply = Reply(status: HTTPResponseStatus(statusCode: code))
            reply.body = Data(#"{"code":-1003,"msg":"Fake fault \#(code)."}"#.utf8)
            if let retryAfter { reply.headers.append(("Retry-After", "\(retryAfter)")) }
        } else {
            reply = route(uri, fault: fault)
        }
        reply.fault = fault
        reply.headers.append(("X-MBX-USED-WEIGHT-1M", "\(weight)"))
        return reply
    }

    private func route(_ uri: String, fault: Fault?) -> Reply {
        let parts = uri.split(separator: "?", maxSplits: 1)
        let path = String(parts.first ?? "")
        var query: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { query[String(kv[0])] = String(kv[1]) }
        }
        func json(_ text: String) -> Reply { Reply(headers: [("Content-Type", "application/json")], body: Data(text.utf8)) }
        func notFound() -> Reply { Reply(status: .notFound, body: Data("<Error><Code>NoSuchKey</Code></Error>".utf8)) }

        switch path {
        case "/fapi/v1/time":
            return json(#"{"serverTime":\#(now)}"#)
        case "/fapi/v1/klines", "/fapi/v1/markPriceKlines":
            guard query["symbol"] == Self.symbol, query["interval"] == "1h" else {
                return Reply(status: .badRequest, body: Data(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8))
            }
            let start = query["startTime"].flatMap { Int64($0) } ?? 0
            let end = query["endTime"].flatMap { Int64($0) } ?? Int64.max
            let limit = min(1500, query["limit"].flatMap { Int($0) } ?? 500)
            let series = path == "/fapi/v1/klines" ? bars : markBars
            var rows = Array(series.filter { $0.time >= start && $0.time <= end && $0.time <= now }.prefix(limit))
            rows = shaped(rows, fault)
            let items = rows.map { row in
                let f = row.fields
                return "[\(f[0]),\"\(f[1])\",\"\(f[2])\",\"\(f[3])\",\"\(f[4])\",\"\(f[5])\",\(f[6]),\"\(f[7])\",\(f[8]),\"\(f[9])\",\"\(f[10])\",\"\(f[11])\"]"
            }
            return json("[" + items.joined(separator: ",") + "]")
        case "/fapi/v1/fundingRate":
            let start = query["startTime"].flatMap { Int64($0) } ?? 0
            let end = query["endTime"].flatMap { Int64($0) } ?? Int64.max
            let limit = min(1000, query["limit"].flatMap { Int($0) } ?? 100)
            var rows = Array(funding.filter { $0.time >= start && $0.time <= end && $0.time <= now }.prefix(limit))
            rows = shaped(rows, fault)
            let items = rows.map { #"{"symbol":"BTCUSDT","fundingRate":"\#($0.rate)","fundingTime":\#($0.time),"markPrice":"\#($0.mark)"}"# }
            return json("[" + items.joined(separator: ",") + "]")
        case "/futures/data/openInterestHist":
            guard query["symbol"] == Self.symbol else {
                return Reply(status: .badRequest, body: Data(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8))
            }
            let limit = query["limit"].flatMap { Int($0) } ?? 30
            let start = query["startTime"].flatMap { Int64($0) } ?? 0
            let end = query["endTime"].flatMap { Int64($0) } ?? now
            guard query["period"] == "5m", (1...500).contains(limit), start >= now - 30 * 86_400_000 else {
                return Reply(status: .badRequest, body: Data(#"{"code":-1130,"msg":"Data sent for parameter 'startTime' is not valid."}"#.utf8))
            }
            // The latest `limit` rows of the span: the harder case for a client paging forward.
            var rows = Array(openInterest.filter { $0.time >= start && $0.time <= end && $0.time <= now }.suffix(limit))
            rows = shaped(rows, fault)
            let items = rows.map { row in
                fault == .stringTimestamp
                    ? #"{"symbol":"BTCUSDT","sumOpenInterest":"\#(row.amount)","sumOpenInterestValue":"\#(row.value)","CMCCirculatingSupply":"165880.538","timestamp":"\#(row.time)"}"#
                    : #"{"symbol":"BTCUSDT","sumOpenInterest":"\#(row.amount)","sumOpenInterestValue":"\#(row.value)","timestamp":\#(row.time)}"#
            }
            return json("[" + items.joined(separator: ",") + "]")
        default:
            let isChecksum = path.hasSuffix(".CHECKSUM")
            let zipPath = isChecksum ? String(path.dropLast(".CHECKSUM".count)) : path
            guard let zip = archive(zipPath) else { return notFound() }
            if isChecksum {
                let name = (zipPath as NSString).lastPathComponent
                let digest = fault == .wrongChecksum ? String(repeating: "0", count: 64) : SHA256.hex(zip)
                return Reply(body: Data("\(digest)  \(name)\n".utf8))
            }
            return Reply(headers: [("Content-Type", "application/zip")], body: zip)
        }
    }

    private func shaped<Row>(_ rows: [Row], _ fault: Fault?) -> [Row] {
        switch fault {
        case .reversed?: return rows.reversed()
        case .duplicated?: return rows.flatMap { [$0, $0] }
        case .empty?: return []
        default: return rows
        }
    }

    /// The zip for an archive path, built once and cached (same bytes, same checksum); nil when not published.
    private func archive(_ path: String) -> Data? {
        if let cached = state.withLock({ $0.zips[path] }) { return cached }
        let name = (path as NSString).lastPathComponent
        let stem = String(name.dropLast(4))
        var csv: String
        let feed = path.hasPrefix("/data/futures/um/monthly/klines/") || path.hasPrefix("/data/futures/um/daily/klines/") ? bars : markBars
        if path.hasPrefix("/data/futures/um/monthly/klines/\(Self.symbol)/1h/")
            || path.hasPrefix("/data/futures/um/monthly/markPriceKlines/\(Self.symbol)/1h/") {
            guard let month = monthStart(fromLabel: String(stem.suffix(7))) else { return nil }
            let end = Self.nextMonthStart(after: month)
            guard end <= state.withLock({ $0.monthlyPublishedBefore }), month >= Self.seriesStart else { return nil }
            csv = ArchiveCSV.klines(feed.filter { $0.time >= month && $0.time < end }.map(\.fields), header: true)
        } else if path.hasPrefix("/data/futures/um/daily/klines/\(Self.symbol)/1h/")
            || path.hasPrefix("/data/futures/um/daily/markPriceKlines/\(Self.symbol)/1h/") {
            guard let day = dayStart(fromLabel: String(stem.suffix(10))) else { return nil }
            let today = now / 86_400_000 * 86_400_000
            guard day + 86_400_000 <= today, day >= Self.seriesStart else { return nil }
            // Old-style daily files have no header; the client must accept both.
            csv = ArchiveCSV.klines(feed.filter { $0.time >= day && $0.time < day + 86_400_000 }.map(\.fields), header: false)
        } else if path.hasPrefix("/data/futures/um/daily/metrics/\(Self.symbol)/") {
            guard let day = dayStart(fromLabel: String(stem.suffix(10))) else { return nil }
            guard day + 86_400_000 <= state.withLock({ $0.metricsPublishedBefore }), day >= Self.seriesStart else { return nil }
            csv = ArchiveCSV.metricsHeader + "\n"
            for (i, row) in openInterest.enumerated() where row.time >= day && row.time < day + 86_400_000 {
                // The ratio columns vary a little around the fixture row's values.
                let wobble = Double(i % 11) * 0.001
                csv += "\(Self.dateTime(row.time)),\(Self.symbol),\(row.amount),\(row.value),\(String(format: "%.15f", 0.766568632422291 + wobble)),"
                    + "\(String(format: "%.10f", 1.1363333457 + wobble)),\(String(format: "%.16f", 0.8332767017782309 + wobble)),"
                    + "\(String(format: "%.10f", 0.92530759 + wobble))\n"
            }
        } else if path.hasPrefix("/data/futures/um/monthly/fundingRate/\(Self.symbol)/") {
            guard let month = monthStart(fromLabel: String(stem.suffix(7))) else { return nil }
            let end = Self.nextMonthStart(after: month)
            guard end <= state.withLock({ $0.monthlyPublishedBefore }), month >= Self.seriesStart else { return nil }
            csv = "calc_time,funding_interval_hours,last_funding_rate\n"
            for event in funding where event.time >= month && event.time < end { csv += "\(event.time),8,\(event.rate)\n" }
        } else {
            return nil
        }
        let zip = ArchiveCSV.zip(name: stem + ".csv", contents: Data(csv.utf8))
        state.withLock { $0.zips[path] = zip }
        return zip
    }

    /// `2025-03-09 23:55:00`: the metrics archive's `create_time`.
    package static func dateTime(_ ms: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    private func monthStart(fromLabel label: String) -> Int64? {
        let p = label.split(separator: "-").compactMap { Int($0) }
        guard p.count == 2 else { return nil }
        return Int64(daysFromCivil(p[0], p[1], 1)) * 86_400_000
    }

    private func dayStart(fromLabel label: String) -> Int64? {
        let p = label.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return nil }
        return Int64(daysFromCivil(p[0], p[1], p[2])) * 86_400_000
    }

    private func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        var c = DateComponents()
        c.year = year; c.month = month; c.day = day
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return Int(calendar.date(from: c)!.timeIntervalSince1970 / 86_400)
    }
}

/// Archive CSV text and zips as data.binance.vision publishes them.
/// One connection of the fake exchange: a request in, the exchange's reply (or fault) out, on
/// the event loop.
private final class ExchangeConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: Locked<FakeExchange?>
    private var head: HTTPRequestHead?

    init(server: Locked<FakeExchange?>) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let next): head = next
        case .body: break
        case .end:
            guard let head, let exchange = server.withLock({ $0 }) else { return }
            let reply = exchange.respond(to: head.uri)
            if case .slow(let seconds) = reply.fault {
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
                    let (handler, context) = bound.value
                    guard context.channel.isActive else { return }
                    handler.write(reply, context: context)
                }
            } else {
                write(reply, context: context)
            }
        }
    }

    private func write(_ reply: FakeExchange.Reply, context: ChannelHandlerContext) {
        var reply = reply
        var headers = HTTPHeaders(reply.headers)
        headers.replaceOrAdd(name: "Content-Length", value: "\(reply.body.count)")
        if reply.fault == .truncate {
            reply.body = reply.body.prefix(reply.body.count / 2)
            headers.replaceOrAdd(name: "Content-Length", value: "\(reply.body.count)")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers))), promise: nil)
        if reply.fault == .reset {
            // The head promises the whole body; half of it, then the connection closes.
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body.prefix(reply.body.count / 2))))))
                .whenComplete { _ in bound.value.close(promise: nil) }
            return
        }
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

package enum ArchiveCSV {
    package static let metricsHeader = "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
        + "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio"

    package static func klines(_ rows: [[String]], header: Bool) -> String {
        var text = header ? "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n" : ""
        for row in rows { text += row.joined(separator: ",") + "\n" }
        return text
    }

    /// A zip holding one deflated file, built in memory with a fixed date (same input, same bytes).
    package static func zip(name: String, contents: Data) -> Data {
        let archive = try! Archive(data: Data(), accessMode: .create)
        try! archive.addEntry(with: name, type: .file, uncompressedSize: Int64(contents.count),
                              modificationDate: Date(timeIntervalSince1970: 1_700_000_000), compressionMethod: .deflate) { position, size in
            contents.subdata(in: Int(position)..<Int(position) + size)
        }
        return archive.data!
    }
}

/// A value behind a lock (the fakes' shared one).
package typealias Locked<Value> = LockedValue<Value>
