/// A point in a ``SearchSpace``: one value per dimension, in dimension order. Integers and choice
/// indices are whole numbers.
package typealias SearchPoint = [Double]

/// The parameters an optimizer searches, in order.
///
/// Call ``validate()`` before handing a space to ``TreeParzenEstimator`` or ``RandomSearch``:
/// they treat an invalid space as a programmer error.
package struct SearchSpace: Sendable, Equatable {
    /// Integers beyond this magnitude are not all representable as `Double`.
    package static let largestExactInteger = 1 << 53

    package var dimensions: [SearchDimension]

    package init(_ dimensions: [SearchDimension]) {
        self.dimensions = dimensions
    }

    /// Checks that every dimension can be searched.
    ///
    /// Rejects, naming the parameter: low above high, non-finite real bounds, integer bounds beyond
    /// ±2^53 (not exact as `Double`), a log scale with low ≤ 0, a real range whose width overflows,
    /// a choice with no values, and a name used twice. `low == high` is allowed: the dimension is
    /// fixed.
    /// - Throws: ``SearchSpaceError`` for the first bad dimension.
    /// - Complexity: O(n²) in the number of dimensions (they are few).
    package func validate() throws(SearchSpaceError) {
        for (index, dimension) in dimensions.enumerated() {
            let name = dimension.name
            func check(_ ok: Bool, _ problem: @autoclosure () -> String) throws(SearchSpaceError) {
                if !ok { throw SearchSpaceError(dimension: name, problem: problem()) }
            }
            switch dimension {
            case .integer(_, let low, let high, let log):
                let limit = Self.largestExactInteger
                try check(low >= -limit && high <= limit,
                          "integer bounds must lie within ±2^53, got \(low)...\(high)")
                try check(low <= high, "low \(low) is above high \(high)")
                try check(!log || low > 0, "a log scale needs low > 0, got low \(low)")
            case .real(_, let low, let high, let log):
                try check(low.isFinite && high.isFinite, "bounds must be finite, got \(low)...\(high)")
                try check(low <= high, "low \(low) is above high \(high)")
                try check(!log || low > 0, "a log scale needs low > 0, got low \(low)")
                try check((high - low).isFinite, "the range \(low)...\(high) is too wide: its width overflows")
            case .choice(_, let count):
                try check(count >= 1, "a choice needs at least one value, got \(count)")
            }
            if let first = dimensions[..<index].firstIndex(where: { $0.name == name }) {
                throw SearchSpaceError(dimension: name,
                                       problem: "declared twice (dimensions \(first) and \(index))")
            }
        }
    }

    /// Whether `point` lies in the space: one value per dimension, each within its bounds,
    /// integers and choice indices whole.
    /// - Complexity: O(dimensions).
    package func contains(_ point: SearchPoint) -> Bool {
        guard point.count == dimensions.count else { return false }
        for (value, dimension) in zip(point, dimensions) {
            switch dimension {
            case .integer(_, let low, let high, _):
                guard value == value.rounded(), value >= Double(low), value <= Double(high) else { return false }
            case .real(_, let low, let high, _):
                guard value >= low, value <= high else { return false }
            case .choice(_, let count):
                guard value == value.rounded(), value >= 0, value < Double(count) else { return false }
            }
        }
        return true
    }
}
