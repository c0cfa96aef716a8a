package import Backtest
package import Foundation
package import Scripting

/// What one run of one parameter set on one symbol's window gave: the backtest's metrics and
/// daily returns, or the script's error.
package struct TrialOutcome: Sendable {
    package var metrics: BacktestMetrics?
    package var days: [Int] = []
    package var returns: [Double] = []
    package var error: ScriptError?
    package var seconds = 0.0
    package var startedAt = Date()
    /// Trades the run needs for its Sharpe to count as the optimizer's objective.
    package var minimumTrades = 1

    /// The daily Sharpe when the run traded, NaN otherwise.
    package var sharpe: Double {
        guard let m = metrics, m.trades > 0, m.sharpe.isFinite else { return .nan }
        return m.sharpe
    }

    /// The optimizer's objective on this window: the daily Sharpe of a run with at least
    /// ``minimumTrades`` trades, NaN otherwise (too few trades, or an error, is the worst observation).
    package var objective: Double {
        guard let m = metrics, m.trades >= max(1, minimumTrades) else { return .nan }
        return sharpe
    }

    /// Whether the run took part in the market (for the PBO: a trial that never trades is not a
    /// competitor the in-sample winner can be measured against).
    package var traded: Bool { (metrics?.trades ?? 0) > 0 && error == nil }
}

/// One point the optimizer tried, with its outcome on every symbol.
package struct OptimizerTrial: Sendable {
    /// Order of proposal: 0 is the script's own defaults.
    package let index: Int
    package let point: SearchPoint
    package let outcomes: [TrialOutcome]

    /// The mean objective over the symbols; NaN when any symbol gave none (the parameters must
    /// work everywhere they are asked to).
    package var objective: Double { Self.mean(outcomes.map(\.objective)) }

    /// The mean of values that must all be finite; NaN otherwise.
    package static func mean(_ values: [Double]) -> Double {
        guard !values.isEmpty, values.allSatisfy(\.isFinite) else { return .nan }
        return values.reduce(0, +) / Double(values.count)
    }
}

/// Drives the TPE over a script's parameter space: the script's defaults first, then the
/// sampler's proposals in fixed batches, so the trials are the same for a seed whatever the
/// number of threads evaluating them.
package enum ParameterOptimizer {
    /// Proposals per model update after the start-up trials. Fixed, not the thread count: the
    /// sequence of proposals must not depend on the machine.
    package static let batchSize = 4

    /// - Parameters:
    ///   - budget: trials in all, the defaults included (at least 1).
    ///   - evaluate: runs a batch of points; returns one outcome list (per symbol) per point, in order.
    ///   - progress: trials done so far.
    package static func optimize(_ space: ParameterSpace, budget: Int, seed: UInt64,
                                 evaluate: ([SearchPoint]) -> [[TrialOutcome]],
                                 progress: (Int) -> Void = { _ in }, cancelled: () -> Bool = { false }) -> [OptimizerTrial] {
        var trials: [OptimizerTrial] = []
        func record(_ points: [SearchPoint], _ outcomes: [[TrialOutcome]]) {
            for (point, outcome) in zip(points, outcomes) {
                trials.append(OptimizerTrial(index: trials.count, point: point, outcomes: outcome))
            }
            progress(trials.count)
        }
        let defaults = space.defaults
        guard !space.isEmpty, budget > 1 else {
            record([defaults], evaluate([defaults]))
            return trials
        }
        var sampler = TreeParzenEstimator(space: space.space, seed: seed)
        // The start-up batch: the script's defaults and random points, all at once.
        var first = [defaults] + sampler.suggest(count: min(sampler.startupTrials, budget) - 1).map(space.rounded)
        first = Array(first.prefix(budget))
        record(first, evaluate(first))
        for trial in trials { sampler.observe(trial.point, value: trial.objective) }
        while trials.count < budget, !cancelled() {
            let batch = sampler.suggest(count: min(batchSize, budget - trials.count)).map(space.rounded)
            let before = trials.count
            record(batch, evaluate(batch))
            for trial in trials[before...] { sampler.observe(trial.point, value: trial.objective) }
        }
        return trials
    }

    /// The best trials by objective (NaN last, earlier first on ties), distinct points only.
    package static func ranked(_ trials: [OptimizerTrial], limit: Int) -> [OptimizerTrial] {
        var seen = Set<[Double]>()
        let sorted = trials.sorted { a, b in
            let (x, y) = (a.objective, b.objective)
            if x.isNaN != y.isNaN { return !x.isNaN }
            if x != y, !x.isNaN { return x > y }
            return a.index < b.index
        }
        var out: [OptimizerTrial] = []
        for t in sorted where !seen.contains(t.point) {
            seen.insert(t.point)
            out.append(t)
            if out.count == limit { break }
        }
        return out
    }
}
