import Primitives

/// Uniform random search: every point drawn independently, log-uniformly on log dimensions, each
/// integer and each category equally likely (Optuna's RandomSampler).
///
/// The baseline ``TreeParzenEstimator`` must beat, and its start-up phase.
package struct RandomSearch: Sampler {
    package let space: SearchSpace
    private let axes: [ModelAxis]
    private var rng: SeededRandom
    private var history = ObservationHistory()

    /// - Precondition: `space` passes ``SearchSpace/validate()``.
    package init(space: SearchSpace, seed: UInt64) {
        precondition((try? space.validate()) != nil, "validate() the search space before searching it")
        self.space = space
        self.axes = space.dimensions.map(ModelAxis.init)
        self.rng = SeededRandom(seed: seed)
    }

    /// `count` independent uniform points.
    /// - Complexity: O(count · dimensions).
    package mutating func suggest(count: Int) -> [SearchPoint] {
        precondition(count >= 0, "suggest(count:) needs count >= 0, got \(count)")
        return (0..<count).map { _ in Self.uniformPoint(axes, using: &rng) }
    }

    /// Records a result; random search does not learn from it, but keeps it for ``best``.
    /// - Precondition: `point` has one finite value per dimension.
    package mutating func observe(_ point: SearchPoint, value: Double?) {
        history.append(point, value: value, dimensions: axes.count)
    }

    package var observations: [(point: SearchPoint, value: Double)] { history.observations }
    package var best: (point: SearchPoint, value: Double)? { history.best }

    /// One uniform point: each dimension drawn in model space, in order, then mapped out.
    static func uniformPoint(_ axes: [ModelAxis], using rng: inout SeededRandom) -> SearchPoint {
        axes.map { $0.toExternal($0.uniformSample(using: &rng)) }
    }
}
