/// An ask-and-tell optimizer that maximises an objective over a ``SearchSpace``.
///
/// ```swift
/// var sampler = TreeParzenEstimator(space: space, seed: 7)
/// for _ in 0..<25 {
///     let batch = sampler.suggest(count: 2)             // a fixed batch: evaluate in any order
///     for point in batch { sampler.observe(point, value: sharpe(point)) }
/// }
/// print(sampler.best)
/// ```
package protocol Sampler: Sendable {
    /// Proposes `count` points to evaluate next.
    mutating func suggest(count: Int) -> [SearchPoint]
    /// Reports the objective at `point`; NaN, ±∞ and nil rank as the worst value.
    mutating func observe(_ point: SearchPoint, value: Double?)
    /// Every reported point and value, in report order (a nil value as NaN).
    var observations: [(point: SearchPoint, value: Double)] { get }
    /// The reported point with the highest finite value, the earliest on ties.
    var best: (point: SearchPoint, value: Double)? { get }
}
