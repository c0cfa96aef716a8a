import Foundation
package import Scripting

/// A script's `param.*` declarations as the optimizer's search space, and the way back from a
/// point to `--param` overrides and ledger values.
///
/// Declarations come from the main chunk (params inside layers are a contract error), so a run
/// with `evaluateFactor: false` is enough to read them. A range with nothing to search (min =
/// max, one choice) stays at its value. Booleans are two-way choices (false, true).
package struct ParameterSpace: Sendable {
    /// Every declaration, in script order.
    package let parameters: [ParameterInfo]
    /// The searched ones, one per dimension of ``space``.
    package let searched: [ParameterInfo]
    package let space: SearchSpace

    /// - Throws: ``ValidatorError/unsearchableRange(_:)`` for a range the optimizer cannot search.
    package init(_ parameters: [ParameterInfo]) throws(ValidatorError) {
        self.parameters = parameters
        var searched: [ParameterInfo] = []
        var dimensions: [SearchDimension] = []
        for p in parameters {
            switch p.kind {
            case .int where p.maximum > p.minimum:
                guard abs(p.minimum) <= 9.0e15, abs(p.maximum) <= 9.0e15 else {
                    throw .unsearchableRange("param '\(p.name)': integer bounds beyond ±9e15 cannot be searched exactly")
                }
                dimensions.append(.integer(name: p.name, low: Int(p.minimum), high: Int(p.maximum), log: p.scale == .log))
            case .float where p.maximum > p.minimum:
                dimensions.append(.real(name: p.name, low: p.minimum, high: p.maximum, log: p.scale == .log))
            case .bool:
                dimensions.append(.choice(name: p.name, count: 2))
            case .choice where p.choices.count > 1:
                dimensions.append(.choice(name: p.name, count: p.choices.count))
            default:
                continue
            }
            searched.append(p)
        }
        let space = SearchSpace(dimensions)
        do { try space.validate() } catch { throw .unsearchableRange(error.description) }
        self.searched = searched
        self.space = space
    }

    /// How many distinct points the space holds (nil when a real dimension makes it continuous).
    package var cardinality: Int? {
        var count = 1
        for d in space.dimensions {
            switch d {
            case .integer(_, let low, let high, _): count = count.multipliedReportingOverflow(by: high - low + 1).partialValue
            case .choice(_, let n): count = count.multipliedReportingOverflow(by: n).partialValue
            case .real(_, let low, let high, _): if high > low { return nil }
            }
            if count <= 0 || count > 1 << 40 { return nil }
        }
        return count
    }

    /// True when there is something to optimize.
    package var isEmpty: Bool { searched.isEmpty }

    /// The script's own defaults as a point.
    package var defaults: SearchPoint { searched.map(\.defaultValue) }

    /// The point with each real value rounded to four significant digits (of its range, or of
    /// the value on a log scale), kept inside the bounds: what is run is what is shown, recorded
    /// and written into a promoted script, without a tail of meaningless digits.
    package func rounded(_ point: SearchPoint) -> SearchPoint {
        var out = point
        for (k, dimension) in space.dimensions.enumerated() where k < out.count {
            guard case .real(_, let low, let high, let log) = dimension else { continue }
            let x = out[k]
            let magnitude = log ? abs(x) : high - low
            guard magnitude > 0, magnitude.isFinite, x.isFinite else { continue }
            let step = pow10(Int((Foundation.log10(magnitude)).rounded(.down)) - 3)
            out[k] = min(high, max(low, (x / step).rounded() * step))
        }
        return out
    }

    private func pow10(_ e: Int) -> Double { Foundation.pow(10, Double(e)) }

    /// The overrides that make a run use `point`.
    package func overrides(_ point: SearchPoint) -> [String: String] {
        var out: [String: String] = [:]
        for (p, x) in zip(searched, point) { out[p.name] = p.text(for: x) }
        return out
    }

    /// Every parameter's value at `point` (unsearched ones at their values), for the ledger:
    /// numbers as numbers, booleans 0/1, choices by index.
    package func values(_ point: SearchPoint) -> [String: Double] {
        var out: [String: Double] = [:]
        for p in parameters { out[p.name] = p.value }
        for (p, x) in zip(searched, point) { out[p.name] = x }
        return out
    }

    /// `name=value` pairs as `--param` spells them, sorted by name.
    package func describe(_ point: SearchPoint) -> String {
        overrides(point).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
