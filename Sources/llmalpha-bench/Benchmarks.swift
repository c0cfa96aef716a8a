import Backtest
import Evaluation
import Foundation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting
import Validation

/// `scripts/bench`: median time per bar of the operations named in DESIGN.md section 10, at
/// n = 1,000,000 and 10,000,000, plus the sandbox's per-VM and per-call costs.
///
/// Setup (data, output buffers) happens outside the timed region; each result is passed to
/// `blackHole` so the optimizer cannot drop the work; the first run of each case is a warm-up.
@main
struct Benchmarks {
    static func main() {
        SeriesMemory.keepFreedBlocks()   // as the llmalpha command does (scripts/peer-bench sets the same)
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.contains("--help") || arguments.contains("-h") {
            print("""
                usage: llmalpha-bench [--json] [--quick] [--only op,op] [--compare BEFORE.json [AFTER.json]]
                  --json     print the JSON array of {"op", "n", "median_ns_per_bar"} (per call for VM costs)
                  --quick    n = 1,000,000 only, fewer repetitions
                  --only     run only these ops
                  --compare  print before/after/ratio per op and n: BEFORE.json against this run, or
                             against AFTER.json without running anything (ratio > 1: faster now)
                """)
            return
        }
        var compareFiles: [String] = []
        if let i = arguments.firstIndex(of: "--compare") {
            compareFiles = Array(arguments[arguments.index(after: i)...].prefix { !$0.hasPrefix("--") }.prefix(2))
            guard !compareFiles.isEmpty else { fail("--compare needs BEFORE.json (and optionally AFTER.json)") }
            if compareFiles.count == 2 {
                compare(load(compareFiles[0]), load(compareFiles[1]))
                return
            }
        }
        let json = arguments.contains("--json")
        let quick = arguments.contains("--quick")
        var only: Set<String>? = nil
        if let i = arguments.firstIndex(of: "--only"), arguments.index(after: i) < arguments.endIndex {
            only = Set(arguments[arguments.index(after: i)].split(separator: ",").map(String.init))
        }
        var results: [Result] = []
        let sizes = quick ? [1_000_000] : [1_000_000, 10_000_000]
        for n in sizes {
            let market = KernelInputs(count: n)
            if only?.contains("from_signals") ?? true { _ = fromSignalsInputs(market) }
            for op in kernelOps + [fromSignals] where only?.contains(op.name) ?? true {
                let runs = n >= 10_000_000 ? 5 : (quick ? 7 : 11)
                let seconds = op.measure(market, runs)
                results.append(Result(op: op.name, n: n, key: "median_ns_per_bar", value: seconds * 1e9 / Double(n)))
                if !json { FileHandle.standardError.write(Data("\(results.last!.line)\n".utf8)) }
            }
        }
        for op in vmOps where only?.contains(op.name) ?? true {
            let value = op.measure()
            guard !value.isNaN else { continue }   // skipped (said why on stderr)
            let key = ["hypothesis_eval", "load_1m_1500k"].contains(op.name) ? "median_ns_per_bar"
                : (op.name.hasPrefix("kb_insert_trial") ? "median_ns_per_trial" : (op.name == "validate_full" ? "median_ns_per_run"
                    : (op.name.hasPrefix("agent_") ? "median_ns_per_iteration" : "median_ns_per_call")))
            results.append(Result(op: op.name, n: op.n, key: key, value: value))
            if !json { FileHandle.standardError.write(Data("\(results.last!.line)\n".utf8)) }
        }
        try? FileManager.default.removeItem(at: KnowledgeBench.scratch)
        if json {
            print("[\n" + results.map { "  " + $0.json }.joined(separator: ",\n") + "\n]")
        }
        if let before = compareFiles.first {
            compare(load(before), results.map { Measurement(op: $0.op, n: $0.n, value: $0.value) })
        }
    }

    struct Measurement {
        let op: String
        let n: Int
        let value: Double
    }

    /// A `--json` output: every measurement, whatever its unit (all are medians, lower is better).
    static func load(_ path: String) -> [Measurement] {
        guard let data = FileManager.default.contents(atPath: path),
              let rows = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            fail("--compare: \(path) is not the JSON array scripts/bench --json prints")
        }
        return rows.compactMap { row in
            guard let op = row["op"] as? String, let n = row["n"] as? Int,
                  let value = row.first(where: { $0.key.hasPrefix("median_") })?.value as? Double else { return nil }
            return Measurement(op: op, n: n, value: value)
        }
    }

    /// One line per op and n present in both: before, after, and before / after (above 1: faster).
    static func compare(_ before: [Measurement], _ after: [Measurement]) {
        let old = Dictionary(before.map { ("\($0.op)@\($0.n)", $0.value) }, uniquingKeysWith: { a, _ in a })
        func row(_ cells: [String]) -> String {
            zip(cells, [-20, -10, 12, 12, 8]).map { cell, width in
                let pad = String(repeating: " ", count: max(0, abs(width) - cell.count))
                return width < 0 ? cell + pad : pad + cell
            }.joined(separator: " ")
        }
        var lines = [row(["op", "n", "before", "after", "ratio"])]
        for m in after {
            guard let was = old["\(m.op)@\(m.n)"] else { continue }
            lines.append(row([m.op, String(m.n), String(format: "%.3f", was), String(format: "%.3f", m.value),
                              String(format: "%.2fx", was / m.value)]))
        }
        if lines.count == 1 { fail("--compare: no op and n in common") }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(2)
    }

    struct Result {
        let op: String
        let n: Int
        let key: String
        let value: Double
        var json: String { "{\"op\": \"\(op)\", \"n\": \(n), \"\(key)\": \(String(format: "%.3f", value))}" }
        var line: String { String(format: "%-20@ n=%-9d %10.3f %@", op as NSString, n, value, key.replacingOccurrences(of: "median_", with: "") as NSString) }
    }
}

/// A deterministic random walk with OHLCV, long enough for every op.
/// `@unchecked Sendable`: filled in `init`, then only read (and the outputs written) by one
/// benchmark at a time on the main thread. `outputs` are allocated by each timed run, as a call
/// from Lua allocates its results and numpy, pandas or TA-Lib allocate theirs (scripts/peer-bench).
final class KernelInputs: @unchecked Sendable {
    let count: Int
    let open: UnsafeMutableBufferPointer<Double>, high: UnsafeMutableBufferPointer<Double>
    let low: UnsafeMutableBufferPointer<Double>, close: UnsafeMutableBufferPointer<Double>
    let volume: UnsafeMutableBufferPointer<Double>, other: UnsafeMutableBufferPointer<Double>
    var outputs: [UnsafeMutableBufferPointer<Double>] = []

    init(count: Int) {
        self.count = count
        func buffer() -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
            b.initialize(repeating: 0)
            return b
        }
        open = buffer(); high = buffer(); low = buffer(); close = buffer(); volume = buffer(); other = buffer()
        var seed: UInt64 = 12345
        var price = 30_000.0, price2 = 30_000.0   // two correlated walks from one level: they cross
        for i in 0..<count {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(seed >> 11) / Double(1 << 53) - 0.5
            let o = price
            price *= 1 + u * 0.004
            price2 *= 1 + (u * 0.7 + 0.3 * (Double(seed & 0xffff) / 65536 - 0.5)) * 0.004
            open[i] = o; close[i] = price
            high[i] = max(o, price) * (1 + abs(u) * 0.001); low[i] = min(o, price) * (1 - abs(u) * 0.001)
            volume[i] = 100 + Double(seed >> 40 & 0xff); other[i] = price2
        }
    }

    var c: UnsafeBufferPointer<Double> { UnsafeBufferPointer(close) }
}

@inline(never)
func blackHole<T>(_ value: T) { _ = value }

/// Median wall time of at least `runs` runs after one warm-up, and of more (up to 2,000) until
/// `minimumSeconds` have been measured: a 1M-bar streaming op takes 0.3 ms, and seven samples of
/// that on a shared machine put a scheduler hiccup in the median.
func medianSeconds(_ runs: Int, minimumSeconds: Double = 0, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    var total = 0.0
    while times.count < runs || (total < minimumSeconds && times.count < 2_000) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        total += times.last!
    }
    times.sort()
    return times[times.count / 2]
}

struct KernelOp: Sendable {
    let name: String
    /// Series results, allocated (uninitialized, like `np.empty`) and freed inside the timed run.
    var outputCount = 1
    let body: @Sendable (KernelInputs) -> Double

    init(name: String, outputs: Int = 1, _ body: @escaping @Sendable (KernelInputs) -> Void) {
        self.name = name
        outputCount = outputs
        self.body = { m in body(m); return m.outputs[0][m.count / 2] }
    }

    /// For ops whose result is one number (spearman) or that allocate their own (from_signals).
    init(name: String, scalar body: @escaping @Sendable (KernelInputs) -> Double) {
        self.name = name
        outputCount = 0
        self.body = body
    }

    func measure(_ m: KernelInputs, _ runs: Int) -> Double {
        medianSeconds(runs, minimumSeconds: 0.25) {
            m.outputs = (0..<outputCount).map { _ in .allocate(capacity: m.count) }
            blackHole(body(m))
            for output in m.outputs { output.deallocate() }
        }
    }
}

let kernelOps: [KernelOp] = [
    // Not a primitive: the floor, one input streamed to one output (`out = c * 2`, as numpy's).
    KernelOp(name: "stream") { (m: KernelInputs) -> Void in
        let c = m.c, out = m.outputs[0]
        for i in 0..<m.count { out[i] = c[i] * 2 }
    },
    // The floor of a two-input op such as crossover (`out = c + other`).
    KernelOp(name: "stream2") { (m: KernelInputs) -> Void in
        let c = m.c, other = m.other, out = m.outputs[0]
        for i in 0..<m.count { out[i] = c[i] + other[i] }
    },
    KernelOp(name: "sma20") { Rolling.mean($0.c, window: 20, into: $0.outputs[0]) },
    KernelOp(name: "ema20") { Rolling.ema($0.c, window: 20, into: $0.outputs[0]) },
    KernelOp(name: "std20") { Rolling.standardDeviation($0.c, window: 20, into: $0.outputs[0]) },
    KernelOp(name: "zscore168") { Rolling.zScore($0.c, window: 168, into: $0.outputs[0]) },
    KernelOp(name: "rsi14") { Indicators.rsi($0.c, window: 14, into: $0.outputs[0]) },
    KernelOp(name: "macd", outputs: 3) {
        Indicators.macd($0.c, fast: 12, slow: 26, signal: 9, macd: $0.outputs[0], signalLine: $0.outputs[1], histogram: $0.outputs[2])
    },
    KernelOp(name: "atr14") {
        Indicators.atr(high: UnsafeBufferPointer($0.high), low: UnsafeBufferPointer($0.low), close: $0.c, window: 14, into: $0.outputs[0])
    },
    KernelOp(name: "bbands20", outputs: 3) {
        Indicators.bollingerBands($0.c, window: 20, deviations: 2, upper: $0.outputs[0], middle: $0.outputs[1], lower: $0.outputs[2])
    },
    KernelOp(name: "pct_change10") { Indicators.pctChange($0.c, periods: 10, into: $0.outputs[0]) },
    KernelOp(name: "crossover") { Events.crossover($0.c, .series(UnsafeBufferPointer($0.other)), into: $0.outputs[0]) },
    KernelOp(name: "rank100") { Rolling.percentRank($0.c, window: 100, into: $0.outputs[0]) },
    // Windows above 256: the Fenwick tree over each stretch's ranks.
    KernelOp(name: "rank1000") { Rolling.percentRank($0.c, window: 1000, into: $0.outputs[0]) },
    KernelOp(name: "median1000") { Rolling.median($0.c, window: 1000, into: $0.outputs[0]) },
    KernelOp(name: "spearman", scalar: { Stats.spearman($0.c, UnsafeBufferPointer($0.other)) }),
]

/// `from_signals`: the engine on random ~1% entry and exit masks with fees (vectorbt's benchmark).
let fromSignals = KernelOp(name: "from_signals", scalar: { m in
    let (market, signals) = fromSignalsInputs(m)
    var config = BacktestConfig()
    config.fill = .close
    config.funding = false
    let result = try? Backtester.run(market, signals: signals, config: config)
    return result?.equity.last ?? 0
})

/// Inputs are built once per market, outside the timed region.
nonisolated(unsafe) var fromSignalsCache: [Int: (MarketColumns, SignalMasks)] = [:]   // bench is single-threaded
func fromSignalsInputs(_ m: KernelInputs) -> (MarketColumns, SignalMasks) {
    if let cached = fromSignalsCache[m.count] { return cached }
    var seed: UInt64 = 99
    func mask() -> [Double] {
        (0..<m.count).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return (seed >> 33) % 100 == 0 ? 1 : 0
        }
    }
    let time = (0..<m.count).map { 1.6e12 + Double($0) * 3.6e6 }
    let inputs = (MarketColumns(time: time, open: Array(m.open), high: Array(m.high), low: Array(m.low), close: Array(m.close)),
                  SignalMasks(entries: mask(), exits: mask()))
    fromSignalsCache[m.count] = inputs
    return inputs
}

struct VMOp: Sendable {
    let name: String
    let n: Int
    let measure: @Sendable () -> Double
}

/// 50,000 bars, the size of a typical hypothesis run.
let vmData: DataTable = {
    let m = KernelInputs(count: 50_000)
    var t = DataTable()
    t.add("time", (0..<50_000).map { 1.7e12 + Double($0) * 3.6e6 })
    t.add("open", Array(m.open)); t.add("high", Array(m.high)); t.add("low", Array(m.low))
    t.add("close", Array(m.close)); t.add("volume", Array(m.volume))
    t.text["symbol"] = "BENCHUSDT"; t.text["interval"] = "1h"
    return t
}()

let vmLimits = SandboxLimits(timeout: 600, maxInstructions: 0, maxMemoryBytes: 4 << 30)

let vmOps: [VMOp] = [
    // A fresh sandboxed VM: state, whitelisted libraries, every primitive, d over 50k bars, the prelude.
    VMOp(name: "vm_fresh_state", n: 1) {
        medianSeconds(201) {
            do {
                blackHole(try LuaVM(limits: vmLimits, data: vmData, overrides: [:], print: { _ in }))
            } catch {
                fatalError("vm_fresh_state: cannot create a VM: \(error)")
            }
        } * 1e9
    },
    // One Lua → primitive call through the trampoline, argument checks and kernel (s:count() on a
    // 1-bar series), net of the loop itself.
    VMOp(name: "lua_call_overhead", n: 1) {
        let calls = 1_000_000
        let tiny: DataTable = { var t = DataTable(); t.add("close", [1.0]); return t }()
        func time(_ source: String) -> Double {
            medianSeconds(5) {
                do {
                    let vm = try LuaVM(limits: vmLimits, data: tiny, overrides: [:], print: { _ in })
                    try vm.run(source: source, chunkName: "bench.lua")
                } catch {
                    fatalError("lua_call_overhead: the benchmark script failed: \(error)")
                }
            }
        }
        let withCalls = time("local s = d.close local n = 0 for i = 1, \(calls) do n = n + s:count() end")
        let loopOnly = time("local s = d.close local n = 0 for i = 1, \(calls) do n = n + 1 end")
        return (withCalls - loopOnly) * 1e9 / Double(calls)
    },
    // 1.5M 1m bars (about 35 monthly files) loaded through MarketStore from a warm binary cache.
    VMOp(name: "load_1m_1500k", n: 1_500_000) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-bench-store-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("binance-um/BENCHUSDT/1m")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let start = 1_577_836_800_000.0   // 2020-01-01
        var month = "", text = "", price = 7000.0
        func flush() {
            if !month.isEmpty { try? text.write(to: folder.appendingPathComponent("BENCHUSDT-1m-\(month).csv"), atomically: true, encoding: .utf8) }
            text = "open_time,open,high,low,close,volume\n"
        }
        for i in 0..<1_500_000 {
            let t = start + Double(i) * 60_000
            let m = TimeBound.format(t).prefix(7)
            if m != month { flush(); month = String(m) }
            let next = price * (1 + Double((i * 7919) % 201 - 100) * 1e-5)
            text += "\(Int64(t)),\(price),\(max(price, next) + 1),\(min(price, next) - 1),\(next),\(i % 97)\n"
            price = next
        }
        flush()
        let store = MarketStore(root: root.path)
        _ = try? store.klines(symbol: "BENCHUSDT", interval: "1m")     // cold: parses and writes the cache
        return medianSeconds(9) {
            blackHole(try? store.klines(symbol: "BENCHUSDT", interval: "1m"))
        } * 1e9 / 1_500_000
    },
    // One full hypothesis evaluation on 50k 1h bars: fresh VM, script, factor, rank IC, signal
    // report and backtest.
    VMOp(name: "hypothesis_eval", n: 50_000) {
        let (source, bars) = (BenchHypothesis.source, BenchHypothesis.bars)
        let configuration = Configuration.defaults
        return medianSeconds(21) {
            do {
                let run = try ScriptRun.execute(source: source, path: "bench.lua", bars: bars, settings: configuration.evaluation) { _ in }
                blackHole(run.metrics)
            } catch {
                fatalError("hypothesis_eval failed: \(error)")
            }
        } * 1e9 / 50_000
    },
    // `llmalpha validate --mode full --trials 50` of the same hypothesis on 50k 1h bars (the last
    // 20% locked away as the holdout): every stage run even after a failure (a random walk fails
    // early), both cores, every trial recorded into a fresh knowledge base. Per run, in ns.
    VMOp(name: "validate_full", n: 50_000) {
        let (source, bars) = (BenchHypothesis.source, BenchHypothesis.bars)
        var settings = Configuration.defaults.validation
        settings.mode = .full
        settings.trials = 50
        let visible = try! LockedHoldout.visible(bars, fraction: settings.honesty.holdout)
        let root = KnowledgeBench.scratch.appendingPathComponent("validate")
        var run = 0
        return medianSeconds(3) {
            run += 1
            let folder = root.appendingPathComponent("\(run)")
            let files = ScriptFiles(hypothesesDirectory: folder.appendingPathComponent("hypotheses").path,
                                    strategiesDirectory: folder.appendingPathComponent("strategies").path, root: folder.path)
            let kb = try! KnowledgeBase.open(at: folder.appendingPathComponent("kb.sqlite").path, files: files, create: true)
            let validator = Validator(settings: settings, evaluation: Configuration.defaults.evaluation,
                                      jobs: ProcessInfo.processInfo.activeProcessorCount, knowledge: kb, record: true, allStages: true)
            do {
                blackHole(try validator.validate(source: source, path: "bench.lua", data: [visible]))
            } catch {
                fatalError("validate_full failed: \(error)")
            }
        } * 1e9
    },
    // The research agent: one offline iteration in quick mode, and one full-mode iteration with
    // the default trial budget, on 50k 1h bars. Per iteration, in ns.
    VMOp(name: "agent_offline_iter", n: 50_000) { AgentBench.offlineQuickIteration() },
    VMOp(name: "agent_full_iter", n: 50_000) { AgentBench.fullIteration() },
    // Recording one trial in its own transaction, as a research loop does after each evaluation:
    // the mean over 20,000 such trials of 500 hypotheses, into a knowledge base growing to 100,000.
    VMOp(name: "kb_insert_trial", n: 100_000) {
        KnowledgeBench.shared.insertSeconds * 1e9
    },
    // Trials recorded in batches of 1,000 into PostgreSQL on loopback (target: 1,000 a second,
    // so at most 1,000,000 ns a trial).
    VMOp(name: "kb_insert_trial_pg", n: 20_000) { WorkerBench.postgresInsert() },
    // Quick-mode offline iterations per worker count on one run: n is the number of workers
    // (target: 2 workers at least 1.8 times as many iterations a second as one).
    VMOp(name: "agent_workers_scaling", n: 1) { WorkerBench.scaling(workers: 1) },
    VMOp(name: "agent_workers_scaling", n: 2) { WorkerBench.scaling(workers: 2) },
    // `kb stats` on that knowledge base of 100,000 trials.
    VMOp(name: "kb_stats_100k", n: 100_000) {
        let kb = KnowledgeBench.shared.knowledge
        return medianSeconds(11) { blackHole(try? kb.stats()) } * 1e9
    },
]

/// The hypothesis of hypothesis_eval and validate_full (strategies/funding_fade.lua's shape, on
/// the close instead of funding) and its 50k 1h bars, with a funding settlement every 8 hours.
enum BenchHypothesis {
    static let source = """
        hypothesis { name = "bench", rationale = "z-score fade" }
        local lookback = param.int("lookback", 24, 336, 72)
        local entry_z = param.float("entry_z", 1.0, 3.0, 2.0)
        function factor(d) return -zscore(d.close, lookback) end
        function signal(d, f) return { long = gt(f, entry_z), short = lt(f, -entry_z), exit = lt(abs(f), 0.5) } end
        strategy { fees = 0.0004, slippage = 0.0002, stop_loss = 0.03, max_hold = 48 }
        """

    static let bars: Bars = {
        var bars = Bars(symbol: "BENCHUSDT", interval: "1h")
        bars.time = vmData.column("time")!.values; bars.open = vmData.column("open")!.values; bars.high = vmData.column("high")!.values
        bars.low = vmData.column("low")!.values; bars.close = vmData.column("close")!.values; bars.volume = vmData.column("volume")!.values
        bars.fundingEvents = stride(from: 0, to: 50_000, by: 8).map { (bars.time[$0], 0.0001) }
        return bars
    }()
}

/// A knowledge base of 100,000 trials in a scratch folder, built once for both kb ops.
final class KnowledgeBench: Sendable {
    static let shared = KnowledgeBench()
    let knowledge: KnowledgeBase
    let insertSeconds: Double

    private init() {
        let root = KnowledgeBench.scratch
        try? FileManager.default.removeItem(at: root)
        let files = ScriptFiles(hypothesesDirectory: root.appendingPathComponent("hypotheses").path,
                                strategiesDirectory: root.appendingPathComponent("strategies").path, root: root.path)
        do {
            knowledge = try KnowledgeBase.open(at: root.appendingPathComponent("knowledge.sqlite").path, files: files, create: true)
            var ids: [String] = []
            for h in 0..<500 {
                let parent = h % 10 == 0 || ids.isEmpty ? nil : ids[h - 1]
                ids.append(try knowledge.recordHypothesis(HypothesisDraft(
                    name: "hypothesis \(h)", rationale: "synthetic rationale number \(h) about funding and momentum",
                    tags: ["bench", h % 2 == 0 ? "funding" : "momentum"], parent: parent,
                    script: "hypothesis { name = \"h\(h)\" }\nfunction factor(d) return zscore(d.close, \(h + 2)) end\n")).id)
            }
            // The first 20,000 trials one transaction each (timed), the rest in batches of 1,000.
            func trial(_ i: Int) -> TrialDraft { KnowledgeBench.trial(i, hypotheses: ids) }
            let timed = 20_000
            let started = Date()
            for i in 0..<timed { try knowledge.recordTrial(trial(i)) }
            insertSeconds = Date().timeIntervalSince(started) / Double(timed)
            for start in stride(from: timed, to: 100_000, by: 1000) {
                try knowledge.recordTrials((start..<start + 1000).map(trial))
            }
        } catch {
            fatalError("kb bench: \(error)")
        }
    }

    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-bench-kb-\(getpid())")

    /// The i-th synthetic trial: one of ten failure reasons, 20 metrics, three parameters.
    static func trial(_ i: Int, hypotheses ids: [String]) -> TrialDraft {
        let span = DataSpan(symbols: ["BTCUSDT"], interval: "1h", from: 1_704_067_200_000, to: 1_735_686_000_000, bars: 8784,
                            hash: String(repeating: "ab", count: 32))
        let codes = ["factor.ic", "factor.ir", "factor.monotonicity", "factor.turnover", "factor.p_value",
                     "signal.win_rate", "signal.profit_factor", "signal.edge", "backtest.min_trades", "backtest.sharpe"]
        let stages: [TrialStage] = [.factor, .factor, .factor, .factor, .factor, .signal, .signal, .signal, .backtest, .backtest]
        let k = (i * 7919) % codes.count
        var metrics: [String: Double] = [:]
        for m in 0..<20 { metrics["metric_\(m)"] = Double((i + m) % 1000) / 997 }
        metrics["sharpe"] = Double((i * 31) % 400) / 100 - 1
        return TrialDraft(
            hypothesis: ids[i % ids.count], parameters: ["lookback": Double(24 + i % 300), "entry_z": 2, "exit_z": 0.5],
            data: span, stage: stages[k], passed: i % 50 == 0 ? true : false, reasonCode: i % 50 == 0 ? nil : codes[k],
            reasonMessage: i % 50 == 0 ? nil : "\(codes[k]) fell short by \(i % 97)%", metrics: metrics,
            shortfall: Double(i % 97) / 100, seed: UInt64(i), durationSeconds: 0.05, startedAt: Date(), source: "bench")
    }
}
