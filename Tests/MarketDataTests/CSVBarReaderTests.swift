import Foundation
import Testing
@testable import MarketData

/// Writes a CSV into a fresh temporary folder and reads it back.
func withCSV<T>(_ text: String, name: String = "bars.csv", _ body: (String) throws -> T) rethrows -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent(name).path
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return try body(path)
}

@Suite("CSV bars")
struct CSVBarReaderTests {
    @Test("A user CSV with extra columns loads; known archive names are mapped")
    func readsUserFile() throws {
        let text = """
            open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,funding_rate
            1704067200000,100,101.5,99,100.5,10,1704070799999,1005,42,6,0.0001
            1704070800000,100.5,102,100,101,12,1704074399999,1212,50,7,
            """
        let bars = try withCSV(text) { try CSVBarReader.read(path: $0, symbol: "X", interval: "1h", headerRequired: true) }
        #expect(bars.time == [1_704_067_200_000, 1_704_070_800_000])
        #expect(bars.close == [100.5, 101])
        #expect(bars.extra.map(\.name) == ["quote_volume", "trades", "taker_buy_volume", "funding_rate"])
        #expect(bars.extra("trades") == [42, 50])
        #expect(bars.extra("funding_rate")?[1].isNaN == true)
    }

    @Test("Both archive shapes load: headerless 12 columns and microsecond times")
    func archiveShapes() throws {
        let headerless = "1499040000000,0.01634790,0.80000000,0.01575800,0.01577100,148976.11427815,1499644799999,2434.19055334,308,1756.87402397,28.46694368,17928899.62484339\n"
        let a = try withCSV(headerless) { try CSVBarReader.read(path: $0, symbol: "X", interval: "1d", headerRequired: false) }
        #expect(a.time == [1_499_040_000_000] && a.high == [0.8] && a.extra("trades") == [308])
        let micro = """
            open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore
            1780272000000000,73674.39000000,74092.00000000,70686.68000000,71408.90000000,23921.09184000,1780358399999999,1723958338.68287760,4237773,11600.30396000,835109172.11680740,0
            """
        let b = try withCSV(micro) { try CSVBarReader.read(path: $0, symbol: "X", interval: "1d", headerRequired: false) }
        #expect(b.time == [1_780_272_000_000])
    }

    @Test("Malformed files give file:line: what", arguments: [
        ("open_time,open,high,low,close,volume\n1,2,3,4,5,abc\n", ":2: volume is not a number: 'abc'"),
        ("open_time,open,high,low,close,volume\n1,2,3,4,5\n", ":2: 5 fields, the header has 6"),
        ("open_time,open,high,low,close,volume\n1,2,3,4,5,6,7\n", ":2: 7 fields, the header has 6"),
        ("open_time,open,high,low,close\n1,2,3,4,5\n", ":1: column 6 must be 'volume', found nothing"),
        ("time,open,high,low,close,volume\n1,2,3,4,5,6\n", ":1: column 1 must be 'open_time', found 'time'"),
        ("1,2,3,4,5,6\n", ":1: missing header row"),
        ("open_time,open,high,low,close,volume\n2,2,3,4,5,6\n1,2,3,4,5,6\n", ":3: open_time 1 is before the previous row's 2 (rows must be sorted)"),
        ("open_time,open,high,low,close,volume\n1,2,3,4,5,6\n1,2,3,4,5,6\n", ":3: duplicate open_time 1"),
        ("open_time,open,high,low,close,volume\n1.5,2,3,4,5,6\n", ":2: open_time must be an integer"),
        ("open_time,open,high,low,close,volume\n1,2,,4,5,6\n", ":2: empty high"),
        ("open_time,open,high,low,close,volume\n1,2,nan,4,5,6\n", ":2: high is not a number: 'nan'"),
        ("open_time,open,high,low,close,volume\n1,2,inf,4,5,6\n", ":2: high is not a number: 'inf'"),
        ("open_time,open,high,low,close,volume,volume\n1,2,3,4,5,6,7\n", ":1: column 'volume' appears twice"),
    ])
    func malformed(text: String, message: String) {
        withCSV(text) { path in
            #expect(throws: DataError.self) { try CSVBarReader.read(path: path, symbol: "X", interval: "1h", headerRequired: true) }
            do {
                _ = try CSVBarReader.read(path: path, symbol: "X", interval: "1h", headerRequired: true)
            } catch {
                #expect(String(describing: error).hasPrefix(path + message), "\(error)")
            }
        }
    }

    @Test("Blank lines and CRLF endings are fine")
    func blankLines() throws {
        let bars = try withCSV("open_time,open,high,low,close,volume\r\n1,2,3,1,2,6\r\n\r\n2,2,3,1,2,6\r\n") {
            try CSVBarReader.read(path: $0, symbol: "X", interval: "1h", headerRequired: true)
        }
        #expect(bars.count == 2)
    }
}

@Suite("Funding and time spans")
struct FundingJoinTests {
    @Test("Funding is joined as of each bar's open, never from a later settlement")
    func asOf() {
        let bars: [Double] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        let events: [(time: Double, rate: Double)] = [(2, 0.1), (5, 0.2), (5.5, 0.3), (9, 0.4)]
        let joined = FundingJoin.asOf(barTimes: bars, events: events)
        #expect(joined[0].isNaN && joined[1].isNaN)
        #expect(Array(joined[2...]) == [0.1, 0.1, 0.1, 0.2, 0.3, 0.3, 0.3, 0.4])
    }

    @Test("Dates parse as UTC; a bare --to date covers its whole day", arguments: [
        ("2024-01-01", false, 1_704_067_200_000.0), ("2024-01-01", true, 1_704_153_599_999), ("2024-01-01T12:30", false, 1_704_112_200_000),
        ("2024-01-01 12:30:15Z", false, 1_704_112_215_000), ("1704067200000", false, 1_704_067_200_000),
    ])
    func dates(text: String, endOfDay: Bool, expected: Double) throws {
        #expect(try TimeBound.parse(text, endOfDay: endOfDay) == expected)
    }

    @Test("Bad dates are refused", arguments: ["2024-13-01", "2024-02-30", "yesterday", "2024-01-01T25:00", ""])
    func badDates(text: String) {
        #expect(throws: DataError.self) { try TimeBound.parse(text, endOfDay: false) }
    }
}

@Suite("Bundled store")
struct BundledStoreTests {
    static let store = MarketStore(root: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../data").standardized.path)

    @Test("BTCUSDT 1h loads whole, with funding, matching the sample's README")
    func btc() throws {
        let bars = try BarsRequest(symbol: "BTCUSDT", interval: "1h").load(from: Self.store)
        #expect(bars.count == 58_623)
        #expect(bars.time.first == 1_567_962_000_000)     // 2019-09-08 17:00 UTC
        #expect(bars.time.last == 1_779_001_200_000)      // 2026-05-17 07:00 UTC
        let funding = try #require(bars.extra("funding"))
        // First settlement 2019-09-10 08:00 UTC: NaN before it, its rate from that bar on.
        let first = try #require(funding.firstIndex { !$0.isNaN })
        #expect(bars.time[first] == 1_568_102_400_000)
        #expect(funding[first] == 0.0001)
    }

    @Test("--from/--to cut the span; an empty span is a data error")
    func slice() throws {
        let bars = try BarsRequest(symbol: "ETHUSDT", interval: "1h", from: try TimeBound.parse("2024-01-01", endOfDay: false),
                                   to: try TimeBound.parse("2024-01-31", endOfDay: true)).load(from: Self.store)
        #expect(bars.count == 31 * 24)
        #expect(throws: DataError.self) {
            try BarsRequest(symbol: "ETHUSDT", interval: "1h", from: 1e15).load(from: Self.store)
        }
    }

    @Test("Missing data names what exists", arguments: [
        ("NOPEUSDT", "1h", "no data for NOPEUSDT (have: "), ("BTCUSDT", "30m", "no 30m data for BTCUSDT (have: 1h)"),
    ])
    func missing(symbol: String, interval: String, message: String) {
        do {
            _ = try BarsRequest(symbol: symbol, interval: interval).load(from: Self.store)
            Issue.record("expected a data error")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }
}

@Suite("Resampling and the binary cache")
struct ResampleAndCacheTests {
    /// Six 1h bars from 00:00 UTC, hand-made so each 4h aggregate can be checked by eye.
    static func hourly(count: Int = 6) -> Bars {
        var b = Bars(symbol: "X", interval: "1h")
        for i in 0..<count {
            b.time.append(1_704_067_200_000 + Double(i) * 3_600_000)
            b.open.append(Double(10 + i)); b.high.append(Double(20 + i)); b.low.append(Double(5 + i))
            b.close.append(Double(11 + i)); b.volume.append(1)
        }
        b.extra = [("trades", (0..<count).map { Double($0) }), ("mark", (0..<count).map { Double(100 + $0) })]
        return b
    }

    @Test("1h → 4h: first open, max high, min low, last close, summed volume; the trailing partial bucket is dropped")
    func fourHours() {
        let r = Resampler.resample(Self.hourly(), to: "4h")
        #expect(r.time == [1_704_067_200_000])        // bars 4 and 5 only half-fill the next 4h bucket
        #expect(r.open == [10] && r.high == [23] && r.low == [5] && r.close == [14] && r.volume == [4])
        #expect(r.extra("trades") == [0 + 1 + 2 + 3] && r.extra("mark") == [103])
        let full = Resampler.resample(Self.hourly(count: 8), to: "4h")
        #expect(full.time.count == 2 && full.open == [10, 14] && full.close == [14, 18])
    }

    @Test("A store answers 4h from its 1h files")
    func storeResamples() throws {
        let bars = try BarsRequest(symbol: "BTCUSDT", interval: "4h", from: try TimeBound.parse("2024-01-01", endOfDay: false),
                                   to: try TimeBound.parse("2024-01-01", endOfDay: true)).load(from: BundledStoreTests.store)
        #expect(bars.count == 6 && bars.interval == "4h")
        #expect(bars.extra("funding") != nil)
    }

    @Test("The cache round-trips, and a changed source file invalidates it")
    func cache() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("binance-um/XUSDT/1h")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("XUSDT-1h-2024-01.csv")
        let rows = (0..<50).map { "\(1_704_067_200_000 + $0 * 3_600_000),\($0 + 1),\($0 + 2),\($0),\($0 + 1).5,\($0 * 10)" }
        try ("open_time,open,high,low,close,volume\n" + rows.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let store = MarketStore(root: root.path)
        let parsed = try store.klines(symbol: "XUSDT", interval: "1h")
        let cachePath = folder.appendingPathComponent("XUSDT-1h.cache").path
        #expect(FileManager.default.fileExists(atPath: cachePath))
        let cached = try store.klines(symbol: "XUSDT", interval: "1h")
        #expect(cached == parsed)
        // Change the source: the cache must not be used.
        let changed = "open_time,open,high,low,close,volume\n" + rows.dropLast().joined(separator: "\n") + "\n"
        try changed.write(to: file, atomically: true, encoding: .utf8)
        #expect(try store.klines(symbol: "XUSDT", interval: "1h").count == 49)
        // A corrupt cache is ignored and rebuilt, never trusted.
        try Data("LLMACACHgarbage".utf8).write(to: URL(fileURLWithPath: cachePath))
        #expect(try store.klines(symbol: "XUSDT", interval: "1h").count == 49)
    }
}

/// market(): another symbol's bars on the script's own open times.
@Suite("Bars of another market, aligned")
struct AlignedBarsTests {
    @Test("The bar opening at each time, NaN where the other market has none; later bars never")
    func alignedByOpenTime() throws {
        var other = Bars(symbol: "ETHUSDT", interval: "1h")
        other.time = [0, 1, 3, 4, 6].map { $0 * 3_600_000 }
        other.close = [10, 11, 13, 14, 16]
        other.open = other.close; other.high = other.close; other.low = other.close; other.volume = [1, 1, 1, 1, 1]
        other.setExtra("funding", [0.1, 0.1, 0.2, 0.2, 0.3])
        let own: [Double] = [1, 2, 3, 4, 5].map { $0 * 3_600_000 }
        let aligned = other.aligned(to: own)
        #expect(aligned.time == own)
        #expect(aligned.close.map { $0.isNaN ? -1 : $0 } == [11, -1, 13, 14, -1])
        #expect(aligned.extra("funding").map { $0.map { $0.isNaN ? -1 : $0 } } == [0.1, -1, 0.2, 0.2, -1])
    }

    @Test("A catalog loads a symbol once, and a slice of the bars keeps it")
    func catalogIsCachedAndTravels() throws {
        let loads = LoadCount()
        var bars = Bars(symbol: "BTCUSDT", interval: "1h")
        bars.time = [0, 3_600_000]; bars.close = [1, 2]; bars.open = bars.close; bars.high = bars.close; bars.low = bars.close
        bars.volume = [1, 1]
        let eth = bars
        bars.markets = MarketCatalog(interval: "1h") { symbol in
            loads.add()
            guard symbol == "ETHUSDT" else { throw DataError("no data for \(symbol)") }
            return eth
        }
        let slice = bars.slice(0..<1)
        _ = try slice.markets!.bars("ETH")
        _ = try slice.markets!.bars("ethusdt")
        #expect(loads.value == 1)
        #expect(throws: CatalogError.self) { try bars.markets!.bars("NOPE") }
    }

    @Test("A load cut short by the script's time is tried again with more; another failure is remembered")
    func catalogForgetsTimeouts() throws {
        let loads = LoadCount()
        var bars = Bars(symbol: "BTCUSDT", interval: "1h")
        bars.time = [0]; bars.close = [1]; bars.open = [1]; bars.high = [1]; bars.low = [1]; bars.volume = [1]
        let eth = bars
        let catalog = MarketCatalog(interval: "1h", timedLoad: { symbol, secondsLeft in
            loads.add()
            guard symbol == "ETHUSDT" else { throw DataError("no data for \(symbol)") }
            guard (secondsLeft ?? .infinity) >= 5 else { throw CatalogTimeout("the download did not finish in time") }
            return eth
        })
        #expect(throws: CatalogError.self) { try catalog.bars("ETH", secondsLeft: 1) }
        #expect(try catalog.bars("ETH", secondsLeft: 30).close == [1])
        #expect(loads.value == 2)
        _ = try catalog.bars("ETH", secondsLeft: 1)          // now known: no load, whatever the time
        #expect(loads.value == 2)
        #expect(throws: CatalogError.self) { try catalog.bars("NOPE", secondsLeft: 30) }
        #expect(throws: CatalogError.self) { try catalog.bars("NOPE", secondsLeft: 30) }
        #expect(loads.value == 3)
    }
}

final class LoadCount: @unchecked Sendable {
    // @unchecked Sendable: `count` is guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
