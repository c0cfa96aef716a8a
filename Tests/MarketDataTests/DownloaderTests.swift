import FakeExchange
import Foundation
@testable import MarketData
import DurableFiles
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func fipsVectors(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test func millionAsInChunks() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        #expect(hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite("UTC months")
struct UTCMonthTests {
    @Test func boundaries() {
        let march = UTCMonth(containing: FakeExchange.defaultNow)
        #expect(march.label == "2025-03")
        #expect(march.start == 1_740_787_200_000)
        #expect(march.previous.label == "2025-02")
        #expect(UTCMonth(year: 2024, month: 12).next.label == "2025-01")
        #expect(UTCMonth.dayLabel(1_709_164_800_000) == "2024-02-29")
    }
}

/// The downloader against the fake exchange: a real server on 127.0.0.1.
@Suite("Binance downloader", .serialized)
struct DownloaderTests {
    static let request = DownloadRequest(symbols: ["BTCUSDT"], intervals: ["1h"], months: 2, funding: true)

    func withStore<T>(_ body: (MarketStore) async throws -> T) async rethrows -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-dl-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await body(MarketStore(root: folder))
    }

    func downloader(_ exchange: FakeExchange, _ store: MarketStore, timeout: Double = 5, retries: Int = 3) -> BinanceDownloader {
        BinanceDownloader(baseURL: exchange.baseURL, store: store, concurrency: 4, timeout: timeout, retries: retries, retryBaseDelay: 0.02)
    }

    /// Two complete months (Jan, Feb 2025) and March up to the last closed bar, equal to the source.
    func expectComplete(_ store: MarketStore, _ exchange: FakeExchange, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let first: Int64 = 1_735_689_600_000   // 2025-01-01
        let expected = exchange.closedBars(from: first, to: exchange.now + 1)
        let bars = try store.klines(symbol: "BTCUSDT", interval: "1h")
        #expect(bars.count == expected.count, sourceLocation: sourceLocation)
        #expect(bars.time == expected.map { Double($0.time) }, sourceLocation: sourceLocation)
        #expect(bars.close == expected.map { Double($0.fields[4])! }, sourceLocation: sourceLocation)
        #expect(bars.high == expected.map { Double($0.fields[2])! }, sourceLocation: sourceLocation)
        #expect(bars.volume == expected.map { Double($0.fields[5])! }, sourceLocation: sourceLocation)
        #expect(bars.time.last == Double((exchange.now / FakeExchange.hour - 1) * FakeExchange.hour), sourceLocation: sourceLocation)
        let funding = try store.funding(symbol: "BTCUSDT")
        let expectedFunding = exchange.funding.filter { $0.time >= first && $0.time <= exchange.now }
        #expect(funding.map(\.time) == expectedFunding.map { Double($0.time) }, sourceLocation: sourceLocation)
        #expect(funding.map(\.rate) == expectedFunding.map { Double($0.rate)! }, sourceLocation: sourceLocation)
    }

    /// Every file of the store and its bytes.
    func snapshot(_ store: MarketStore) -> [String: Data] {
        var out: [String: Data] = [:]
        let root = URL(fileURLWithPath: store.root)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return out }
        for case let path as String in walker {
            if let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path), !path.hasSuffix("/") {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory),
                   !isDirectory.boolValue { out[path] = data }
            }
        }
        return out
    }

    @Test func downloadsMonthsDaysAndTail() async throws {
        try await withStore { store in
            try await FakeExchange.with { exchange in
                let summary = try await downloader(exchange, store).download(Self.request)
                try expectComplete(store, exchange)
                let sources = Dictionary(summary.files.map { ($0.name, $0.source) }, uniquingKeysWith: { a, _ in a })
                #expect(sources["BTCUSDT-1h-2025-01.csv"] == "monthly-zip")
                #expect(sources["BTCUSDT-1h-2025-03.csv"] == "daily-zip+rest")
                #expect(sources["BTCUSDT-fundingRate-2025-02.csv"] == "monthly-zip")
                #expect(sources["BTCUSDT-fundingRate-2025-03.csv"] == "rest")
                #expect(summary.notDone.isEmpty)
                // Archive CSVs are stored as published: the header row and 12 columns.
                let january = try String(contentsOfFile: store.root + "/binance-um/BTCUSDT/1h/BTCUSDT-1h-2025-01.csv", encoding: .utf8)
                #expect(january.hasPrefix("open_time,open,high,low,close,volume,close_time"))
                #expect(FileManager.default.fileExists(atPath: store.root + "/binance-um/BTCUSDT/1h/manifest.json"))
                // No REST page asked for bars past the last closed one's month.
                #expect(exchange.requests.filter { $0.hasPrefix("/fapi/v1/klines") }.count == 1)
            }
        }
    }

    @Test func rerunSkipsVerifiedMonths() async throws {
        try await withStore { store in
            try await FakeExchange.with { exchange in
                _ = try await downloader(exchange, store).download(Self.request)
                exchange.clearLog()
                let summary = try await downloader(exchange, store).download(Self.request)
                let monthly = exchange.requests.filter { $0.contains("/monthly/") }
                #expect(monthly.isEmpty, "refetched: \(monthly)")
                #expect(summary.skipped == 4)   // Jan, Feb klines and funding
                try expectComplete(store, exchange)
            }
        }
    }

    struct FaultCase: Sendable, CustomTestStringConvertible {
        let name: String
        let fault: FakeExchange.Fault
        let path: String
        let times: Int
        var testDescription: String { name }
    }

    @Test(arguments: [
        FaultCase(name: "429 with Retry-After on klines", fault: .status(429, retryAfter: 1), path: "/fapi/v1/klines", times: 1),
        FaultCase(name: "500 on a monthly zip", fault: .status(500), path: "/monthly/klines/", times: 2),
        FaultCase(name: "502 on /fapi/v1/time", fault: .status(502), path: "/fapi/v1/time", times: 1),
        FaultCase(name: "503 on fundingRate", fault: .status(503), path: "/fapi/v1/fundingRate", times: 2),
        FaultCase(name: "reset mid-body on a monthly zip", fault: .reset, path: "2025-01.zip", times: 1),
        FaultCase(name: "reset mid-body on klines", fault: .reset, path: "/fapi/v1/klines", times: 1),
        FaultCase(name: "truncated monthly zip", fault: .truncate, path: "BTCUSDT-1h-2025-02.zip", times: 1),
        FaultCase(name: "truncated daily zip", fault: .truncate, path: "BTCUSDT-1h-2025-03-05.zip", times: 1),
        FaultCase(name: "wrong checksum", fault: .wrongChecksum, path: "BTCUSDT-1h-2025-01.zip.CHECKSUM", times: 1),
        FaultCase(name: "truncated CHECKSUM file", fault: .truncate, path: "BTCUSDT-fundingRate-2025-01.zip.CHECKSUM", times: 1),
        FaultCase(name: "slow response past the timeout", fault: .slow(seconds: 3), path: "/fapi/v1/klines", times: 1),
        FaultCase(name: "rows out of order", fault: .reversed, path: "/fapi/v1/klines", times: 1),
        FaultCase(name: "duplicate rows", fault: .duplicated, path: "/fapi/v1/klines", times: 1),
        FaultCase(name: "duplicate funding rows", fault: .duplicated, path: "/fapi/v1/fundingRate", times: 1),
        FaultCase(name: "an empty page", fault: .empty, path: "/fapi/v1/klines", times: 1),
    ])
    func recoversFrom(_ fault: FaultCase) async throws {
        try await withStore { store in
            try await FakeExchange.with { exchange in
                exchange.inject(fault.fault, on: fault.path, times: fault.times)
                let timeout: Double = fault.name.contains("slow") ? 1 : 5
                let summary = try await downloader(exchange, store, timeout: timeout).download(Self.request)
                try expectComplete(store, exchange)
                #expect(summary.notDone.isEmpty)
                // The fault fired and the request was asked again (row-shape faults are fixed in place).
                let hits = exchange.requests.filter { uri in
                    uri.contains(fault.path) && (!fault.path.hasSuffix(".zip") || uri.hasSuffix(fault.path))
                }
                if fault.fault != .reversed && fault.fault != .duplicated {
                    #expect(hits.count >= fault.times + 1, "\(hits)")
                }
            }
        }
    }

    @Test func banStopsEverythingAndKeepsTheStore() async throws {
        try await withStore { store in
            try await FakeExchange.with { exchange in
                _ = try await downloader(exchange, store).download(Self.request)
                let before = snapshot(store)
                exchange.inject(.status(418, retryAfter: 120), on: "/fapi/v1/", times: 100)
                await #expect {
                    _ = try await downloader(exchange, store).download(Self.request)
                } throws: { error in
                    guard let error = error as? DownloadError, case .banned = error else { return false }
                    return error.description.contains("418") && error.isNetwork
                }
                #expect(snapshot(store) == before)
            }
        }
    }

    @Test func persistentServerErrorsFailClearlyAndKeepTheStore() async throws {
        try await withStore { store in
            try await FakeExchange.with { exchange in
                _ = try await downloader(exchange, store).download(Self.request)
                let before = snapshot(store)
                exchange.inject(.status(503), on: "/fapi/v1/klines", times: 100)
                let started = exchange.requests.count
                await #expect {
                    _ = try await downloader(exchange, store, retries: 2).download(Self.request)
                } throws: { error in
                    let text = "\(error)"
                    return text.contains("HTTP 503") && text.contains("3 attempts") && (error as? DownloadError)?.isNetwork == true
                }
                #expect(exchange.requests[started...].filter { $0.hasPrefix("/fapi/v1/klines") }.count == 3)
                #expect(snapshot(store) == before)
            }
        }
    }

    @Test func persistentChecksumMismatchStoresNothing() async throws {
        try await withStore { store in
            try await FakeExchange.with { exchange in
                exchange.inject(.wrongChecksum, on: "BTCUSDT-1h-2025-01.zip.CHECKSUM", times: 100)
                await #expect {
                    _ = try await downloader(exchange, store, retries: 1).download(Self.request)
                } throws: { error in
                    "\(error)".contains("does not match the .CHECKSUM")
                }
                let folder = store.root + "/binance-um/BTCUSDT/1h/"
                #expect(!FileManager.default.fileExists(atPath: folder + "BTCUSDT-1h-2025-01.csv"))
                #expect(FileManager.default.fileExists(atPath: folder + "BTCUSDT-1h-2025-02.csv"))
                // The rest is kept and a rerun finishes the job.
                exchange.clearFaults()
                exchange.clearLog()
                _ = try await downloader(exchange, store).download(Self.request)
                #expect(!exchange.requests.contains { $0.contains("BTCUSDT-1h-2025-02.zip") })
                try expectComplete(store, exchange)
            }
        }
    }

    @Test func unpublishedMonthlyZipFallsBackToDailyZipsAndREST() async throws {
        try await withStore { store in
            try await FakeExchange.with { exchange in
                exchange.publishMonthlyZips(before: 1_738_368_000_000)   // February's zips are not out yet
                let summary = try await downloader(exchange, store).download(Self.request)
                try expectComplete(store, exchange)
                let february = summary.files.first { $0.name == "BTCUSDT-1h-2025-02.csv" }
                #expect(february?.source == "daily-zip")
                #expect(summary.files.first { $0.name == "BTCUSDT-fundingRate-2025-02.csv" }?.source == "rest")
                // Not verified as a whole month: the next run tries the monthly zip again.
                exchange.publishMonthlyZips(before: FakeExchange.monthStart(containing: exchange.now))
                exchange.clearLog()
                _ = try await downloader(exchange, store).download(Self.request)
                #expect(exchange.requests.contains { $0.contains("BTCUSDT-1h-2025-02.zip") })
                #expect(!exchange.requests.contains { $0.contains("BTCUSDT-1h-2025-01.zip") })
                try expectComplete(store, exchange)
            }
        }
    }

    @Test func unknownIntervalIsRejectedBeforeAnyRequest() async throws {
        try await withStore { store in
            try await FakeExchange.with { exchange in
                var request = Self.request
                request.intervals = ["7x"]
                await #expect(throws: DownloadError.self) { _ = try await downloader(exchange, store).download(request) }
                #expect(exchange.requests.isEmpty)
            }
        }
    }
}
