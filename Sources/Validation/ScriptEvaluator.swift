package import Backtest
import Dispatch
package import Evaluation
import Foundation
package import MarketData
package import Scripting

/// Runs one script many times over slices of the visible bars (optimizer trials, windows,
/// truncations), `jobs` at a time, each run in a fresh sandbox with validation's rules
/// (``Rules``): fills at the next open (same-bar fills cannot pass), costs at least the floor and
/// funding paid whatever `strategy{}` says, no `backtest{}` inside the script, prints discarded.
///
/// Results come back in task order whatever the thread count, so a validation is reproducible.
/// Slices are prepared once per range and shared by every run over them.
package final class ScriptEvaluator: @unchecked Sendable {
    // @unchecked Sendable: the slice cache and the active runners are guarded by `lock`; the
    // rest is immutable.
    package let source: String
    package let path: String
    package let settings: EvaluationSettings
    package let jobs: Int
    package let visible: PreparedBars
    package let rules: Rules
    private let lock = NSLock()
    private var slices: [Range<Int>: PreparedBars] = [:]
    private var active: [ObjectIdentifier: ScriptRunner] = [:]
    private var cancelled = false

    package init(source: String, path: String, visible: Bars, settings: EvaluationSettings, rules: Rules, jobs: Int) {
        self.source = source
        self.path = path
        self.settings = settings
        self.rules = rules
        self.jobs = max(1, jobs)
        self.visible = PreparedBars(visible)
    }

    /// How validation runs every script, whatever the script asks for.
    package struct Rules: Sendable {
        package var minFee: Double
        package var minSlippage: Double

        package init(_ settings: ValidationSettings) {
            minFee = settings.minFee
            minSlippage = settings.minSlippage
        }

        /// The script's `strategy{}` settings made honest: next-open fills, costs at least the
        /// floor, funding on, `delay` more bars of execution lag.
        package func apply(_ config: inout BacktestConfig, delay: Int = 0) {
            config.fill = .nextOpen
            config.fee = max(config.fee, minFee)
            config.slippage = max(config.slippage, minSlippage)
            config.funding = true
            config.delay += delay
        }
    }

    /// The visible bars `range`, prepared once and reused (unless `cached` is false: a slice
    /// run once, such as a truncation of the lookahead check, is not kept).
    package func slice(_ range: Range<Int>, cached: Bool = true) -> PreparedBars {
        if range == 0..<visible.count { return visible }
        guard cached else { return PreparedBars(visible.bars.slice(range)) }
        lock.lock()
        if let cached = slices[range] { lock.unlock(); return cached }
        lock.unlock()
        let prepared = PreparedBars(visible.bars.slice(range))
        lock.lock()
        defer { lock.unlock() }
        if let raced = slices[range] { return raced }
        slices[range] = prepared
        return prepared
    }

    /// Forgets prepared slices (a finished rolling window's), so memory stays bounded.
    package func releaseSlices() {
        lock.lock()
        slices.removeAll()
        lock.unlock()
    }

    /// A window of the visible bars with up to `warmup` earlier bars before it: the slice the
    /// script sees and, inside it, the bars judged.
    package func window(_ bars: Range<Int>, warmup: Int) -> (data: PreparedBars, judged: Range<Int>) {
        let start = max(0, bars.lowerBound - warmup)
        return (slice(start..<bars.upperBound), (bars.lowerBound - start)..<(bars.upperBound - start))
    }

    /// One run: the script's layers over `data`, reported over `judged`.
    package func run(_ data: PreparedBars, judged: Range<Int>? = nil, parameters: [String: String] = [:],
                     delay: Int = 0) throws(ScriptError) -> ScriptRun {
        let runner = ScriptRunner(limits: settings.sandbox)
        lock.lock()
        if cancelled { lock.unlock(); throw ScriptError(kind: .resourceLimit(.interrupt), message: "interrupted") }
        active[ObjectIdentifier(runner)] = runner
        lock.unlock()
        defer {
            lock.lock()
            active[ObjectIdentifier(runner)] = nil
            lock.unlock()
        }
        let rules = self.rules
        return try ScriptRun.execute(source: source, path: path, data: data, settings: settings, parameters: parameters,
                                     runner: runner, judged: judged, scriptBacktests: false, factorReport: false,
                                     adjustBacktest: { rules.apply(&$0, delay: delay) }, print: { _ in })
    }

    /// Runs `count` tasks on `jobs` threads; results in task order.
    package func map<T: Sendable>(_ count: Int, _ task: @escaping @Sendable (Int) throws(ScriptError) -> T) -> [Result<T, ScriptError>] {
        guard count > 0 else { return [] }
        let results = ResultSlots<T>(count)
        let next = TaskCounter()
        DispatchQueue.concurrentPerform(iterations: min(jobs, count)) { _ in
            while let i = next.take(below: count) {
                results.set(i, Result { () throws(ScriptError) -> T in try task(i) })
            }
        }
        return results.values
    }

    /// Stops the runs in progress at their next instruction check, and refuses new ones.
    package func interrupt() {
        lock.lock()
        cancelled = true
        let runners = Array(active.values)
        lock.unlock()
        for runner in runners { runner.interrupt() }
    }

    package var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
}

/// Hands out task indices to worker threads.
private final class TaskCounter: @unchecked Sendable {
    // @unchecked Sendable: `next` is guarded by `lock`.
    private let lock = NSLock()
    private var next = 0
    func take(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}

/// One slot per task, written once by the worker that ran it.
private final class ResultSlots<T: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: every slot is written by one worker under `lock`, read after all finish.
    private let lock = NSLock()
    private var slots: [Result<T, ScriptError>?]
    init(_ count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: Result<T, ScriptError>) {
        lock.lock()
        slots[i] = value
        lock.unlock()
    }
    var values: [Result<T, ScriptError>] { slots.map { $0! } }
}
