import FakeExchange
import Foundation
@testable import MarketData
import Testing

/// Open interest (`--oi`) and mark-price klines (`--mark`) against the fake exchange, through the
/// same downloader machinery as klines and funding.
@Suite("Open interest and mark prices", .serialized)
struct OpenInterestMarkTests {
    static let request = DownloadRequest(symbols: ["BTCUSDT"], intervals: ["1h"], months: 1, openInterest: true, markPrice: true)
    /// 2025-02-01, the first month of `request` at the fake's "now" (one complete month keeps the suite light).
    static let first: Int64 = 1_738_368_000_000
    static let day: Int64 = 86_400_000

    let base = DownloaderTests()

    /// Open interest from February to just before "now", equal to the exchange's.
    func expectOpenInterest(_ store: MarketStore, _ exchange: FakeExchange, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let points = try store.openInterest(symbol: "BTCUSDT")
        let expected = exchange.openInterest.filter { $0.time >= Self.first && $0.time < exchange.now }
        #expect(points.count == expected.count, sourceLocation: sourceLocation)
        #expect(points.map(\.time) == expected.map { Double($0.time) }, sourceLocation: sourceLocation)
        #expect(points.map(\.openInterest) == expected.map { Double($0.amount)! }, sourceLocation: sourceLocation)
        #expect(points.map(\.value) == expected.map { Double($0.value)! }, sourceLocation: sourceLocation)
    }

    /// Mark-price klines from February to the last closed bar, equal to the exchange's.
    func expectMark(_ store: MarketStore, _ exchange: FakeExchange, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bars = try store.markKlines(symbol: "BTCUSDT", interval: "1h")
        let expected = exchange.markBars.filter { $0.time >= Self.first && $0.time + FakeExchange.hour - 1 < exchange.now }
        #expect(bars.time == expected.map { Double($0.time) }, sourceLocation: sourceLocation)
        #expect(bars.close == expected.map { Double($0.fields[4])! }, sourceLocation: sourceLocation)
        #expect(bars.low == expected.map { Double($0.fields[3])! }, sourceLocation: sourceLocation)
        // Joined into the bars a script sees as d.mark_*: the mark bar opening with each bar
        // (the fake's mark prices are the bars' plus 0.5), NaN before February.
        let loaded = try BarsRequest(symbol: "BTCUSDT", interval: "1h").load(from: store)
        let markClose = try #require(loaded.extra("mark_close"), sourceLocation: sourceLocation)
        for (i, t) in loaded.time.enumerated() {
            if t < Double(Self.first) {
                #expect(markClose[i].isNaN, sourceLocation: sourceLocation)
            } else {
                #expect(markClose[i] == Double(String(format: "%.4f", loaded.close[i] + 0.5))!, "bar \(i)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func downloadsOpenInterestAndMarkPrices() async throws {
        try await base.withStore { store in
            try await FakeExchange.with { exchange in
                let today = exchange.now / Self.day * Self.day
                exchange.publishDailyMetrics(before: today - 2 * Self.day)   // the last two days are not archived yet
                let summary = try await base.downloader(exchange, store).download(Self.request)
                try expectOpenInterest(store, exchange)
                try expectMark(store, exchange)
                #expect(summary.notDone.isEmpty, "\(summary.notDone)")
                let sources = Dictionary(summary.files.map { ("\($0.kind)/\($0.name)", $0.source) }, uniquingKeysWith: { a, _ in a })
                #expect(sources["oi/BTCUSDT-metrics-2025-02.csv"] == "daily-zip")
                #expect(sources["oi/BTCUSDT-metrics-2025-03.csv"] == "daily-zip+rest")
                #expect(sources["mark/1h/BTCUSDT-1h-2025-02.csv"] == "monthly-zip")
                #expect(sources["mark/1h/BTCUSDT-1h-2025-03.csv"] == "daily-zip+rest")

                // REST open interest: 5-minute period, never before the 30 days it serves, only for the unarchived days.
                let oiRequests = exchange.requests.filter { $0.hasPrefix("/futures/data/openInterestHist") }
                #expect(!oiRequests.isEmpty)
                for uri in oiRequests {
                    #expect(uri.contains("period=5m") && uri.contains("limit=500"))
                    let start = uri.split(separator: "&").first { $0.hasPrefix("startTime=") }.flatMap { Int64($0.dropFirst(10)) } ?? 0
                    #expect(start >= today - 2 * Self.day, "\(uri)")
                }
                #expect(exchange.requests.contains { $0.hasPrefix("/fapi/v1/markPriceKlines") })

                // The archive's own layout: metrics header, create_time as a datetime; REST rows leave the ratios empty.
                let folder = store.root + "/binance-um/BTCUSDT/"
                let march = try String(contentsOfFile: folder + "oi/BTCUSDT-metrics-2025-03.csv", encoding: .utf8).split(separator: "\n")
                #expect(march.first == Substring(ArchiveCSV.metricsHeader))
                #expect(march[1].hasPrefix("2025-03-01 00:00:00,BTCUSDT,") && !march[1].hasSuffix(","))
                #expect(march.last?.hasPrefix("2025-03-10 05:25:00,BTCUSDT,") == true && march.last?.hasSuffix(",,,,") == true)
                #expect(FileManager.default.fileExists(atPath: folder + "oi/manifest.json"))
                #expect(FileManager.default.fileExists(atPath: folder + "mark/1h/manifest.json"))

                // Open interest joins onto bars as of each bar's open; it shows in `data list`; verify is clean.
                let bars = try BarsRequest(symbol: "BTCUSDT", interval: "1h").load(from: store)
                let byTime = Dictionary(exchange.openInterest.map { (Double($0.time), Double($0.amount)!) }, uniquingKeysWith: { a, _ in a })
                let joined = try #require(bars.extra("open_interest"))
                #expect(joined == bars.time.map { byTime[$0]! })
                #expect(bars.extra("open_interest_value")?.count == bars.count)
                let entries = StoreInventory.list(store)
                #expect(entries.map(\.dataset) == ["klines", "mark", "oi"])
                #expect(entries.first { $0.dataset == "oi" }?.bars == exchange.openInterest.filter { $0.time >= Self.first && $0.time < exchange.now }.count)
                #expect(entries.first { $0.dataset == "mark" }?.interval == "mark/1h")
                let errors = StoreInventory.verify(store).filter { $0.severity == .error }
                #expect(errors.isEmpty, "\(errors.map(\.message))")
            }
        }
    }

    @Test func rerunSkipsCompleteMonths() async throws {
        try await base.withStore { store in
            try await FakeExchange.with { exchange in
                _ = try await base.downloader(exchange, store).download(Self.request)
                exchange.clearLog()
                let summary = try await base.downloader(exchange, store).download(Self.request)
                // February's klines, mark prices and open interest are verified and skipped.
                #expect(summary.skipped == 3, "\(summary.files.filter { $0.source == "skipped" }.map(\.name))")
                let refetched = exchange.requests.filter { $0.contains("-2025-02") }
                #expect(refetched.isEmpty, "\(refetched)")
                try expectOpenInterest(store, exchange)
                try expectMark(store, exchange)
            }
        }
    }

    @Test(arguments: [
        DownloaderTests.FaultCase(name: "429 with Retry-After on openInterestHist", fault: .status(429, retryAfter: 1),
                                  path: "/futures/data/openInterestHist", times: 1),
        DownloaderTests.FaultCase(name: "openInterestHist with string timestamps", fault: .stringTimestamp,
                                  path: "/futures/data/openInterestHist", times: 100),
        DownloaderTests.FaultCase(name: "truncated monthly mark-price zip", fault: .truncate,
                                  path: "markPriceKlines/BTCUSDT/1h/BTCUSDT-1h-2025-02.zip", times: 1),
        DownloaderTests.FaultCase(name: "truncated daily metrics zip", fault: .truncate, path: "BTCUSDT-metrics-2025-03-05.zip", times: 1),
        DownloaderTests.FaultCase(name: "wrong checksum on a metrics zip", fault: .wrongChecksum,
                                  path: "BTCUSDT-metrics-2025-02-15.zip.CHECKSUM", times: 1),
        DownloaderTests.FaultCase(name: "503 on markPriceKlines", fault: .status(503), path: "/fapi/v1/markPriceKlines", times: 2),
        DownloaderTests.FaultCase(name: "reset mid-body on openInterestHist", fault: .reset, path: "/futures/data/openInterestHist", times: 1),
    ])
    func recoversFrom(_ fault: DownloaderTests.FaultCase) async throws {
        try await base.withStore { store in
            try await FakeExchange.with { exchange in
                exchange.publishDailyMetrics(before: exchange.now / Self.day * Self.day - 2 * Self.day)
                exchange.inject(fault.fault, on: fault.path, times: fault.times)
                let summary = try await base.downloader(exchange, store).download(Self.request)
                try expectOpenInterest(store, exchange)
                try expectMark(store, exchange)
                #expect(summary.notDone.isEmpty, "\(summary.notDone)")
                let hits = exchange.requests.filter { uri in
                    uri.contains(fault.path) && (!fault.path.hasSuffix(".zip") || uri.hasSuffix(fault.path))
                }
                if fault.fault == .stringTimestamp {
                    #expect(!hits.isEmpty)
                } else {
                    #expect(hits.count >= fault.times + 1, "\(hits)")
                }
            }
        }
    }

    @Test func daysOlderThanRESTReachAreReportedNotRequested() async throws {
        try await base.withStore { store in
            try await FakeExchange.with { exchange in
                let february3: Int64 = 1_738_540_800_000
                exchange.publishDailyMetrics(before: february3)   // no metrics zips from February 3 on
                let summary = try await base.downloader(exchange, store).download(Self.request)
                let floor = exchange.now - DownloadJob.openInterestRestReach
                let points = try store.openInterest(symbol: "BTCUSDT")
                let expected = exchange.openInterest.filter {
                    ($0.time >= Self.first && $0.time < february3) || ($0.time >= floor && $0.time < exchange.now)
                }
                #expect(points.map(\.time) == expected.map { Double($0.time) })
                // February 3 to 7 are lost: no zips, and before the REST floor (February 8, 06:30).
                #expect(summary.notDone == ["BTCUSDT oi 2025-02: 5 days from 2025-02-03 have no metrics zip and are older than "
                                            + "the 30 days openInterestHist serves"])
                // An incomplete past month is not recorded as complete: a rerun tries its zips again.
                #expect(summary.files.first { $0.name == "BTCUSDT-metrics-2025-02.csv" }?.source == "daily-zip+rest")
                exchange.publishDailyMetrics(before: exchange.now / Self.day * Self.day)
                _ = try await base.downloader(exchange, store).download(Self.request)
                try expectOpenInterest(store, exchange)
            }
        }
    }

    @Test func progressIsPerSymbolWithBarsAndBytes() async throws {
        try await base.withStore { store in
            try await FakeExchange.with { exchange in
                let events = Locked<[DownloadProgress]>([])
                var request = Self.request
                request.funding = true
                let summary = try await base.downloader(exchange, store).download(request) { p in events.withLock { $0.append(p) } }
                let all = events.withLock { $0 }
                let planned = try #require(all.first)
                #expect(planned.event == .planned)
                #expect(planned.symbols.map(\.symbol) == ["BTCUSDT"] && planned.totalFiles == 8)
                #expect(planned.plannedRows > 10_000)   // 1h klines, mark prices, funding and 5-minute open interest over 5 weeks
                let done = all.filter { if case .fileDone = $0.event { return true } else { return false } }
                #expect(done.count == summary.files.count)
                let last = try #require(done.last)
                let btc = try #require(last.symbols.first)
                #expect(btc.isFinished && btc.doneFiles == 8 && btc.finishedAfter != nil)
                #expect(btc.rows == summary.files.reduce(0) { $0 + $1.rows })
                #expect(btc.bytes > 0 && btc.bytes <= summary.bytes)
                #expect(last.liveLines().first?.contains("8/8 files") == true)
                #expect(last.plainLines().last?.hasPrefix("BTCUSDT done: 8 files, ") == true)
            }
        }
    }

    @Test func progressText() {
        var btc = DownloadProgress.Symbol(symbol: "BTCUSDT")
        btc.totalFiles = 12; btc.doneFiles = 5; btc.rows = 1_488; btc.plannedRows = 2_208; btc.doneWork = 1_104; btc.bytes = 1_258_291
        var eth = DownloadProgress.Symbol(symbol: "ETHUSDT")
        eth.totalFiles = 12; eth.doneFiles = 12; eth.rows = 2_208; eth.plannedRows = 2_208; eth.doneWork = 2_208; eth.bytes = 2048
        eth.finishedAfter = 3.1
        let progress = DownloadProgress(event: .fileDone(name: "BTCUSDT-1h-2025-01.csv", kind: "1h", rows: 744, source: "monthly-zip"),
                                        symbol: "BTCUSDT", symbols: [btc, eth], elapsed: 4)
        #expect(progress.liveLines() == [
            "BTCUSDT     5/12 files       1,488/2,208 bars     1.2 MiB  ETA 4 s",
            "ETHUSDT    12/12 files       2,208/2,208 bars     2.0 KiB  done in 3 s",
            "total      17/24 files       3,696/4,416 bars     1.2 MiB  ETA 2 s",
        ])
        #expect(progress.plainLines() == ["BTCUSDT 1h BTCUSDT-1h-2025-01.csv: 744 bars from monthly-zip (5/12 files, 1.2 MiB)"])
        #expect(!progress.liveLines().joined().contains("\u{1B}"))
    }

    @Test func verifyNamesAnEditedCSVAndARerunRepairsIt() async throws {
        try await base.withStore { store in
            try await FakeExchange.with { exchange in
                _ = try await base.downloader(exchange, store).download(Self.request)
                #expect(StoreInventory.verify(store).filter { $0.severity == .error }.isEmpty)
                let path = store.root + "/binance-um/BTCUSDT/oi/BTCUSDT-metrics-2025-02.csv"
                var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                let i = bytes.lastIndex(of: UInt8(ascii: "5")) ?? bytes.count - 3
                bytes[i] = UInt8(ascii: "6")   // same size, one digit different: still a valid CSV
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let errors = StoreInventory.verify(store).filter { $0.severity == .error }
                #expect(errors.count == 1)
                #expect(errors.first?.interval == "oi")
                #expect(errors.first?.message.contains(path) == true && errors.first?.message.contains("does not match") == true,
                        "\(errors.map(\.message))")
                // The edited month no longer counts as verified: a rerun fetches it again.
                exchange.clearLog()
                _ = try await base.downloader(exchange, store).download(Self.request)
                #expect(exchange.requests.contains { $0.contains("BTCUSDT-metrics-2025-02-") })
                #expect(StoreInventory.verify(store).filter { $0.severity == .error }.isEmpty)
            }
        }
    }
}

/// `llmalpha data download --oi --mark` run as a user would, stderr a pipe (not a TTY), then
/// `data list` and `data verify` on what it stored.
@Suite("data download --oi --mark, list and verify (CLI)")
struct DataDownloadCLITests {
    static func run(_ arguments: [String], in directory: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = DownloadKillResumeTests.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["LLMALPHA_BINANCE_URL"] = "http://127.0.0.1:1"   // --base-url wins; never the internet
        environment.removeValue(forKey: "LLMALPHA_DATA_DIR")
        process.environment = environment
        let out = directory.appendingPathComponent("stdout"), err = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    @Test func downloadListVerify() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DownloadKillResumeTests.binary.path),
                     "build the whole package first (swift build --build-tests)")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-oi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let root = scratch.appendingPathComponent("data").path
        try await FakeExchange.with { exchange in
            let download = try Self.run(["data", "download", "-s", "BTC", "-m", "1", "-i", "1h", "--oi", "--mark", "--json",
                                         "--base-url", exchange.baseURL, "--data-dir", root], in: scratch)
            #expect(download.status == 0, "\(download.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(download.stdout.utf8)) as? [String: Any])
            let kinds = Set(((summary["files"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String })
            #expect(kinds == ["1h", "oi", "mark/1h"])
            // Not a TTY: plain lines, one per file and one per finished symbol, no ANSI codes.
            #expect(download.stderr.contains("planned: BTCUSDT 6 files"))
            #expect(download.stderr.contains("BTCUSDT oi BTCUSDT-metrics-2025-02.csv: 8,064 rows from daily-zip (")
                    , "\(download.stderr)")
            #expect(download.stderr.contains("BTCUSDT mark/1h BTCUSDT-1h-2025-02.csv: 672 bars from monthly-zip ("))
            #expect(download.stderr.contains("BTCUSDT done: 6 files, "))
            #expect(!download.stderr.contains("\u{1B}"))
            #expect(!download.stderr.contains("not implemented"))

            // A script sees the mark prices as d.mark_* (the fake's are the bars' plus 0.5).
            let script = scratch.appendingPathComponent("mark.lua")
            try "print(string.format('%.4f', d.mark_close:last() - d.close:last()), d.mark_open ~= nil)\n"
                .write(to: script, atomically: true, encoding: .utf8)
            let run = try Self.run(["run", script.path, "-s", "BTC", "--data-dir", root, "--no-download"], in: scratch)
            #expect(run.status == 0 && run.stdout.hasPrefix("0.5000\ttrue"), "\(run.stdout) \(run.stderr)")

            let list = try Self.run(["data", "list", "--json", "--data-dir", root], in: scratch)
            #expect(list.status == 0, "\(list.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
            let entries = (doc["entries"] as? [[String: Any]]) ?? []
            #expect(entries.compactMap { $0["dataset"] as? String } == ["klines", "mark", "oi"])
            #expect(entries.compactMap { $0["interval"] as? String } == ["1h", "mark/1h", "oi"])

            #expect(try Self.run(["data", "verify", "--data-dir", root], in: scratch).status == 0)
            let file = root + "/binance-um/BTCUSDT/mark/1h/BTCUSDT-1h-2025-02.csv"
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            bytes[bytes.count - 2] = bytes[bytes.count - 2] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let verify = try Self.run(["data", "verify", "--data-dir", root], in: scratch)
            #expect(verify.status == 4)
            #expect(verify.stdout.contains("error: BTCUSDT mark/1h: \(file): sha256 "), "\(verify.stdout)")
        }
    }
}
