import Foundation
import Testing

/// `llmalpha repl` with piped stdin: no prompts, values printed, errors on stderr, state kept.
@Suite("llmalpha repl (piped)")
struct ReplTests {
    func repl(_ input: String, _ flags: [String] = []) throws -> CLI.Outcome {
        try CLI.withScratch { dir in
            let file = dir.appendingPathComponent("in.txt")
            CLI.write(input, to: file)
            return try CLI.run(["repl"] + flags, environment: ["LLMALPHA_HISTORY": ""], stdin: file)
        }
    }

    @Test("Expressions print their values; statements run; state persists across lines")
    func values() throws {
        let r = try repl("print(#d.close)\nx = 20\nx * 2\n'text'\n{1, 2, k = true}\ngt(d.close, d.open)\nnil\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "58623\n40\ntext\n{1, 2, k = true}\nMask(len=58623, true=29697 (50.7%))\nnil\n")
        #expect(r.stderr.isEmpty)
    }

    @Test("A Series prints as a summary")
    func seriesSummary() throws {
        let r = try repl("sma(d.close, 3)\n", ["--from", "2024-01-01", "--to", "2024-01-01"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("Series(len=24, first valid=3, NaN=2)  last: "))
        #expect(r.stdout.contains(" min=") && r.stdout.contains(" mean=") && r.stdout.contains(" max="))
    }

    @Test("Unfinished statements continue on the next line")
    func multiLine() throws {
        let r = try repl("for i = 1, 3 do\n  print(i)\nend\nlocal t = {\n 1,\n 2 }\nfunction f(a)\n  return a + 1\nend\nf(41)\n")
        #expect(r.stdout == "1\n2\n3\n42\n", "\(r.stderr)")
    }

    @Test("A runaway line hits the limits and the session keeps its state")
    func runaway() throws {
        let r = try repl("keep = 7\nwhile true do end\nlocal t = {} for i = 1, 1e9 do t[i] = d.close + i end\nkeep\n",
                         ["--timeout", "2", "--max-memory", "128"])
        #expect(r.status == 0)
        #expect(r.stdout == "7\n")
        #expect(r.stderr.contains("time limit exceeded"))
        #expect(r.stderr.contains("memory limit exceeded"))
    }

    @Test("help() and help(rsi) come from the registry; market, series, totable and param have entries too")
    func help() throws {
        let r = try repl("help(rsi)\nhelp('zscore')\nhelp()\nhelp('rsii')\nhelp(market)\nhelp(series)\nhelp('s:totable')\nhelp('param.float')\n")
        #expect(r.stdout.contains("`rsi(s, n = 14) -> series`"))
        #expect(r.stdout.contains("`zscore(s, n) -> series`"))
        #expect(r.stdout.contains("Indicators:"))
        #expect(r.stdout.contains("no primitive 'rsii' (did you mean 'rsi'?)"))
        #expect(r.stdout.contains("also: market, series, totable, hypothesis, param"))
        #expect(r.stdout.contains("market(\"ETH\") -> table shaped like d"))
        #expect(r.stdout.contains("series{1.5, 2, 3} -> series"))
        #expect(r.stdout.contains("s:totable(a, b) -> Lua array"))
        #expect(r.stdout.contains("param.bool(name, default)"))
    }

    @Test("Commands: .symbol, .interval, .range, .load, .plot, .export, .reset, unknown")
    func commands() throws {
        try CLI.withScratch { dir in
            let csv = dir.appendingPathComponent("out.csv").path
            let input = """
                r = rsi(d.close, 14)
                .symbol ETH
                #d.close
                .range 2024-01-01 2024-01-02
                #d.close
                .plot d.close
                .export \(csv) d.close lt(d.close,0)
                .load strategies/rsi_mr.lua
                .reset
                r
                .frobnicate
                .interval 15m
                """
            let r = try repl(input + "\n")
            #expect(r.status == 0)
            #expect(r.stdout.contains("d is now ETHUSDT 1h, 56713 bars"))
            #expect(r.stdout.contains("56713\n"))
            #expect(r.stdout.contains("48\n"))
            #expect(r.stdout.contains("d.close\n") && r.stdout.contains("┤"))
            #expect(r.stdout.contains("hypothesis  rsi_mr"))
            #expect(r.stdout.contains("backtest    next_open fills"))
            #expect(r.stdout.contains("fresh session on ETHUSDT 1h"))
            #expect(r.stderr.contains("undefined global 'r'"))   // gone after .reset
            #expect(r.stderr.contains("unknown command .frobnicate"))
            #expect(r.stderr.contains("no 15m data for ETHUSDT"))
            let text = try String(contentsOfFile: csv, encoding: .utf8)
            #expect(text.hasPrefix("open_time,d.close,lt(d.close,0)\n1704067200000,"))
            #expect(text.split(separator: "\n").count == 49)   // header + 48 bars of the .range
        }
    }

    @Test("Errors go to stderr as one line and the session goes on")
    func errors() throws {
        let r = try repl("rsi(d.close, -1)\nx = = 2\nprint('still here')\n")
        #expect(r.stdout == "still here\n")
        #expect(r.stderr.contains("error: stdin:1: rsi: window must be an integer in 1...58623, got -1"))
        #expect(r.stderr.contains("unexpected symbol near '='"))
        #expect(!r.stderr.contains("\u{1B}["), "no escape codes without a terminal")
    }
}
