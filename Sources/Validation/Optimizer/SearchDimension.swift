/// One dimension of a search space: one parameter of a trading script.
///
/// Bounds are inclusive. A log-scaled dimension is searched uniformly in log space (so 1...1000
/// spends as much effort on 1...10 as on 100...1000). Values travel as `Double` in a
/// ``SearchPoint``: integers and choice indices as whole numbers.
///
/// ```swift
/// let space = SearchSpace([
///     .integer(name: "lookback", low: 5, high: 200, log: true),
///     .real(name: "threshold", low: 0.5, high: 3, log: false),
///     .choice(name: "mode", count: 3),   // param.choice(name, {"a", "b", "c"}, default)
/// ])
/// ```
package enum SearchDimension: Sendable, Equatable {
    /// Whole numbers in `low...high`.
    case integer(name: String, low: Int, high: Int, log: Bool)
    /// Real numbers in `low...high`.
    case real(name: String, low: Double, high: Double, log: Bool)
    /// One of `count` unordered categories, as an index in `0..<count`.
    case choice(name: String, count: Int)

    /// The parameter's name, unique within a ``SearchSpace``.
    package var name: String {
        switch self {
        case .integer(let name, _, _, _), .real(let name, _, _, _), .choice(let name, _): name
        }
    }
}
