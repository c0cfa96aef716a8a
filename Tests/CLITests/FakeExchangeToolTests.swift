import Foundation
import Testing

/// `scripts/fake-exchange` (the `llmalpha-fake-exchange` tool), used the way the README shows:
/// start it, point `data download --base-url` at it.
@Suite("The fake exchange, by hand")
struct FakeExchangeToolTests {
    @Test("data download against llmalpha-fake-exchange fills a store that verifies clean")
    func downloadByHand() throws {
        try CLI.withScratch { folder in
            let (server, url) = try CLI.startFakeExchange(["--now", "2025-03-10T05:30", "--fault", "/fapi/v1/klines=503x1"])
            defer { server.terminate(); server.waitUntilExit() }
            #expect(url.hasPrefix("http://127.0.0.1:"))

            let store = folder.appendingPathComponent("store").path
            var r = try CLI.run(["data", "download", "-s", "BTC", "-m", "1", "--funding", "--data-dir", store, "--base-url", url, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            r = try CLI.run(["data", "list", "--data-dir", store])
            #expect(r.stdout.contains("BTCUSDT  1h"))
            r = try CLI.run(["data", "verify", "--data-dir", store])
            #expect(r.status == 0)
            r = try CLI.run(["run", "examples/hello.lua", "--data-dir", store, "--no-download"])
            #expect(r.status == 0)
        }
    }
}
