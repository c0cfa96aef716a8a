/// A search space that cannot be searched; ``description`` is the whole one-line message.
///
/// Example: `parameter 'lookback': low 200 is above high 5`.
package struct SearchSpaceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offending dimension's name.
    package let dimension: String
    /// What is wrong, without the dimension: `low 200 is above high 5`.
    package let problem: String

    package init(dimension: String, problem: String) {
        self.dimension = dimension
        self.problem = problem
    }

    package var description: String { "parameter '\(dimension)': \(problem)" }
}
