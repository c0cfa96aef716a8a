import Backtest
import Evaluation
import Foundation
import Scripting

/// Stage 5: rolling windows. Each train window (2160 h by default, scaled to bars by the
/// interval) gets its own optimization; the parameters best on it are judged on the test window
/// right after (720 h), and the windows step forward (720 h). The procedure passes when enough
/// test windows make money and out-of-sample Sharpe keeps enough of the in-sample one.
package enum RollingStage {
    package struct Outcome {
        package var result: StageResult
        package var windows: [RollingWindow] = []
        /// Each window's optimizer trials, for the ledger.
        package var trials: [[OptimizerTrial]] = []
        package var trainWindows: [Range<Int>] = []
    }

    /// Window lengths in bars for an interval.
    package static func windowBars(_ s: ValidationSettings.RollingSettings, barMilliseconds: Double) -> (train: Int, test: Int, step: Int) {
        func bars(_ hours: Double) -> Int { max(1, Int((hours * 3_600_000 / barMilliseconds).rounded())) }
        return (bars(s.trainHours), bars(s.testHours), bars(s.stepHours))
    }

    /// The (train, test) windows over `n` bars, oldest first.
    package static func windows(_ n: Int, train: Int, test: Int, step: Int) -> [(train: Range<Int>, test: Range<Int>)] {
        var out: [(Range<Int>, Range<Int>)] = []
        var start = 0
        while start + train + test <= n {
            out.append((start..<(start + train), (start + train)..<(start + train + test)))
            start += step
        }
        return out
    }

    package static func run(_ context: SymbolContext, space: ParameterSpace, settings: ValidationSettings, seed: UInt64,
                            state: ValidatorState, progress: @escaping @Sendable (Int, Int) -> Void) -> Outcome {
        let s = settings.rolling
        let (trainBars, testBars, stepBars) = windowBars(s, barMilliseconds: context.barMilliseconds)
        let list = windows(context.data.bars.count, train: trainBars, test: testBars, step: stepBars)
        let budget = space.isEmpty ? 1 : max(1, s.trials)
        let done = Counter()
        // Windows are independent: one per thread, each optimized in its own fixed sequence, so
        // the result does not depend on the thread count.
        let results = context.evaluator.map(list.count) { w throws(ScriptError) -> (OptimizerTrial, TrialOutcome, [OptimizerTrial]) in
            let (train, test) = list[w]
            let trials = ParameterOptimizer.optimize(space, budget: budget, seed: seed &+ UInt64(w + 1), evaluate: { points in
                points.map { [TrialOutcome.run(context.evaluator, window: train, warmup: settings.warmupBars,
                                               parameters: space.overrides($0), minimumTrades: settings.optimizerMinTrades)] }
            }, cancelled: { state.cancelled })
            let best = ParameterOptimizer.ranked(trials, limit: 1).first ?? trials[0]
            let outcome = TrialOutcome.run(context.evaluator, window: test, warmup: settings.warmupBars,
                                           parameters: space.overrides(best.point))
            progress(done.increment(), list.count)
            return (best, outcome, trials)
        }
        var outcome = Outcome(result: StageResult(stage: .rolling))
        for (w, r) in results.enumerated() {
            guard case .success(let (best, test, trials)) = r else { continue }
            outcome.trials.append(trials)
            outcome.trainWindows.append(list[w].train)
            outcome.windows.append(RollingWindow(train: list[w].train, test: list[w].test, trainSharpe: best.objective,
                                                 testSharpe: test.sharpe, testReturn: test.metrics?.totalReturn ?? 0,
                                                 testTrades: test.metrics?.trades ?? 0, parameters: space.describe(best.point)))
        }
        let windows = outcome.windows
        let positive = windows.filter { $0.testReturn > 0 }.count
        let share = windows.isEmpty ? .nan : Double(positive) / Double(windows.count)
        let trainSharpes = windows.map(\.trainSharpe).filter(\.isFinite)
        let meanTrain = trainSharpes.isEmpty ? .nan : trainSharpes.reduce(0, +) / Double(trainSharpes.count)
        // A test window without trades has no Sharpe; it earned nothing, so it counts as 0.
        let testSharpes = windows.map { $0.testSharpe.isFinite ? $0.testSharpe : 0 }
        let meanTest = testSharpes.isEmpty ? .nan : testSharpes.reduce(0, +) / Double(testSharpes.count)
        let decay = meanTrain > 0 ? meanTest / meanTrain : .nan
        var result = StageResult(stage: .rolling)
        result.metrics = ["rolling_windows": Double(windows.count), "rolling_positive_share": share,
                          "rolling_train_sharpe": meanTrain, "rolling_test_sharpe": meanTest, "rolling_decay_ratio": decay]
        result.notes.append("\(windows.count) windows: \(trainBars) train bars, \(testBars) test bars, step \(stepBars); "
                            + "\(budget) trials per train window")
        result.checks.append(Check(.rollingPositiveShare, "positive test windows", value: share, .atLeast, s.minPositiveShare,
                                   failure: "\(positive) of \(windows.count) rolling test windows (\(ReportFormat.percent(share, 0))) made money; "
                                       + "\(ReportFormat.percent(s.minPositiveShare, 0)) needed: the edge comes and goes with the market regime"))
        let decayFailure = meanTrain > 0
            ? "mean test Sharpe \(ReportFormat.plain(meanTest)) keeps \(ReportFormat.percent(decay, 0)) of the mean train Sharpe \(ReportFormat.plain(meanTrain)); "
                + "\(ReportFormat.percent(s.minDecayRatio, 0)) needed: parameters fitted on each window do not hold in the next"
            : "parameters re-optimized on each train window average Sharpe \(ReportFormat.plain(meanTrain)) there: nothing for the test windows to keep"
        result.checks.append(Check(.rollingDecayRatio, "test/train Sharpe", value: decay, .atLeast, s.minDecayRatio, failure: decayFailure))
        outcome.result = result
        return outcome
    }
}

/// A thread-safe count of finished units, for progress.
final class Counter: @unchecked Sendable {
    // @unchecked Sendable: `value` is guarded by `lock`.
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
