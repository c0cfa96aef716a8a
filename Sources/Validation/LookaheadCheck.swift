import Backtest
package import Evaluation
import Foundation
import MarketData
import Scripting

/// The lookahead check: a script that only reads the past computes the same factor and masks for
/// bar i whether the data ends at bar t ≥ i or runs to the end. The check truncates the visible
/// bars at many points spread over the span, reruns the script on each prefix and compares every
/// value it computed with the full run's; the first difference fails with its bar and column.
///
/// A factor or signal built on a primitive the registry marks as looking ahead (`forward_return`)
/// is refused before any truncation: it reads the future by definition.
package enum LookaheadCheck {
    package static func judge(_ evaluator: ScriptEvaluator, base: ScriptRun, parameters: [String: String], points: Int,
                              warmup: Int, progress: @escaping @Sendable (Int, Int) -> Void) -> StageResult {
        var result = StageResult(stage: .lookahead)
        let calls = base.result.lookaheadPrimitives
        result.checks.append(Check(.lookahead, "looks-ahead primitives", value: Double(calls.count), .atMost, 0,
                                   failure: "the script calls \(calls.joined(separator: ", ")), which reads future bars: it is research-only "
                                       + "(for ic() in a plain script) and no factor or signal may use it"))
        guard calls.isEmpty else { return result }

        let n = evaluator.visible.count
        // Truncation points spread from after the warm-up (or the middle of a short span, so
        // indicators have bars to work with) to just before the end.
        let start = max(1, min(warmup, n / 2))
        var cuts: [Int] = []
        let count = max(1, points)
        for k in 1...count {
            let t = start + Int(Double(n - 2 - start) * Double(k) / Double(count))
            if t >= start, t < n - 1, cuts.last != t { cuts.append(t) }
        }
        let full = Columns(base)
        let done = Counter()
        let points = cuts
        let outcomes = evaluator.map(points.count) { k throws(ScriptError) -> Difference? in
            defer { progress(done.increment(), points.count) }
            let t = points[k]
            let run = try evaluator.run(evaluator.slice(0..<(t + 1), cached: false), parameters: parameters)
            return Columns(run).firstDifference(from: full, through: t)
        }
        var checked = 0, differing = 0
        var first: (cut: Int, difference: Difference)? = nil
        for (k, outcome) in outcomes.enumerated() {
            // A prefix the script cannot run on (a window longer than the prefix) proves nothing.
            guard case .success(let difference) = outcome else { continue }
            checked += 1
            guard let difference else { continue }
            differing += 1
            if first == nil || difference.bar < first!.difference.bar { first = (cuts[k], difference) }
        }
        result.metrics["lookahead_points"] = Double(checked)
        result.notes.append("\(checked) of \(cuts.count) truncation points compared, bars \(ReportFormat.grouped((cuts.first ?? 0) + 1))"
                            + "...\(ReportFormat.grouped((cuts.last ?? 0) + 1))")
        // A script that fails on most prefixes has not shown that it reads only the past (unless
        // a prefix it did run on already shows a leak, which is reported below).
        if differing == 0, checked * 2 < max(cuts.count, 2) {
            let reason = outcomes.compactMap { r -> ScriptError? in if case .failure(let e) = r { return e }; return nil }.first
            result.checks.append(Check(.lookahead, "truncation points compared", value: Double(checked), .atLeast, Double((cuts.count + 1) / 2),
                                       failure: "the lookahead check compared only \(checked) of \(cuts.count) truncation points: the script "
                                           + "fails on the data cut short (\(reason?.description ?? "too few bars")), so it cannot be shown to read "
                                           + "only the past (use windows shorter than half the span)"))
            return result
        }
        var failure = ""
        if let (cut, d) = first {
            let time = TimeBound.format(evaluator.visible.bars.time[d.bar])
            failure = "\(d.column) at bar \(ReportFormat.grouped(d.bar + 1)) (\(time) UTC) is \(number(d.truncated)) when the data ends "
                + "at bar \(ReportFormat.grouped(cut + 1)) but \(number(d.full)) with all bars: the script reads bars after the one "
                + "it computes (a value from the end of the data, d.close[i + 1], a negative shift)"
        }
        result.checks.append(Check(.lookahead, "truncations that change values", value: Double(differing), .atMost, 0,
                                   failure: failure, note: "\(checked) truncation points"))
        return result
    }

    private static func number(_ x: Double) -> String {
        x.isNaN ? "NaN" : String(format: "%.6g", x)
    }

    /// The first value that differs.
    package struct Difference: Sendable {
        package let column: String
        package let bar: Int
        package let truncated: Double
        package let full: Double
    }

    /// The values a run computed: the factor and the four resolved masks.
    struct Columns {
        var named: [(String, [Double])] = []

        init(_ run: ScriptRun) {
            if let f = run.result.factor { named.append(("factor", f)) }
            if let layer = run.result.signal {
                let m = SignalMasks(layer)
                for (name, mask) in [("entries", m.entries), ("exits", m.exits), ("short_entries", m.shortEntries),
                                     ("short_exits", m.shortExits)] {
                    if let mask { named.append((name, mask)) }
                }
            }
        }

        /// The earliest bar ≤ `last` where a column differs from `full`'s.
        func firstDifference(from full: Columns, through last: Int) -> Difference? {
            var found: Difference? = nil
            for (name, values) in named {
                guard let other = full.named.first(where: { $0.0 == name })?.1 else {
                    return Difference(column: name, bar: 0, truncated: values.first ?? .nan, full: .nan)
                }
                let end = min(last, values.count - 1, other.count - 1)
                guard end >= 0 else { continue }
                for i in 0...end where !same(values[i], other[i]) {
                    if found == nil || i < found!.bar { found = Difference(column: name, bar: i, truncated: values[i], full: other[i]) }
                    break
                }
            }
            for (name, values) in full.named where !named.contains(where: { $0.0 == name }) {
                return Difference(column: name, bar: 0, truncated: .nan, full: values.first ?? .nan)
            }
            return found
        }

        private func same(_ a: Double, _ b: Double) -> Bool {
            if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
            return abs(a - b) <= 1e-9 * max(1, abs(a), abs(b))
        }
    }
}
