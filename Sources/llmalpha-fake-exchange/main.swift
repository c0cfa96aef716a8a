import FakeExchange
import Foundation
import MarketData

// `scripts/fake-exchange`: the test suite's fake Binance USD-M exchange as a standalone server, to
// try `llmalpha data download --base-url http://127.0.0.1:PORT` by hand with no internet.

let usage = """
    usage: llmalpha-fake-exchange [--port N] [--now DATE] [--data-dir DIR] [--fault PATH=KIND[xTIMES]]...

    Serves BTCUSDT on 127.0.0.1 the way Binance does: archive zips with .CHECKSUM files (monthly and
    daily klines, mark-price klines, funding, daily metrics) and REST (/fapi/v1/time, klines,
    markPriceKlines, fundingRate, /futures/data/openInterestHist), from the bundled 1h bars re-timed
    so that the exchange's clock reads --now. Runs until Ctrl-C; prints the base URL first.

      --port N          port to listen on (default 8080; 0 picks a free one)
      --now DATE        the exchange's clock: YYYY-MM-DD[THH:MM] UTC or ms (default: now)
      --data-dir DIR    a store holding BTCUSDT 1h bars (default: the bundled data/)
      --fault PATH=KIND[xTIMES]
                        the next TIMES (default 1) requests whose path contains PATH get KIND:
                        429, 418, 500, 502, 503 (status; 429 and 418 with Retry-After: 1), reset,
                        truncate, wrong-checksum, slow (35 s), reversed, duplicated, empty,
                        string-timestamp

    example:
      scripts/fake-exchange --port 8080 --fault /fapi/v1/klines=429x2 &
      llmalpha data download -s BTC -m 2 --funding --oi --data-dir /tmp/store \\
          --base-url http://127.0.0.1:8080
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

func fault(_ kind: String) -> FakeExchange.Fault? {
    switch kind {
    case "429", "418": return .status(Int(kind)!, retryAfter: 1)
    case "500", "502", "503": return .status(Int(kind)!)
    case "reset": return .reset
    case "truncate": return .truncate
    case "wrong-checksum": return .wrongChecksum
    case "slow": return .slow(seconds: 35)
    case "reversed": return .reversed
    case "duplicated": return .duplicated
    case "empty": return .empty
    case "string-timestamp": return .stringTimestamp
    default: return nil
    }
}

var port = 8080
var now = Int64(Date().timeIntervalSince1970 * 1000)
var dataRoot = FakeExchange.bundledData
var faults: [(path: String, fault: FakeExchange.Fault, times: Int)] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    func value() -> String {
        guard let next = arguments.popFirst() else { fail("\(argument) needs a value") }
        return next
    }
    switch argument {
    case "-h", "--help":
        print(usage)
        exit(0)
    case "--port":
        guard let n = Int(value()), (0...65535).contains(n) else { fail("--port takes a number from 0 to 65535") }
        port = n
    case "--now":
        let text = value()
        do { now = Int64(try TimeBound.parse(text, endOfDay: false)) } catch { fail("--now: \(error)") }
    case "--data-dir":
        dataRoot = value()
    case "--fault":
        let spec = value()
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { fail("--fault looks like /fapi/v1/klines=429x2, got '\(spec)'") }
        let kindAndTimes = parts[1].split(separator: "x", maxSplits: 1).map(String.init)
        guard let f = fault(kindAndTimes[0]) else { fail("--fault: unknown kind '\(kindAndTimes[0])' (see --help)") }
        let times = kindAndTimes.count == 2 ? Int(kindAndTimes[1]) : 1
        guard let times, times > 0 else { fail("--fault: TIMES must be a positive number in '\(spec)'") }
        faults.append((parts[0], f, times))
    default:
        fail("unknown argument '\(argument)' (see --help)")
    }
}

let exchange: FakeExchange
do {
    exchange = try await FakeExchange.start(now: now, dataRoot: dataRoot, port: port)
} catch {
    fail("cannot start the fake exchange on port \(port): \(error)")
}
for f in faults { exchange.inject(f.fault, on: f.path, times: f.times) }
FileHandle.standardOutput.write(Data("\(exchange.baseURL)\n".utf8))   // unbuffered: a script waiting for it reads it now
FileHandle.standardError.write(Data("fake exchange: BTCUSDT, clock \(TimeBound.format(Double(now))) UTC; Ctrl-C stops it\n".utf8))
signal(SIGINT, SIG_DFL)
while true { try? await Task.sleep(for: .seconds(3600)) }
