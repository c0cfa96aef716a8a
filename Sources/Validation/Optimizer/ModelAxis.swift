import Primitives

/// How the optimizers see one ``SearchDimension``: an interval of the real line in *model space*,
/// a set of categories, or a single value.
///
/// Model space is where sampling and densities live: log dimensions are logged, and an integer
/// range `low...high` becomes the interval [low − 0.5, high + 0.5] (in log space for a log
/// integer) so that every integer owns a unit-wide cell, as Optuna's discrete distributions do.
enum ModelAxis: Sendable, Equatable {
    /// An interval [low, high] in model space. `integer` values are rounded and `log` values
    /// exponentiated on the way out; `externalLow...externalHigh` are the dimension's own bounds.
    case numeric(low: Double, high: Double, log: Bool, integer: Bool, externalLow: Double, externalHigh: Double)
    /// Category indices `0..<count`, count ≥ 2.
    case categorical(count: Int)
    /// A dimension with one possible value (low == high, or a single choice): never modelled.
    case fixed(Double)

    /// - Precondition: the dimension passes ``SearchSpace/validate()``.
    init(_ dimension: SearchDimension) {
        switch dimension {
        case .integer(_, let low, let high, let log):
            if low == high { self = .fixed(Double(low)); return }
            let lowCell = Double(low) - 0.5, highCell = Double(high) + 0.5
            self = .numeric(low: log ? PortableMath.log(lowCell) : lowCell,
                            high: log ? PortableMath.log(highCell) : highCell,
                            log: log, integer: true, externalLow: Double(low), externalHigh: Double(high))
        case .real(_, let low, let high, let log):
            if low == high { self = .fixed(low); return }
            self = .numeric(low: log ? PortableMath.log(low) : low, high: log ? PortableMath.log(high) : high,
                            log: log, integer: false, externalLow: low, externalHigh: high)
        case .choice(_, let count):
            self = count == 1 ? .fixed(0) : .categorical(count: count)
        }
    }

    /// A point's value for this dimension in model space, after clamping it into the dimension
    /// (and rounding integers and choice indices) so a hand-made point cannot leave the model.
    /// - Precondition: `value` is finite.
    func toModel(_ value: Double) -> Double {
        switch self {
        case .numeric(_, _, let log, let integer, let externalLow, let externalHigh):
            var v = Swift.min(Swift.max(value, externalLow), externalHigh)
            if integer { v = v.rounded(.toNearestOrEven) }
            return log ? PortableMath.log(v) : v
        case .categorical(let count):
            return Swift.min(Swift.max(value.rounded(.down), 0), Double(count - 1))
        case .fixed(let v):
            return v
        }
    }

    /// The dimension's value for a model-space value: exponentiated, rounded and clamped into the
    /// dimension's bounds.
    func toExternal(_ value: Double) -> Double {
        switch self {
        case .numeric(_, _, let log, let integer, let externalLow, let externalHigh):
            var v = log ? PortableMath.exp(value) : value
            if integer { v = v.rounded(.toNearestOrEven) + 0 }  // + 0 turns −0.0 into 0.0
            return Swift.min(Swift.max(v, externalLow), externalHigh)
        case .categorical, .fixed:
            return value
        }
    }

    /// A uniform draw in model space (log-uniform for log dimensions; every integer cell and every
    /// category equally likely), as Optuna's RandomSampler.
    /// - Complexity: O(1); consumes one ``SeededRandom/uniform()`` unless fixed.
    func uniformSample(using rng: inout SeededRandom) -> Double {
        switch self {
        case .numeric(let low, let high, _, _, _, _):
            return low + rng.uniform() * (high - low)
        case .categorical(let count):
            return Double(rng.index(below: count))
        case .fixed(let v):
            return v
        }
    }
}
