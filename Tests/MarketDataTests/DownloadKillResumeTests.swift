import FakeExchange
import Foundation
@testable import MarketData
import Testing

/// `llmalpha data download` killed with SIGKILL mid-run against the fake exchange, then rerun:
/// the store only ever shows complete files, and the rerun finishes the job without fetching the
/// months the killed run had already recorded as complete.
///
/// Runs the built `llmalpha` binary beside the test bundle. This target does not depend on the
/// executable target, so build the whole package (`swift build --build-tests`) first.
@Suite("Download killed and resumed")
struct DownloadKillResumeTests {
    static let symbol = "BTCUSDT"
    /// February's kline zip is answered this late during the first run: well under `--timeout 60`,
    /// so it is not a timeout, and long enough that the run is surely unfinished when it is killed.
    /// It only holds up a run that is killed anyway, so it can be generous: with the whole test
    /// run starting at once on two cores, January alone has taken more than 8 s.
    static let slowSeconds = 30.0

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("llmalpha")
    }

    static func arguments(_ exchange: FakeExchange, _ dataDirectory: String) -> [String] {
        ["data", "download", "-s", "BTC", "-m", "2", "-i", "1h", "--funding", "--base-url", exchange.baseURL,
         "--data-dir", dataDirectory, "--timeout", "60", "--quiet"]
    }

    /// Starts the CLI with stdout discarded and stderr in `log`.
    static func launch(_ arguments: [String], scratch: URL, log: URL) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = scratch   // no project config file is picked up
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["LLMALPHA_BINANCE_URL"] = "http://127.0.0.1:1"   // --base-url wins; never the internet
        environment.removeValue(forKey: "LLMALPHA_DATA_DIR")
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return process
    }

    /// Kills the process (if still running) and reaps it.
    static func stop(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits for the process to exit, at most `seconds`; false on timeout.
    static func waitForExit(_ process: Process, seconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        return true
    }

    /// `files` of a folder's manifest.json, or empty when absent or unreadable (mid-write is impossible: atomic).
    static func manifestEntries(_ folder: String) -> [String: [String: Any]] {
        guard let data = FileManager.default.contents(atPath: folder + "/manifest.json"),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let files = json["files"] as? [String: [String: Any]] else { return [:] }
        return files
    }

    /// Names of the files recorded as complete in a folder's manifest.
    static func completeNames(_ folder: String) -> Set<String> {
        Set(manifestEntries(folder).filter { ($0.value["complete"] as? Bool) == true }.keys)
    }

    /// Visible (not hidden) CSV files of a folder.
    static func visibleCSVs(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }.sorted()
    }

    /// Every visible CSV under the store and its bytes, keyed by the path relative to the root.
    static func csvSnapshot(_ root: String) -> [String: Data] {
        var out: [String: Data] = [:]
        for kind in ["1h", "funding"] {
            let folder = "\(root)/binance-um/\(symbol)/\(kind)"
            for name in visibleCSVs(folder) { out["\(kind)/\(name)"] = FileManager.default.contents(atPath: "\(folder)/\(name)") }
        }
        return out
    }

    /// The month start (ms) of a `...-YYYY-MM.csv` name.
    static func monthStart(ofFile name: String) -> Int64? {
        let label = name.dropLast(4).suffix(7).split(separator: "-").compactMap { Int($0) }
        guard label.count == 2 else { return nil }
        return Int64(UTCMonth(year: label[0], month: label[1]).start)
    }

    /// Runs `body` on a thread of its own and awaits its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    @Test func killedRunLeavesCompleteFilesAndRerunResumes() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("""
                The llmalpha binary is missing at \(Self.binary.path). MarketDataTests does not depend on the \
                executable target: build the whole package first (`swift build --build-tests`).
                """)
            return
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let root = scratch.appendingPathComponent("data").path
        let klineFolder = "\(root)/binance-um/\(Self.symbol)/1h"
        let fundingFolder = "\(root)/binance-um/\(Self.symbol)/funding"

        try await FakeExchange.with { exchange in
            // 1. A run slowed down on February's kline zip, killed once a month is recorded complete.
            exchange.inject(.slow(seconds: Self.slowSeconds), on: "BTCUSDT-1h-2025-02.zip", times: 1)
            let firstLog = scratch.appendingPathComponent("first.stderr")
            let first = try Self.launch(Self.arguments(exchange, root), scratch: scratch, log: firstLog)
            defer { Self.stop(first) }
            let deadline = Date().addingTimeInterval(Self.slowSeconds - 2)
            // January's klines and funding (archive zips) come first and fast; wait until both are recorded.
            let january: Set = ["BTCUSDT-1h-2025-01.csv", "BTCUSDT-fundingRate-2025-01.csv"]
            // Watched and killed from a thread of its own: under the full suite this test's task may
            // wait tens of seconds for a cooperative thread, long enough for the download to finish.
            let stillRunning = await Self.onThread { () -> Bool in
                while !january.isSubset(of: Self.completeNames(klineFolder).union(Self.completeNames(fundingFolder))) {
                    guard first.isRunning, Date() < deadline else { break }
                    usleep(10_000)
                }
                let running = first.isRunning
                if running { kill(first.processIdentifier, SIGKILL) }
                return running
            }
            first.waitUntilExit()
            let firstStderr = (try? String(contentsOf: firstLog, encoding: .utf8)) ?? ""
            try #require(stillRunning, "the first run ended (status \(first.terminationStatus)) before it could be killed: \(firstStderr)")
            #expect(first.terminationReason == .uncaughtSignal && first.terminationStatus == SIGKILL)

            let completeKlines = Self.completeNames(klineFolder)
            let completeFunding = Self.completeNames(fundingFolder)
            try #require(january.isSubset(of: completeKlines.union(completeFunding)),
                         "January was not recorded complete within \(Self.slowSeconds - 2) s: \(firstStderr)")
            // The slowed month cannot be done: the run was really cut short.
            #expect(!completeKlines.contains("BTCUSDT-1h-2025-02.csv"))
            #expect(!FileManager.default.fileExists(atPath: klineFolder + "/BTCUSDT-1h-2025-02.csv"))

            let visibleAtKill = Self.visibleCSVs(klineFolder) + Self.visibleCSVs(fundingFolder)
            // 2. Only whole files under their final names; each parses and holds exactly its month.
            for name in Self.visibleCSVs(klineFolder) {
                let path = "\(klineFolder)/\(name)"
                let bars = try CSVBarReader.read(path: path, symbol: Self.symbol, interval: "1h", headerRequired: false)
                let month = try #require(Self.monthStart(ofFile: name), "unexpected file \(name)")
                let expected = exchange.closedBars(from: month, to: FakeExchange.nextMonthStart(after: month))
                #expect(bars.time == expected.map { Double($0.time) }, "\(name)")
                #expect(bars.close == expected.map { Double($0.fields[4])! }, "\(name)")
            }
            for name in Self.visibleCSVs(fundingFolder) {
                let events = try FundingReader.read(path: "\(fundingFolder)/\(name)")
                let month = try #require(Self.monthStart(ofFile: name), "unexpected file \(name)")
                let end = FakeExchange.nextMonthStart(after: month)
                let expected = exchange.funding.filter { $0.time >= month && $0.time < end && $0.time <= exchange.now }
                #expect(events.map(\.time) == expected.map { Double($0.time) }, "\(name)")
                #expect(events.map(\.rate) == expected.map { Double($0.rate)! }, "\(name)")
            }
            // Every file the manifest calls complete is there with the recorded size.
            for (folder, names) in [(klineFolder, completeKlines), (fundingFolder, completeFunding)] {
                let entries = Self.manifestEntries(folder)
                for name in names {
                    let size = (try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(name)"))?[.size] as? Int
                    #expect(size != nil && size == entries[name]?["bytes"] as? Int, "\(name): \(String(describing: size))")
                }
            }

            // 3. The same command without faults runs to completion.
            exchange.clearFaults()
            exchange.clearLog()
            let secondLog = scratch.appendingPathComponent("second.stderr")
            let second = try Self.launch(Self.arguments(exchange, root), scratch: scratch, log: secondLog)
            defer { Self.stop(second) }
            let finished = try await Self.waitForExit(second, seconds: 30)
            let secondStderr = (try? String(contentsOf: secondLog, encoding: .utf8)) ?? ""
            try #require(finished, "the rerun did not finish within 30 s: \(secondStderr)")
            try #require(second.terminationReason == .exit && second.terminationStatus == 0,
                         "the rerun failed with status \(second.terminationStatus): \(secondStderr)")

            // Months the killed run had recorded complete were not fetched again (neither zip nor .CHECKSUM).
            let rerunRequests = exchange.requests
            for name in completeKlines.union(completeFunding) {
                let zip = "/" + name.dropLast(4) + ".zip"
                let refetched = rerunRequests.filter { $0.contains(zip) }
                #expect(refetched.isEmpty, "\(name) was complete but fetched again: \(refetched)")
            }
            // ... and what was missing was fetched.
            #expect(rerunRequests.contains { $0.hasSuffix("/BTCUSDT-1h-2025-02.zip") })

            // 4. The store equals a clean download's, file for file.
            let cleanRoot = scratch.appendingPathComponent("clean").path
            let cleanStore = MarketStore(root: cleanRoot)
            let summary = try await BinanceDownloader(baseURL: exchange.baseURL, store: cleanStore, concurrency: 4, timeout: 20,
                                                      retries: 3, retryBaseDelay: 0.02)
                .download(DownloadRequest(symbols: [Self.symbol], intervals: ["1h"], months: 2, funding: true))
            #expect(summary.notDone.isEmpty)
            let resumed = Self.csvSnapshot(root)
            let clean = Self.csvSnapshot(cleanRoot)
            #expect(resumed.keys.sorted() == clean.keys.sorted())
            #expect(clean.count == 6, "\(clean.keys.sorted())")   // Jan, Feb, Mar klines and funding
            for (name, data) in clean { #expect(resumed[name] == data, "\(name) differs from a clean download") }
            #expect(Self.completeNames(klineFolder) == Self.completeNames(cleanRoot + "/binance-um/\(Self.symbol)/1h"))
            #expect(Self.completeNames(fundingFolder) == Self.completeNames(cleanRoot + "/binance-um/\(Self.symbol)/funding"))

            // And it reads back as the exchange's bars from January to the last closed one.
            let store = MarketStore(root: root)
            let bars = try store.klines(symbol: Self.symbol, interval: "1h")
            let expected = exchange.closedBars(from: 1_735_689_600_000, to: exchange.now + 1)   // 2025-01-01
            #expect(bars.time == expected.map { Double($0.time) })
            #expect(bars.close == expected.map { Double($0.fields[4])! })
            let funding = try store.funding(symbol: Self.symbol)
            #expect(funding.map(\.time) == exchange.funding.filter { $0.time >= 1_735_689_600_000 && $0.time <= exchange.now }
                .map { Double($0.time) })
        }
    }
}
