import Primitives

/// The tree-structured Parzen estimator (Bergstra et al., 2011) with Optuna's `TPESampler`
/// defaults, as an ask-and-tell optimizer that maximises.
///
/// ```swift
/// let space = SearchSpace([.integer(name: "lookback", low: 5, high: 200, log: true),
///                          .real(name: "z", low: 0.5, high: 3, log: false)])
/// try space.validate()
/// var tpe = TreeParzenEstimator(space: space, seed: 1)
/// for _ in 0..<50 {
///     let point = tpe.suggest(count: 1)[0]
///     tpe.observe(point, value: backtestSharpe(point))
/// }
/// ```
///
/// How a point is proposed:
/// 1. While fewer than `startupTrials` (10) results are in, points are uniform (``RandomSearch``).
/// 2. Otherwise the observations are split by value: the best γ(n) = min(⌈n/10⌉, 25) form l(x),
///    the rest g(x) (NaN, ±∞ and nil rank last; ties keep report order).
/// 3. Each set becomes a ``ParzenEstimator`` (truncated normal kernels with Optuna's bandwidth
///    rule, magic clip and prior kernel of weight `priorWeight`; categorical kernels with the
///    prior spread over the categories; Optuna's ramp that down-weights all but the newest 25).
/// 4. `candidates` (24) points are drawn from l(x), and the one maximising log l(x) − log g(x)
///    is proposed (the first on ties).
///
/// Choices relative to Optuna 4.x:
/// - **Multivariate by default**, as Optuna now is for one objective: a kernel covers all
///   dimensions at once, so correlations between parameters are seen. `multivariate: false` gives
///   the classic independent TPE: every dimension gets its own estimators and candidates.
/// - **Integers** are sampled as reals on [low − 0.5, high + 0.5] (log of those for log integers)
///   and rounded; their likelihood is the kernel's mass on the integer's cell, as Optuna's
///   discrete distributions. **Log reals** are modelled in log space.
/// - **Batches**: `suggest(count:)` draws `count` independent proposals from one model. Optuna's
///   constant liar (pending points counted as bad) is not used; the batch is a pure function of
///   the seed and the reported history, whatever evaluates it and in whatever order.
/// - **Failed runs** (NaN, ±∞, nil) count as the worst observations instead of being dropped as
///   Optuna's failed trials are, so the search learns to avoid regions where a script breaks.
/// - **Randomness**: one ``SeededRandom`` stream, truncated normals by rejection instead of
///   inverse CDF, and ``PortableMath`` instead of libm: bit-identical proposals on every machine,
///   but not the same numbers as Optuna for the same seed.
///
/// - Complexity: ``suggest(count:)`` is O(count · candidates · n · d) for n observations and d
///   dimensions, plus O(d · n log n) to build the model. Release build, n = 200, d = 6, one
///   2-core x86_64: 0.28 ms with six reals, 0.43 ms with two of them integers (an integer costs
///   two `erfc` per distinct candidate value and distinct kernel), 1.4 ms univariate.
package struct TreeParzenEstimator: Sampler {
    package let space: SearchSpace
    /// Proposals that are uniform before the model is used.
    package let startupTrials: Int
    /// Draws from l(x) per proposal (Optuna's `n_ei_candidates`).
    package let candidates: Int
    /// The prior kernel's weight relative to one observation (Optuna's `prior_weight`).
    package let priorWeight: Double
    /// One joint model (true) or one model per dimension (false).
    package let multivariate: Bool
    private let axes: [ModelAxis]
    /// The dimensions the model sees: all but the fixed ones.
    private let modelled: [(index: Int, axis: ModelAxis)]
    private var rng: SeededRandom
    private var history = ObservationHistory()

    /// - Parameters:
    ///   - space: what to search; it must pass ``SearchSpace/validate()``.
    ///   - seed: the only source of randomness.
    ///   - startupTrials: results needed before the model is used (≥ 0).
    ///   - candidates: draws from l(x) per proposal (≥ 1).
    ///   - priorWeight: weight of the prior kernel (> 0).
    ///   - multivariate: one joint model (default) or independent models per dimension.
    package init(space: SearchSpace, seed: UInt64, startupTrials: Int = 10, candidates: Int = 24,
                 priorWeight: Double = 1, multivariate: Bool = true) {
        precondition((try? space.validate()) != nil, "validate() the search space before searching it")
        precondition(startupTrials >= 0, "startupTrials must be >= 0, got \(startupTrials)")
        precondition(candidates >= 1, "candidates must be >= 1, got \(candidates)")
        precondition(priorWeight > 0 && priorWeight.isFinite, "priorWeight must be positive, got \(priorWeight)")
        self.space = space
        self.startupTrials = startupTrials
        self.candidates = candidates
        self.priorWeight = priorWeight
        self.multivariate = multivariate
        self.axes = space.dimensions.map(ModelAxis.init)
        self.modelled = axes.enumerated().compactMap { index, axis in
            if case .fixed = axis { return nil }
            return (index, axis)
        }
        self.rng = SeededRandom(seed: seed)
    }

    /// Optuna's `default_gamma`: how many of n observations form l(x).
    package static func goodCount(observations n: Int) -> Int {
        Swift.min((n + 9) / 10, 25)
    }

    /// Proposes `count` points from the observations so far: independent draws from one model,
    /// a fixed batch whose result does not depend on how it is evaluated.
    /// - Complexity: see the type's discussion.
    package mutating func suggest(count: Int) -> [SearchPoint] {
        precondition(count >= 0, "suggest(count:) needs count >= 0, got \(count)")
        if history.count < startupTrials {
            return (0..<count).map { _ in RandomSearch.uniformPoint(axes, using: &rng) }
        }
        let (good, bad) = history.split(goodCount: Self.goodCount(observations: history.count))
        let goodPoints = good.map { history.points[$0] }
        let badPoints = bad.map { history.points[$0] }
        let groups = multivariate ? [modelled] : modelled.map { [$0] }
        let models = groups.map { group in
            (indices: group.map(\.index),
             l: ParzenEstimator(points: goodPoints, axes: group, priorWeight: priorWeight),
             g: ParzenEstimator(points: badPoints, axes: group, priorWeight: priorWeight))
        }
        // Fixed dimensions keep their one value; modelled ones are overwritten by the draws.
        let template: SearchPoint = axes.map { axis in
            if case .fixed(let v) = axis { return v }
            return 0
        }
        var points = [SearchPoint]()
        points.reserveCapacity(count)
        for _ in 0..<count {
            var point = template
            for model in models {
                var drawn = [SearchPoint](repeating: template, count: candidates)
                for i in 0..<candidates { model.l.sample(into: &drawn[i], using: &rng) }
                let logL = model.l.logDensities(of: drawn)
                let logG = model.g.logDensities(of: drawn)
                var bestIndex = 0, bestScore = -Double.infinity
                for i in 0..<candidates where logL[i] - logG[i] > bestScore {
                    bestScore = logL[i] - logG[i]
                    bestIndex = i
                }
                for index in model.indices { point[index] = drawn[bestIndex][index] }
            }
            points.append(point)
        }
        return points
    }

    /// Reports the objective at `point`, to maximise. NaN, ±∞ and nil rank as the worst value.
    /// Values outside the space are clamped into it (integers rounded) for the model; the point
    /// is stored as given.
    /// - Precondition: `point` has one finite value per dimension.
    /// - Complexity: O(d) amortised.
    package mutating func observe(_ point: SearchPoint, value: Double?) {
        history.append(point, value: value, dimensions: axes.count)
    }

    package var observations: [(point: SearchPoint, value: Double)] { history.observations }
    package var best: (point: SearchPoint, value: Double)? { history.best }
}
