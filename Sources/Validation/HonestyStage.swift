package import Backtest
import Evaluation
import Foundation
import Primitives
import Scripting

/// Stage 6, what no peer checks: is the Sharpe more than the best of many tries (deflated
/// Sharpe), does the optimizer's choice hold out of sample (PBO), does the edge survive one more
/// bar of delay, and is it more than a copy of a strategy already saved. Everything here is
/// measured on the in-sample bars (train + validation): the walk-forward test window stays out of
/// sample. (The lookahead check with the chosen parameters runs at the end of walk-forward.)
package enum HonestyStage {
    package struct Outcome {
        package var result = StageResult(stage: .honesty)
        /// The chosen parameters' backtest over the visible span, for the report's tear sheet.
        package var backtest: BacktestResult?
    }

    /// - Parameters:
    ///   - space: the script's parameter space (the PBO needs parameters, and cannot ask for more
    ///     distinct points than the space holds).
    ///   - symbolIndex: this symbol's place in the walk-forward trials' outcomes.
    package static func run(_ context: SymbolContext, chosen: [String: String], space: ParameterSpace, trials: [OptimizerTrial],
                            symbolIndex: Int?, lifetimeTrials: Int, strategies: [(id: String, name: String, source: String)],
                            settings: ValidationSettings) -> Outcome {
        var outcome = Outcome()
        let h = settings.honesty
        let evaluator = context.evaluator
        let inSample = context.inSample

        // The runs behind the checks, in parallel: the in-sample bars now and one bar later, and
        // the whole visible span for the report.
        let runs = evaluator.map(3) { k throws(ScriptError) -> ScriptRun in
            switch k {
            case 0: return try evaluator.run(evaluator.slice(inSample), parameters: chosen)
            case 1: return try evaluator.run(evaluator.slice(inSample), parameters: chosen, delay: 1)
            default: return try evaluator.run(evaluator.visible, parameters: chosen)
            }
        }
        guard case .success(let now) = runs[0], case .success(let later) = runs[1], case .success(let whole) = runs[2],
              let nowMetrics = now.metrics, let laterMetrics = later.metrics, let nowBacktest = now.backtest else {
            var failed = StageResult(stage: .honesty)
            let error = runs.compactMap { r -> ScriptError? in if case .failure(let e) = r { return e }; return nil }.first
            failed.checks.append(Check(.lagSensitivity, "runs with the chosen parameters", value: .nan, .above, 0,
                                       failure: "the script fails with the chosen parameters on the visible span: \(error?.description ?? "no backtest")"))
            outcome.result = failed
            return outcome
        }
        outcome.backtest = whole.backtest
        var result = StageResult(stage: .honesty)
        // The chosen parameters' numbers over the visible span (what a promoted strategy's rerun
        // line shows), apart from the quick gates' (which ran the defaults in sample).
        if let wholeMetrics = whole.metrics {
            for (key, value) in MetricSchema.ledger(factor: [], signal: nil, backtest: wholeMetrics) { result.metrics["chosen_" + key] = value }
        }

        // Deflated Sharpe: the chosen parameters' daily Sharpe where they were chosen, against the
        // best Sharpe luck gives after every trial the knowledge base has seen.
        let daily = BacktestMetrics.dailyReturns(nowBacktest).returns
        let moments = DeflatedSharpe.moments(daily)
        let perDay = moments.std > 0 ? moments.mean / moments.std : .nan
        let trialSharpes = trials.compactMap { t -> Double? in
            guard let k = symbolIndex, t.outcomes.indices.contains(k) else { return nil }
            let s = t.outcomes[k].objective
            return s.isFinite ? s : nil
        }
        let variance: Double
        let varianceSource: String
        if trialSharpes.count >= 2 {
            let mean = trialSharpes.reduce(0, +) / Double(trialSharpes.count)
            variance = trialSharpes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(trialSharpes.count - 1)
            varianceSource = "the variance of \(trialSharpes.count) optimizer trials' Sharpe (\(ReportFormat.plain(variance, 3)))"
        } else {
            variance = h.sharpeVariancePrior
            varianceSource = "the prior variance \(ReportFormat.plain(variance, 3)) (too few optimizer trials to measure it)"
        }
        let deflated = DeflatedSharpe.compute(sharpe: perDay, observations: daily.count, skewness: moments.skewness,
                                              kurtosis: moments.kurtosis, trials: max(1, lifetimeTrials), variance: variance / 365)
        let annual = 365.0.squareRoot()
        result.metrics["dsr"] = deflated.dsr
        result.metrics["dsr_sharpe"] = perDay * annual
        result.metrics["dsr_threshold"] = deflated.threshold * annual
        result.metrics["dsr_trials"] = Double(lifetimeTrials)
        result.notes.append("deflated Sharpe: Sharpe \(ReportFormat.plain(perDay * annual)) over \(ReportFormat.grouped(daily.count)) days of "
                            + "train+validation against SR₀ \(ReportFormat.plain(deflated.threshold * annual)) from "
                            + "\(ReportFormat.grouped(lifetimeTrials)) lifetime trials and \(varianceSource)")
        result.checks.append(Check(.deflatedSharpe, "deflated Sharpe", value: deflated.dsr, .atLeast, h.minDeflatedSharpe,
                                   failure: "deflated Sharpe \(ReportFormat.plain(deflated.dsr, 3)) is below \(ReportFormat.plain(h.minDeflatedSharpe)): "
                                       + "after \(ReportFormat.grouped(lifetimeTrials)) trials, luck alone is expected to reach Sharpe "
                                       + "\(ReportFormat.plain(deflated.threshold * annual)), and this one's \(ReportFormat.plain(perDay * annual)) over "
                                       + "\(ReportFormat.grouped(daily.count)) days is not clearly above it"))

        // PBO over the optimizer's trials on this symbol's training window: the ones that traded,
        // each point once (a trial that never trades is no competitor for the in-sample winner).
        let needed = min(h.pboMinTrials, space.cardinality ?? h.pboMinTrials)
        if !space.isEmpty, needed >= 2 {
            let active = activeTrials(trials, symbolIndex: symbolIndex)
            if active.count >= needed, let pbo = BacktestOverfitting.cscv(returns: active, splits: h.pboSplits) {
                result.metrics["pbo"] = pbo.pbo
                result.notes.append("PBO by CSCV: \(active.count) of \(trials.count) trials traded, \(h.pboSplits) blocks, "
                                    + "\(ReportFormat.grouped(pbo.combinations)) combinations; the chosen-in-sample trial loses out of sample in "
                                    + "\(ReportFormat.percent(pbo.probabilityOfLoss, 0)) of them")
                result.checks.append(Check(.overfitting, "PBO", value: pbo.pbo, .atMost, h.maxPBO,
                                           failure: "probability of backtest overfitting \(ReportFormat.plain(pbo.pbo)) is above \(ReportFormat.plain(h.maxPBO)): the "
                                               + "parameters best in sample land in the bottom half out of sample that often"))
            } else {
                result.checks.append(Check(.overfitting, "PBO", value: .nan, .atMost, h.maxPBO,
                                           failure: "the PBO cannot be measured: only \(active.count) distinct parameter sets of \(trials.count) "
                                               + "optimizer trials traded, \(needed) needed (more --trials, or ranges where the script trades)"))
            }
        } else {
            result.notes.append("PBO: not measured, the script has \(space.isEmpty ? "no parameters" : "a single parameter set") to optimize")
        }

        // One more bar of delay, on the in-sample bars.
        let retention = nowMetrics.sharpe > 0 ? laterMetrics.sharpe / nowMetrics.sharpe : .nan
        result.metrics["lag_sharpe"] = laterMetrics.sharpe
        result.metrics["lag_retention"] = retention
        let lagFailure = nowMetrics.sharpe > 0
            ? "Sharpe \(ReportFormat.plain(nowMetrics.sharpe)) falls to \(ReportFormat.plain(laterMetrics.sharpe)) with one more bar of delay (\(ReportFormat.percent(retention, 0)) kept; "
                + "\(ReportFormat.percent(h.minLagRetention, 0)) needed): the edge lives in the fill bar, which real execution cannot catch"
            : "with the chosen parameters the Sharpe over the in-sample bars is \(ReportFormat.plain(nowMetrics.sharpe)): there is no edge for a delay to test"
        result.checks.append(Check(.lagSensitivity, "Sharpe kept with +1 bar", value: retention, .atLeast, h.minLagRetention,
                                   failure: lagFailure))

        // Originality against the saved strategies.
        let candidate = BacktestMetrics.dailyReturns(nowBacktest)
        var worst: (id: String, name: String, correlation: Double, days: Int)? = nil
        for s in strategies {
            let rules = evaluator.rules
            guard let other = try? ScriptRun.execute(source: s.source, path: s.id, data: evaluator.slice(inSample),
                                                     settings: evaluator.settings, scriptBacktests: false, factorReport: false,
                                                     adjustBacktest: { rules.apply(&$0) }, print: { _ in }),
                  let backtest = other.backtest else { continue }
            let (r, days) = correlation(candidate, BacktestMetrics.dailyReturns(backtest))
            guard days >= h.minCommonDays, r.isFinite else { continue }
            if worst == nil || r > worst!.correlation { worst = (s.id, s.name, r, days) }
        }
        if let worst {
            result.metrics["max_self_correlation"] = worst.correlation
            result.checks.append(Check(.selfCorrelation, "correlation with \(worst.id)", value: worst.correlation, .atMost,
                                       h.maxSelfCorrelation,
                                       failure: "daily returns correlate \(ReportFormat.plain(worst.correlation)) with \(worst.id) (\(worst.name)) over their "
                                           + "\(worst.days) common days (at most \(ReportFormat.plain(h.maxSelfCorrelation))): a near-duplicate of a saved strategy"))
        } else {
            result.notes.append("originality: \(strategies.isEmpty ? "no saved strategies to compare with" : "no saved strategy overlaps enough to compare")")
        }
        outcome.result = result
        return outcome
    }

    /// The daily returns, on the training window, of the trials that traded and did not fail,
    /// each point once and none constant: the CSCV's matrix.
    static func activeTrials(_ trials: [OptimizerTrial], symbolIndex: Int?) -> [[Double]] {
        guard let k = symbolIndex else { return [] }
        var seen = Set<[Double]>()
        var rows: [[Double]] = []
        var days: [Int]? = nil
        for t in trials where t.outcomes.indices.contains(k) && !seen.contains(t.point) {
            let o = t.outcomes[k]
            guard o.traded, let first = o.returns.first, o.returns.contains(where: { $0 != first }) else { continue }
            // Every successful run on the window has the same days.
            if days == nil { days = o.days }
            guard o.days == days else { continue }
            seen.insert(t.point)
            rows.append(o.returns)
        }
        return rows
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
