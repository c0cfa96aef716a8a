import Backtest
import Evaluation
import Foundation
package import MarketData
import Scripting

/// A symbol's walk-forward windows, as bar ranges of its visible bars.
package struct WalkForwardSplit: Sendable, Equatable {
    package let train: Range<Int>
    package let validation: Range<Int>
    package let test: Range<Int>
}

/// Stage 4: walk-forward 60/20/20. Parameters are optimized on each symbol's training window
/// (one parameter set for all symbols: the mean of their Sharpe ratios), the best few are run on
/// the validation window and the best there is chosen, and the choice is reported on the test
/// window. Nothing is ever optimized on the validation or test bars.
package enum WalkForwardStage {
    package struct Outcome {
        /// The optimizer's trials on the training windows, in proposal order.
        package var trials: [OptimizerTrial] = []
        package var chosen: SearchPoint = []
        /// Per symbol, in the order given.
        package var results: [StageResult] = []
        package var details: [WalkForwardDetail] = []
        /// Per symbol: the bars the trials were judged on.
        package var trainWindows: [Range<Int>] = []
    }

    /// Where train ends and test begins, as open times, for every symbol at once: shares of the
    /// span from the earliest first bar to the latest last bar. One time for all symbols, so no
    /// symbol's training or validation bars share a time with another's test window (correlated
    /// markets would leak it into the jointly chosen parameters).
    package static func cuts(_ bars: [Bars], _ s: ValidationSettings.WalkForwardSettings) -> (validation: Double, test: Double) {
        let first = bars.compactMap(\.time.first).min() ?? 0
        let last = bars.compactMap(\.time.last).max() ?? 0
        let span = last - first
        return (first + span * s.train, first + span * (s.train + s.validation))
    }

    /// One symbol's train, validation and test bars for those cut times.
    package static func split(_ bars: Bars, cuts: (validation: Double, test: Double)) -> WalkForwardSplit {
        let validationStart = bars.index(atOrAfter: cuts.validation)
        let testStart = max(validationStart, bars.index(atOrAfter: cuts.test))
        return WalkForwardSplit(train: 0..<validationStart, validation: validationStart..<testStart, test: testStart..<bars.count)
    }

    package static func run(contexts: [SymbolContext], space: ParameterSpace, settings: ValidationSettings, seed: UInt64,
                            state: ValidatorState, progress: @escaping @Sendable (ValidationProgress) -> Void) -> Outcome {
        var outcome = Outcome()
        let splits = contexts.map(\.split)
        outcome.trainWindows = splits.map(\.train)
        let budget = space.isEmpty ? 1 : max(1, settings.trials)
        let symbols = contexts.map(\.symbol).joined(separator: ",")

        // Train: every proposal on every symbol's training window, both cores busy.
        outcome.trials = ParameterOptimizer.optimize(space, budget: budget, seed: seed, evaluate: { points in
            evaluate(points, contexts: contexts, windows: splits.map(\.train), space: space, warmup: settings.warmupBars,
                     minimumTrades: settings.optimizerMinTrades)
        }, progress: { done in
            progress(ValidationProgress(symbol: symbols, stage: .walkForward, done: done, total: budget))
        }, cancelled: { state.cancelled })

        // Validation: the best few training trials; the best mean validation Sharpe is chosen
        // (the better training Sharpe breaks a tie).
        let candidates = ParameterOptimizer.ranked(outcome.trials, limit: settings.walkForward.candidates)
        let validation = evaluate(candidates.map(\.point), contexts: contexts, windows: splits.map(\.validation), space: space,
                                  warmup: settings.warmupBars)
        var best = 0
        var bestValue = -Double.infinity
        for (k, outcomes) in validation.enumerated() {
            let value = OptimizerTrial.mean(outcomes.map(\.sharpe))
            if value.isFinite, value > bestValue { best = k; bestValue = value }
        }
        let chosen = candidates.isEmpty ? OptimizerTrial(index: 0, point: space.defaults, outcomes: []) : candidates[best]
        outcome.chosen = chosen.point
        let test = evaluate([chosen.point], contexts: contexts, windows: splits.map(\.test), space: space,
                            warmup: settings.warmupBars)[0]
        let chosenValidation = validation.isEmpty ? [] : validation[best]

        let t = settings.walkForward
        for (k, context) in contexts.enumerated() {
            var result = StageResult(stage: .walkForward)
            let train = chosen.outcomes.indices.contains(k) ? chosen.outcomes[k].sharpe : .nan
            let valid = chosenValidation.indices.contains(k) ? chosenValidation[k].sharpe : .nan
            let tested = test[k]
            let testSharpe = tested.sharpe
            let (trainBars, validationBars, testBars) = (splits[k].train, splits[k].validation, splits[k].test)
            result.metrics["wf_trials"] = Double(outcome.trials.count)
            result.metrics["wf_train_sharpe"] = train
            result.metrics["wf_validation_sharpe"] = valid
            result.metrics["wf_test_sharpe"] = testSharpe
            result.metrics["wf_test_trades"] = Double(tested.metrics?.trades ?? 0)
            result.metrics["wf_test_return"] = tested.metrics?.totalReturn ?? .nan
            let bars = context.data.bars
            func span(_ r: Range<Int>) -> String {
                r.isEmpty ? "—" : "\(TimeBound.format(bars.time[r.lowerBound]).prefix(10)) → \(TimeBound.format(bars.time[r.upperBound - 1]).prefix(10))"
            }
            result.notes.append("train \(span(trainBars)), validation \(span(validationBars)), test \(span(testBars)); "
                                + "\(outcome.trials.count) trials, \(candidates.count) candidates on validation")
            if !space.isEmpty { result.notes.append("chosen: \(space.describe(chosen.point))") }
            let testTrades = tested.metrics?.trades ?? 0
            result.checks.append(Check(.walkForwardValidationSharpe, "validation Sharpe", value: valid, .above, t.minValidationSharpe,
                                       failure: "the best of \(candidates.count) trained candidates has Sharpe \(ReportFormat.plain(valid)) on the validation window "
                                           + "(\(span(validationBars))): what was fitted on the training bars does not carry forward"))
            result.checks.append(Check(.walkForwardTestTrades, "test trades", value: Double(testTrades), .atLeast, Double(t.minTestTrades),
                                       failure: "the chosen parameters make \(testTrades) trades on the test window (\(span(testBars))); "
                                           + "\(t.minTestTrades) needed for its Sharpe to mean anything"))
            result.checks.append(Check(.walkForwardTestSharpe, "test Sharpe", value: testSharpe, .above, t.minTestSharpe,
                                       failure: "Sharpe \(ReportFormat.plain(testSharpe)) on the test window (\(span(testBars)), \(testTrades) trades) "
                                           + "is not above \(ReportFormat.plain(t.minTestSharpe)) with the parameters chosen on validation"))
            outcome.results.append(result)
            outcome.details.append(WalkForwardDetail(train: trainBars, validation: validationBars, test: testBars,
                                                     trainSharpe: train, validationSharpe: valid, testSharpe: testSharpe))
        }
        return outcome
    }

    /// Runs each point on each symbol's window (with warm-up bars before it), in parallel; one
    /// outcome list per point, symbols in order.
    package static func evaluate(_ points: [SearchPoint], contexts: [SymbolContext], windows: [Range<Int>], space: ParameterSpace,
                                 warmup: Int, minimumTrades: Int = 1) -> [[TrialOutcome]] {
        guard !points.isEmpty else { return [] }
        let tasks = points.count * contexts.count
        let results = contexts.isEmpty ? [] : contexts[0].evaluator.map(tasks) { task throws(ScriptError) -> TrialOutcome in
            let (p, s) = (task / contexts.count, task % contexts.count)
            return TrialOutcome.run(contexts[s].evaluator, window: windows[s], warmup: warmup, parameters: space.overrides(points[p]),
                                    minimumTrades: minimumTrades)
        }
        return (0..<points.count).map { p in
            (0..<contexts.count).map { s in
                switch results[p * contexts.count + s] {
                case .success(let outcome): return outcome
                case .failure(let error): return TrialOutcome(error: error)
                }
            }
        }
    }
}

extension TrialOutcome {
    /// Runs `parameters` on a window of the evaluator's visible bars and keeps what the
    /// optimizer and the honesty checks need (not the bars or the masks).
    package static func run(_ evaluator: ScriptEvaluator, window: Range<Int>, warmup: Int, parameters: [String: String],
                            delay: Int = 0, minimumTrades: Int = 1) -> TrialOutcome {
        let started = Date()
        let (data, judged) = evaluator.window(window, warmup: warmup)
        var outcome = TrialOutcome(startedAt: started, minimumTrades: minimumTrades)
        do {
            let run = try evaluator.run(data, judged: judged, parameters: parameters, delay: delay)
            if let backtest = run.backtest {
                outcome.metrics = run.metrics
                (outcome.days, outcome.returns) = BacktestMetrics.dailyReturns(backtest)
            }
        } catch {
            outcome.error = error
        }
        outcome.seconds = Date().timeIntervalSince(started)
        return outcome
    }
}
