import Foundation
import Testing
import Backtest
import Primitives
import Evaluation
@testable import LLMAlpha
import MarketData

@Suite("llmalpha run")
struct RunCommandTests {
    @Test("A plain example runs on the bundled BTCUSDT 1h by default")
    func plainExample() throws {
        let r = try CLI.run(["run", "examples/hello.lua"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("BTCUSDT 1h: 58623 bars\n"))
    }

    @Test("sma(10) and sma(50) tie on the bundled data where pandas says they do, and crossover waits for a real cross")
    func movingAverageTie() throws {
        try CLI.withScratch { folder in
            let script = folder.appendingPathComponent("tie.lua")
            // Bar 34,476 of the bundled BTCUSDT 1h: both averages are 29392.65 in exact arithmetic;
            // pandas' rolling means differ by exactly 0 there (TA-Lib's by -2.6e-10).
            CLI.write("""
                local a, b = sma(d.close, 10), sma(d.close, 50)
                print(a[34476] - b[34476], crossover(a, b)[34476])
                """, to: script)
            let r = try CLI.run(["run", script.path, "--no-download"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix("0.0\tfalse"), "\(r.stdout)")
        }
    }

    @Test("market() on a symbol the store lacks downloads it within what is left of --timeout, never longer")
    func marketDownloadWithinTimeout() throws {
        // Every request of this exchange takes 35 s: the download must give up with the script's time.
        let (server, url) = try CLI.startFakeExchange(["--fault", "/=slowx100"])
        defer { server.terminate(); server.waitUntilExit() }
        try CLI.withScratch { folder in
            let script = folder.appendingPathComponent("m.lua")
            CLI.write("print(market(\"ETHX\").close:last())", to: script)
            let started = Date()
            let r = try CLI.run(["run", script.path, "--timeout", "2"], environment: ["LLMALPHA_BINANCE_URL": url])
            #expect(Date().timeIntervalSince(started) < 20)
            #expect(r.status == 4, "\(r.stderr)")
            #expect(r.stderr.contains("did not finish within the 2.0 s the script had left"), "\(r.stderr)")
        }
    }

    @Test("A market() download cut short leaves no half a symbol behind (bars without their funding)")
    func cutDownloadLeavesNothing() throws {
        // Bars come at once, funding never: the symbol must not stay in the store without it.
        let (server, url) = try CLI.startFakeExchange(["--fault", "fundingRate=slowx100"])
        defer { server.terminate(); server.waitUntilExit() }
        try CLI.withScratch { folder in
            let store = folder.appendingPathComponent("store")
            let script = folder.appendingPathComponent("m.lua")
            CLI.write("print(market(\"BTC\").close:last())", to: script)
            let r = try CLI.run(["run", script.path, "--data", "examples/planted-edge.csv", "--data-dir", store.path, "--timeout", "4"],
                                environment: ["LLMALPHA_BINANCE_URL": url])
            #expect(r.status == 4 && r.stderr.contains("did not finish within"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: store.appendingPathComponent("binance-um/BTCUSDT").path))
        }
    }

    @Test("market(\"BTC\") on ETH: BTC's bars at ETH's open times; a symbol the store lacks is one line naming it")
    func marketAcrossSymbols() throws {
        try CLI.withScratch { folder in
            var r = try CLI.run(["run", "examples/btc_lead_eth.lua", "-s", "ETH", "--no-download"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("hypothesis  btc_leads_eth"))
            // The same bar of BTC as `run -s BTC` sees, at the same open time.
            let script = folder.appendingPathComponent("m.lua")
            CLI.write("""
                local btc = market("BTC")
                local i = 40000
                print(d.symbol, btc.symbol, string.format("%.0f %.2f", btc.time[i], btc.close[i]))
                """, to: script)
            r = try CLI.run(["run", script.path, "-s", "ETH", "--no-download"])
            #expect(r.status == 0, "\(r.stderr)")
            let fields = r.stdout.split(whereSeparator: { $0 == "\t" || $0 == " " || $0 == "\n" }).map(String.init)
            let own = folder.appendingPathComponent("own.lua")
            CLI.write("""
                for i = 1, #d.time do if d.time[i] == \(fields.count > 2 ? fields[2] : "0") then print(string.format("%.2f", d.close[i])) end end
                """, to: own)
            let btc = try CLI.run(["run", own.path, "-s", "BTC", "--no-download"])
            #expect(fields.count == 4 && fields[0] == "ETHUSDT" && fields[1] == "BTCUSDT", "\(r.stdout)")
            #expect(btc.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == fields.last, "\(btc.stdout) vs \(r.stdout)")
            // Not a symbol: never a path.
            CLI.write("print(market(\"../EVIL\"))", to: script)
            r = try CLI.run(["run", script.path, "--no-download"])
            #expect(r.status == 4 && r.stderr.contains("not a symbol"), "\(r.stderr)")
            // A data error caught by pcall does not make a later, unrelated error a data error.
            CLI.write("pcall(market, \"ZZZ\") local x print(x.y)", to: script)
            r = try CLI.run(["run", script.path, "--no-download"])
            #expect(r.status == 1, "\(r.stderr)")
            // 15-minute rows labelled 1h would each meet an hour bar that closes later: refused.
            let csv = folder.appendingPathComponent("fine.csv")
            let start = 1_704_067_200_000
            CLI.write("open_time,open,high,low,close,volume\n" + (0..<400).map { i in
                "\(start + i * 900_000),100,101,99,100,1"
            }.joined(separator: "\n") + "\n", to: csv)
            CLI.write("print(market(\"BTC\").close:last())", to: script)
            r = try CLI.run(["run", script.path, "--data", csv.path, "-s", "ETH", "--no-download"])
            #expect(r.status == 4 && r.stderr.contains("finer than their interval 1h"), "\(r.stderr)")
            CLI.write("print(market(\"NOPE\").close:last())", to: script)
            r = try CLI.run(["run", script.path, "--no-download"])
            #expect(r.status == 4)
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("market(\"NOPEUSDT\")"), "\(r.stderr)")
        }
    }

    @Test("--symbol ETH, --interval and --from/--to select the data")
    func selection() throws {
        let r = try CLI.run(["run", "examples/hello.lua", "--symbol", "ETH", "--interval", "1h", "--from", "2024-01-01", "--to", "2024-01-02"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("ETHUSDT 1h: 48 bars\n"))
    }

    @Test("A hypothesis prints its factor report at 1, 4 and 24 bars")
    func factorReport() throws {
        let r = try CLI.run(["run", "examples/rsi_reversion.lua", "--param", "period=7"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("hypothesis  rsi_reversion"))
        #expect(r.stdout.contains("period=7*"))
        for h in ["   1 bar ", "   4 bars", "  24 bars"] { #expect(r.stdout.contains(h), "\(r.stdout)") }
    }

    @Test("--output writes open_time then the columns in the order given, NaN empty, shortest numbers")
    func outputCSV() throws {
        try CLI.withScratch { dir in
            let script = dir.appendingPathComponent("x.lua"), csv = dir.appendingPathComponent("out.csv")
            CLI.write("output { b = d.close * 0 + 0.1, a = lag(d.close, 1) / d.close * 0 + 2, m = gt(d.close, 1e9) }", to: script)
            let r = try CLI.run(["run", script.path, "--to", "2019-09-08T18:00", "--output", csv.path])
            #expect(r.status == 0, "\(r.stderr)")
            let text = try String(contentsOf: csv, encoding: .utf8)
            #expect(text == "open_time,b,a,m\n1567962000000,0.1,,0\n1567965600000,0.1,2,0\n")
        }
    }

    @Test("--json is one document with the report", arguments: ["strategies/funding_fade.lua"])
    func json(script: String) throws {
        let r = try CLI.run(["run", script, "--json", "--from", "2023-01-01"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["status"] as? String == "ok")
        #expect((doc["hypothesis"] as? [String: Any])?["name"] as? String == "funding_fade")
        let ic = try #require((doc["factor"] as? [String: Any])?["ic"] as? [[String: Any]])
        #expect(ic.map { $0["horizon"] as? Int } == [1, 4, 24])
        #expect((doc["strategy"] as? [String: Any])?["max_hold"] as? Int == 48)
    }

    @Test("Exit statuses follow DESIGN 3.4", arguments: [
        ("local x = = 1", [String](), Int32(1), "bad.lua:1: unexpected symbol near '='"),
        ("error('boom')", [], 1, "bad.lua:1: boom"),
        ("while true do end", ["--timeout", "0.3"], 3, "time limit exceeded"),
        ("while true do end", ["--max-instructions", "1000000"], 3, "instruction limit exceeded"),
        ("local t = {} for i = 1, 1e9 do t[i] = d.close + i end", ["--max-memory", "64"], 3, "memory limit exceeded"),
        ("print(1)", ["--param", "x=1"], 2, "--param x: no such parameter"),
        ("print(1)", ["--param", "oops"], 2, "--param must look like name=value"),
        ("print(1)", ["--timeout=-1"], 2, "--timeout must be a positive number"),
        ("print(1)", ["--bogus"], 2, "Unknown option '--bogus'"),
        ("print(1)", ["--symbol", "NOPE"], 4, "no data for NOPEUSDT"),
        ("print(1)", ["--symbol", "NOPE", "--no-download"], 4, "llmalpha data download -s NOPEUSDT -i 1h -m 3 --funding fetches it"),
        ("print(1)", ["--interval", "30m"], 4, "no 30m data for BTCUSDT (have: 1h)"),
        ("print(1)", ["--from", "2030-01-01"], 4, "no bars in the selected span"),
        ("print(1)", ["--from", "soon"], 4, "bad date 'soon'"),
    ])
    func exitStatus(source: String, flags: [String], status: Int32, message: String) throws {
        try CLI.withScratch { dir in
            let script = dir.appendingPathComponent("bad.lua")
            CLI.write(source, to: script)
            let r = try CLI.run(["run", script.path] + flags)
            #expect(r.status == status, "\(r.stderr)")
            #expect(r.stderr.contains(message), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count == 1 || status == 2, "not one error line: \(r.stderr)")
        }
    }

    @Test("A runtime error inside functions shows the script's call chain")
    func traceback() throws {
        try CLI.withScratch { dir in
            let script = dir.appendingPathComponent("deep.lua")
            CLI.write("local function inner(s)\n  return rsi(s, 0)\nend\nlocal function outer() return inner(d.close) + 1 end\nprint(outer())\n", to: script)
            let r = try CLI.run(["run", script.path])
            #expect(r.status == 1)
            let lines = r.stderr.split(separator: "\n").map(String.init)
            #expect(lines.first == "error: \(script.path):2: rsi: window must be an integer in 1...58623, got 0")
            #expect(lines.dropFirst().first == "stack traceback:")
            #expect(lines.contains { $0.hasPrefix("  \(script.path):4:") } && lines.contains { $0.hasPrefix("  \(script.path):5:") })
        }
    }

    @Test("Ctrl-C stops a running script and exits 130")
    func interrupt() throws {
        try CLI.withScratch { dir in
            let script = dir.appendingPathComponent("spin.lua")
            CLI.write("print('started') while true do end", to: script)
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["run", script.path, "--timeout", "60"]
            process.currentDirectoryURL = CLI.projectRoot
            let out = Pipe()
            process.standardOutput = out
            process.standardError = Pipe()
            try process.run()
            _ = out.fileHandleForReading.availableData   // "started": the script is running
            let sent = Date()
            process.interrupt()
            process.waitUntilExit()
            #expect(process.terminationStatus == 130)
            #expect(Date().timeIntervalSince(sent) < 5)
        }
    }

    @Test("A missing script is a usage error")
    func missingScript() throws {
        let r = try CLI.run(["run", "does/not/exist.lua"])
        #expect(r.status == 2)
        #expect(r.stderr == "error: does/not/exist.lua: no such script\n")
    }

    @Test("A malformed --data CSV exits 4 with file:line")
    func malformedData() throws {
        try CLI.withScratch { dir in
            let csv = dir.appendingPathComponent("bars.csv")
            CLI.write("open_time,open,high,low,close,volume\n1,2,3,4,5,6\n2,2,x,4,5,6\n", to: csv)
            let r = try CLI.run(["run", "examples/hello.lua", "--data", csv.path])
            #expect(r.status == 4)
            #expect(r.stderr == "error: \(csv.path):3: high is not a number: 'x'\n")
        }
    }

    @Test("A user CSV runs like the store")
    func userData() throws {
        try CLI.withScratch { dir in
            let csv = dir.appendingPathComponent("bars.csv")
            let rows = (0..<100).map { "\(1_700_000_000_000 + $0 * 60_000),\(100 + $0),\(101 + $0),\(99 + $0),\(100.5 + Double($0)),10" }
            CLI.write("open_time,open,high,low,close,volume\n" + rows.joined(separator: "\n") + "\n", to: csv)
            let script = dir.appendingPathComponent("x.lua")
            CLI.write("print(#d.close, d.close:last(), sma(d.close, 10):last())", to: script)
            let r = try CLI.run(["run", script.path, "--data", csv.path])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "100\t199.5\t195.0\n")
        }
    }

    @Test("--json on failure still prints one document, with the error")
    func jsonError() throws {
        try CLI.withScratch { dir in
            let script = dir.appendingPathComponent("x.lua")
            CLI.write("print('before')\nprint(rsi(d.close, 0))", to: script)
            let r = try CLI.run(["run", script.path, "--json"])
            #expect(r.status == 1)
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let error = try #require(doc["error"] as? [String: Any])
            #expect(error["kind"] as? String == "runtime")
            #expect(error["location"] as? String == "\(script.path):2")
            #expect(doc["printed"] as? String == "before\n")
        }
    }

    @Test("Bad configuration is a usage error with a suggestion")
    func badConfig() throws {
        try CLI.withScratch { dir in
            let config = dir.appendingPathComponent("c.yaml")
            CLI.write("sandbox:\n  timeout_secnds: 5\n", to: config)
            let r = try CLI.run(["run", "examples/hello.lua", "--config", config.path])
            #expect(r.status == 2)
            #expect(r.stderr.contains("unknown key 'sandbox.timeout_secnds' (hint: did you mean 'sandbox.timeout_seconds'?)"), "\(r.stderr)")
            let env = try CLI.run(["run", "examples/hello.lua"], environment: ["LLMALPHA_SANDBOX_TIMEOUT_SECONDS": "zero"])
            #expect(env.status == 2)
        }
    }
}

@Suite("llmalpha docs and configuration")
struct DocsAndConfigTests {
    @Test("docs lists every primitive with signature, lookback and example")
    func docs() throws {
        let r = try CLI.run(["docs"])
        #expect(r.status == 0)
        for spec in PrimitiveRegistry.all where spec.placement != .metamethod {
            #expect(r.stdout.contains("`\(spec.signature)`"), "missing \(spec.name)")
        }
        #expect(r.stdout.contains("lookback: n - 1"))
        let json = try CLI.run(["docs", "--json", "rsi"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 1 && list[0]["lookback"] as? String == "n")
        let bad = try CLI.run(["docs", "rsii"])
        #expect(bad.status == 2 && bad.stderr.contains("did you mean 'rsi'?"))
    }

    @Test("configs/default.yaml holds exactly the built-in defaults")
    func defaultsMatch() throws {
        let file = CLI.projectRoot.appendingPathComponent("configs/default.yaml").path
        var fromFile = Configuration()
        try fromFile.apply(yamlFile: file)
        #expect(fromFile == Configuration.defaults)
    }

    @Test("--help teaches with examples and exit statuses")
    func help() throws {
        let r = try CLI.run(["run", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("llmalpha run examples/rsi_reversion.lua"))
        #expect(r.stdout.contains("Exit status:"))
    }
}
