/// The evaluated points of a search and their objective values, in the order they were reported,
/// ranked for maximisation.
///
/// A value that is NaN, ±∞ or missing scores −∞: a failed or degenerate run (a Sharpe of +∞ from
/// zero variance is a bug, not an edge) ranks below every real result. Ties keep report order, so
/// the earlier observation ranks higher.
struct ObservationHistory: Sendable {
    /// The points as reported.
    private(set) var points: [SearchPoint] = []
    /// The values as reported, a missing one as NaN.
    private(set) var values: [Double] = []

    var count: Int { points.count }

    /// - Precondition: `point` has one finite value for each of the `dimensions`.
    mutating func append(_ point: SearchPoint, value: Double?, dimensions: Int) {
        precondition(point.count == dimensions && point.allSatisfy(\.isFinite), "observe() needs one finite value per dimension")
        points.append(point)
        values.append(value ?? .nan)
    }

    /// The ranking score of observation `i`: its value if finite, otherwise −∞.
    func score(_ i: Int) -> Double {
        values[i].isFinite ? values[i] : -.infinity
    }

    /// Every observation, in report order.
    var observations: [(point: SearchPoint, value: Double)] {
        (0..<count).map { (points[$0], values[$0]) }
    }

    /// The observation with the highest finite value (the earliest on ties); nil when none has one.
    /// - Complexity: O(count).
    var best: (point: SearchPoint, value: Double)? {
        var bestIndex: Int?
        for i in 0..<count where values[i].isFinite {
            if let b = bestIndex, values[i] <= values[b] { continue }
            bestIndex = i
        }
        return bestIndex.map { (points[$0], values[$0]) }
    }

    /// Splits the observations into the `goodCount` best and the rest, each list in report order
    /// (TPE's l(x) and g(x) sets; the order matters for Optuna's weights of old observations).
    /// - Complexity: O(count log count).
    func split(goodCount: Int) -> (good: [Int], bad: [Int]) {
        let ranked = (0..<count).sorted { a, b in
            let sa = score(a), sb = score(b)
            return sa != sb ? sa > sb : a < b
        }
        let n = Swift.min(Swift.max(goodCount, 0), count)
        return (ranked[..<n].sorted(), ranked[n...].sorted())
    }
}
