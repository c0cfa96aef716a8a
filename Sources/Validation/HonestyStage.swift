package import Backtest
import Evaluation
import Foundation
import Primitives
import Scripting

/// Stage 6, what no peer checks: is the Sharpe more than the best of many tries (deflated
/// Sharpe), does the optimizer's choice hold out of sample (PBO), does the edge survive one more
/// bar of delay, does the script still not look ahead with the chosen parameters, and is it more
/// than a copy of a strategy already saved.
package enum HonestyStage {
    package struct Outcome {
        package var result = StageResult(stage: .honesty)
        /// The chosen parameters' backtest over the visible span.
        package var backtest: BacktestResult?
    }

    package static func run(_ context: SymbolContext, chosen: [String: String], defaults: Bool, trials: [OptimizerTrial],
                            symbolIndex: Int, split: WalkForwardDetail?, lifetimeTrials: Int,
                            strategies: [(id: String, name: String, source: String)], settings: ValidationSettings,
                            progress: @escaping @Sendable (Int, Int) -> Void) -> Outcome {
        var outcome = Outcome()
        let h = settings.honesty
        let evaluator = context.evaluator
        let n = evaluator.visible.count
        let selection = 0..<(split?.validation.upperBound ?? n)

        // The runs behind the checks, in parallel: the visible span now and one bar later, and
        // the span the parameters were chosen on.
        let runs = evaluator.map(3) { k throws(ScriptError) -> ScriptRun in
            switch k {
            case 0: return try evaluator.run(evaluator.visible, parameters: chosen)
            case 1: return try evaluator.run(evaluator.visible, parameters: chosen, delay: 1)
            default: return try evaluator.run(evaluator.slice(selection), parameters: chosen)
            }
        }
        guard case .success(let now) = runs[0], case .success(let later) = runs[1], case .success(let chosenRun) = runs[2],
              let nowMetrics = now.metrics, let laterMetrics = later.metrics, let chosenBacktest = chosenRun.backtest else {
            var failed = StageResult(stage: .honesty)
            let error = runs.compactMap { r -> ScriptError? in if case .failure(let e) = r { return e }; return nil }.first
            failed.checks.append(Check(.lagSensitivity, "runs with the chosen parameters", value: .nan, .above, 0,
                                       failure: "the script fails with the chosen parameters on the visible span: \(error?.description ?? "no backtest")"))
            outcome.result = failed
            return outcome
        }
        outcome.backtest = now.backtest
        var result = StageResult(stage: .honesty)
        result.metrics["sharpe"] = nowMetrics.sharpe
        result.metrics["trades"] = Double(nowMetrics.trades)

        // Deflated Sharpe: the chosen parameters' daily Sharpe where they were chosen, against the
        // best Sharpe luck gives after every trial the knowledge base has seen.
        let daily = BacktestMetrics.dailyReturns(chosenBacktest).returns
        let moments = DeflatedSharpe.moments(daily)
        let perDay = moments.std > 0 ? moments.mean / moments.std : .nan
        let trialSharpes = trials.compactMap { t -> Double? in
            guard t.outcomes.indices.contains(symbolIndex) else { return nil }
            let s = t.outcomes[symbolIndex].sharpe
            return s.isFinite ? s : nil
        }
        let variance: Double
        let varianceSource: String
        if trialSharpes.count >= 2 {
            let mean = trialSharpes.reduce(0, +) / Double(trialSharpes.count)
            variance = trialSharpes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(trialSharpes.count - 1)
            varianceSource = "the variance of \(trialSharpes.count) optimizer trials' Sharpe (\(plain(variance, 3)))"
        } else {
            variance = h.sharpeVariancePrior
            varianceSource = "the prior variance \(plain(variance, 3)) (too few optimizer trials to measure it)"
        }
        let deflated = DeflatedSharpe.compute(sharpe: perDay, observations: daily.count, skewness: moments.skewness,
                                              kurtosis: moments.kurtosis, trials: max(1, lifetimeTrials), variance: variance / 365)
        let annual = 365.0.squareRoot()
        result.metrics["dsr"] = deflated.dsr
        result.metrics["dsr_sharpe"] = perDay * annual
        result.metrics["dsr_threshold"] = deflated.threshold * annual
        result.metrics["dsr_trials"] = Double(lifetimeTrials)
        result.notes.append("deflated Sharpe: Sharpe \(plain(perDay * annual)) over \(grouped(daily.count)) days of train+validation against "
                            + "SR₀ \(plain(deflated.threshold * annual)) from \(grouped(lifetimeTrials)) lifetime trials and \(varianceSource)")
        result.checks.append(Check(.deflatedSharpe, "deflated Sharpe", value: deflated.dsr, .atLeast, h.minDeflatedSharpe,
                                   failure: "deflated Sharpe \(plain(deflated.dsr, 3)) is below \(plain(h.minDeflatedSharpe)): after "
                                       + "\(grouped(lifetimeTrials)) trials, luck alone is expected to reach Sharpe \(plain(deflated.threshold * annual)), "
                                       + "and this one's \(plain(perDay * annual)) over \(grouped(daily.count)) days is not clearly above it"))

        // PBO over the optimizer's trials on this symbol's training window.
        if let pbo = probabilityOfOverfitting(trials, symbolIndex: symbolIndex, splits: h.pboSplits) {
            result.metrics["pbo"] = pbo.pbo
            result.notes.append("PBO by CSCV: \(trials.count) trials, \(h.pboSplits) blocks, \(grouped(pbo.combinations)) combinations; "
                                + "the chosen-in-sample trial loses out of sample in \(percent(pbo.probabilityOfLoss, 0)) of them")
            result.checks.append(Check(.overfitting, "PBO", value: pbo.pbo, .atMost, h.maxPBO,
                                       failure: "probability of backtest overfitting \(plain(pbo.pbo)) is above \(plain(h.maxPBO)): the "
                                           + "parameters best in sample land in the bottom half out of sample that often"))
        } else {
            result.notes.append("PBO: not measured (it needs at least 2 optimizer trials and \(2 * h.pboSplits) days of training data)")
        }

        // One more bar of delay.
        let retention = nowMetrics.sharpe > 0 ? laterMetrics.sharpe / nowMetrics.sharpe : .nan
        result.metrics["lag_sharpe"] = laterMetrics.sharpe
        result.metrics["lag_retention"] = retention
        let lagFailure = nowMetrics.sharpe > 0
            ? "Sharpe \(plain(nowMetrics.sharpe)) falls to \(plain(laterMetrics.sharpe)) with one more bar of delay (\(percent(retention, 0)) kept; "
                + "\(percent(h.minLagRetention, 0)) needed): the edge lives in the fill bar, which real execution cannot catch"
            : "with the chosen parameters the Sharpe over the visible span is \(plain(nowMetrics.sharpe)): there is no edge for a delay to test"
        result.checks.append(Check(.lagSensitivity, "Sharpe kept with +1 bar", value: retention, .atLeast, h.minLagRetention,
                                   failure: lagFailure))

        // The lookahead check again, when the chosen parameters are not the defaults it ran with.
        if !defaults {
            let again = LookaheadCheck.judge(evaluator, base: now, parameters: chosen, points: h.lookaheadPoints,
                                             warmup: settings.warmupBars, progress: progress)
            result.checks += again.checks.filter { !$0.passed }
        }

        // Originality against the saved strategies.
        let candidate = BacktestMetrics.dailyReturns(now.backtest!)
        var worst: (id: String, name: String, correlation: Double, days: Int)? = nil
        for s in strategies {
            guard let other = try? ScriptRun.execute(source: s.source, path: s.id, data: evaluator.visible, settings: evaluator.settings,
                                                     runner: ScriptRunner(limits: evaluator.settings.sandbox),
                                                     adjustBacktest: { $0.fill = .nextOpen }, print: { _ in }),
                  let backtest = other.backtest else { continue }
            let (r, days) = correlation(candidate, BacktestMetrics.dailyReturns(backtest))
            guard days >= 30, r.isFinite else { continue }
            if worst == nil || r > worst!.correlation { worst = (s.id, s.name, r, days) }
        }
        if let worst {
            result.metrics["max_self_correlation"] = worst.correlation
            result.checks.append(Check(.selfCorrelation, "correlation with \(worst.id)", value: worst.correlation, .atMost,
                                       h.maxSelfCorrelation,
                                       failure: "daily returns correlate \(plain(worst.correlation)) with \(worst.id) (\(worst.name)) over their "
                                           + "\(worst.days) common days (at most \(plain(h.maxSelfCorrelation))): a near-duplicate of a saved strategy"))
        } else {
            result.notes.append("originality: \(strategies.isEmpty ? "no saved strategies to compare with" : "no saved strategy overlaps enough to compare")")
        }
        outcome.result = result
        return outcome
    }

    /// CSCV over the trials' daily returns on the training window, aligned by day.
    static func probabilityOfOverfitting(_ trials: [OptimizerTrial], symbolIndex: Int, splits: Int) -> BacktestOverfitting.Result? {
        let outcomes = trials.compactMap { $0.outcomes.indices.contains(symbolIndex) ? $0.outcomes[symbolIndex] : nil }
        guard outcomes.count >= 2, let reference = outcomes.max(by: { $0.days.count < $1.days.count })?.days,
              !reference.isEmpty else { return nil }
        // Every successful run on the window has the same days; a failed one earned nothing.
        let matrix = outcomes.map { $0.days == reference ? $0.returns : [Double](repeating: 0, count: reference.count) }
        return BacktestOverfitting.cscv(returns: matrix, splits: splits)
    }

    /// Pearson correlation of two daily return series on their common days.
    static func correlation(_ a: (days: [Int], returns: [Double]), _ b: (days: [Int], returns: [Double])) -> (Double, Int) {
        var byDay: [Int: Double] = [:]
        for (d, r) in zip(b.days, b.returns) { byDay[d] = r }
        var xs: [Double] = [], ys: [Double] = []
        for (d, r) in zip(a.days, a.returns) {
            if let other = byDay[d], r.isFinite, other.isFinite { xs.append(r); ys.append(other) }
        }
        guard xs.count >= 3 else { return (.nan, xs.count) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
            syy += (y - my) * (y - my)
        }
        guard sxx > 0, syy > 0 else { return (.nan, xs.count) }
        return (sxy / (sxx * syy).squareRoot(), xs.count)
    }
}
