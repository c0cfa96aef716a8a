import Evaluation
import Foundation
import Testing

@Suite("llmalpha backtest run")
struct BacktestCommandTests {
    @Test("A strategy by name on one symbol prints the signal report and the backtest")
    func oneSymbol() throws {
        let r = try CLI.run(["backtest", "run", "-s", "BTC", "-S", "rsi_mr", "--from", "2024-01-01"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("signal      "))
        #expect(r.stdout.contains("backtest    next_open fills, fee 4.0 bps/side, slippage 1.0 bps, funding paid, stop 4.0%, max hold 48 bars"))
        #expect(r.stdout.contains("P&L: price "))
    }

    @Test("Several symbols give a summary; --json has every metric and trade; --report writes one HTML per symbol")
    func severalSymbols() throws {
        try CLI.withScratch { dir in
            let report = dir.appendingPathComponent("r.html").path
            let r = try CLI.run(["backtest", "run", "-s", "BTC,ETH", "-S", "sma_trend", "--from", "2024-01-01", "--fees", "0.0002",
                                 "--fill", "close", "--json", "--report", report])
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let runs = try #require(doc["runs"] as? [[String: Any]])
            #expect(runs.map { $0["symbol"] as? String } == ["BTCUSDT", "ETHUSDT"])
            let settings = try #require(runs[0]["settings"] as? [String: Any])
            #expect(settings["fee"] as? Double == 0.0002 && settings["fill"] as? String == "close")
            let metrics = try #require(runs[0]["metrics"] as? [String: Any])
            #expect(Set(metrics.keys) == Set(MetricSchema.backtest.map(\.key)))
            let trades = try #require(runs[0]["trades"] as? [[String: Any]])
            #expect(trades.count == metrics["trades"] as? Int)
            for symbol in ["BTCUSDT", "ETHUSDT"] {
                let html = try String(contentsOfFile: dir.appendingPathComponent("r-\(symbol).html").path, encoding: .utf8)
                #expect(html.hasPrefix("<!DOCTYPE html>") && !html.contains("http://") && !html.contains("https://"))
            }
        }
    }

    @Test("Bad strategies and settings exit with clear errors", arguments: [
        (["-S", "nope"], Int32(2), "no strategy 'nope' in strategies/"),
        (["-S", "examples/hello.lua"], 1, "defines no signal(d, f)"),
        (["-S", "rsi_mr", "--fees", "1.5"], 1, "fees must be a fraction in 0...0.1"),
        (["-S", "rsi_mr", "--fill", "later"], 2, "--fill must be next_open or close"),
        (["-S", "rsi_mr", "-s", "NOPE"], 4, "no data for NOPEUSDT"),
    ])
    func errors(flags: [String], status: Int32, message: String) throws {
        let r = try CLI.run(["backtest", "run"] + flags)
        #expect(r.status == status, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test("backtest{} in a plain script returns metrics, equity and trades")
    func luaBacktest() throws {
        try CLI.withScratch { dir in
            let script = dir.appendingPathComponent("bt.lua")
            CLI.write("""
                local fast, slow = sma(d.close, 24), sma(d.close, 168)
                local r = backtest { long = crossover(fast, slow), exit = crossunder(fast, slow), fees = 0.0004 }
                print(r.trades == #r.trade_list, #r.equity == #d.close, r.trade_list[1].side, type(r.sharpe))
                local ok, err = pcall(backtest, { long = d.close })
                print(err)
                local keys = {}
                for k, v in pairs(r) do if type(v) == "number" then keys[#keys + 1] = k end end
                table.sort(keys)
                print(table.concat(keys, ","))
                keys = {}
                for k in pairs(r.trade_list[1]) do keys[#keys + 1] = k end
                table.sort(keys)
                print(table.concat(keys, ","))
                """, to: script)
            let r = try CLI.run(["run", script.path, "--from", "2024-01-01"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix("true\ttrue\tlong\tnumber\n"))
            #expect(r.stdout.contains("backtest: 'long' must be a mask"))
            // One metric schema: the table's numbers are exactly the --json metrics, and its trades
            // have the same fields as `backtest run --json` trades.
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.dropLast().last == MetricSchema.backtest.map(\.key).sorted().joined(separator: ","))
            let json = try CLI.run(["backtest", "run", "-S", "sma_trend", "--from", "2024-01-01", "--json"])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let trade = try #require(((doc["runs"] as? [[String: Any]])?.first?["trades"] as? [[String: Any]])?.first)
            #expect(lines.last == trade.keys.sorted().joined(separator: ","))
        }
    }
}

@Suite("llmalpha data list and verify")
struct DataCommandTests {
    @Test("list shows every bundled symbol with its span, bars and gaps")
    func list() throws {
        let r = try CLI.run(["data", "list", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let entries = try #require(doc["entries"] as? [[String: Any]])
        let btc = try #require(entries.first { $0["symbol"] as? String == "BTCUSDT" })
        #expect(btc["bars"] as? Int == 58_623 && btc["gaps"] as? Int == 0 && btc["funding_events"] as? Int == 7_323)
        #expect(entries.count >= 9)
    }

    @Test("verify reports the sample's known zero-volume bars as warnings; a broken file is an error (exit 4)")
    func verify() throws {
        let ok = try CLI.run(["data", "verify", "-s", "BTC"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("warning: BTCUSDT 1h: 3 zero-volume bars"))
        #expect(try CLI.run(["data", "verify", "-s", "BTC", "--strict"]).status == 4)
        try CLI.withScratch { dir in
            let folder = dir.appendingPathComponent("binance-um/XUSDT/1h")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            CLI.write("open_time,open,high,low,close,volume\n1704067200000,10,9,8,9.5,1\n1704070800000,10,11,9,10,1\n",
                      to: folder.appendingPathComponent("XUSDT-1h-2024-01.csv"))
            let bad = try CLI.run(["data", "verify", "--data-dir", dir.path])
            #expect(bad.status == 4)
            #expect(bad.stdout.contains("error: XUSDT 1h: 1 bar with inconsistent OHLC"), "\(bad.stdout)")
        }
    }
}

extension BacktestCommandTests {
    @Test("backtest run takes the shared data flags: your own bars with --data, and --param parsed as run parses it")
    func sharedDataFlags() throws {
        var r = try CLI.run(["backtest", "run", "-S", "examples/planted_edge.lua", "--data", "examples/planted-edge.csv", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((doc["runs"] as? [Any])?.count == 1)
        for command in [["backtest", "run", "-S", "rsi_mr"], ["run", "strategies/rsi_mr.lua"]] {
            r = try CLI.run(command + ["--param", "period=7", "--param", "period=9", "--no-download"])
            #expect(r.status == 2 && r.stderr.contains("--param period given twice"), "\(command): \(r.stderr)")
        }
        r = try CLI.run(["backtest", "run", "-S", "rsi_mr", "--data", "examples/planted-edge.csv", "-s", "A,B"])
        #expect(r.status == 2 && r.stderr.contains("--data is one series of bars"), "\(r.stderr)")
    }
}
