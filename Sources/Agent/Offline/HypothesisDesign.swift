import Foundation
import Primitives

/// A factor: one block, or two blocks blended (each z-scored, then added), to a depth of two.
struct FactorDesign: Sendable {
    var blocks: [FactorBlock]
    /// Each block's parameter values, by the block's own parameter names.
    var values: [[String: Double]]
    /// The z-score window that puts two blended blocks on one scale.
    var blendWindow: Int?

    var key: String { blocks.map(\.key).joined(separator: "+") }
    var category: ResearchCategory { blocks[0].category }
    var needs: Set<String> { Set(blocks.flatMap(\.needs)) }

    /// The Lua local that holds parameter `name` of block `b`: plain for one block, prefixed
    /// with the block's first word (or a and b) for two.
    func local(_ b: Int, _ name: String) -> String {
        guard blocks.count > 1 else { return name }
        let words = blocks.map { String($0.key.split(separator: "_")[0]) }
        let prefix = words[0] == words[1] ? ["a", "b"][b] : words[b]
        return "\(prefix)_\(name)"
    }
}

/// How entries and exits come from the factor.
struct SignalDesign: Sendable {
    enum Rule: String, Sendable, CaseIterable {
        /// Enter while the z-scored factor is beyond ±entry; exit when it falls back inside ±exit_band.
        case threshold
        /// Enter when it crosses ±entry; exit when it crosses zero.
        case cross
        /// Enter beyond ±entry; exit on time only (max_hold).
        case timed
    }

    enum Filter: String, Sendable, CaseIterable {
        case none
        /// Longs only above a long moving average, shorts only below.
        case trend
        /// Trade only while short-term volatility is below long-term volatility.
        case calm
        /// Trade only in a window of UTC hours.
        case session
        /// Trade only on weekdays.
        case weekdays
    }

    var rule: Rule
    var filter: Filter
    var longOnly: Bool
    var normWindow: Int
    var entry: Double
    var exitBand: Double
    var hold: Int
    var trendWindow: Int
    var sessionStart: Int
    var stopLoss: Double

    var key: String { [rule.rawValue, filter == .none ? nil : filter.rawValue, longOnly ? "long_only" : nil].compactMap { $0 }.joined(separator: "+") }

    /// The clause of the rationale that describes the rules.
    var sentence: String {
        var s: String
        switch rule {
        case .threshold: s = "enters when the z-scored factor passes ±entry and exits when it falls back inside ±exit_band"
        case .cross: s = "enters when the z-scored factor crosses ±entry and exits when it crosses zero"
        case .timed: s = "enters when the z-scored factor passes ±entry and exits after max_hold bars"
        }
        switch filter {
        case .none: break
        case .trend: s += ", longs only above the trend average and shorts only below"
        case .calm: s += ", only while short-term volatility is below long-term"
        case .session: s += ", only in an 8-hour UTC session"
        case .weekdays: s += ", on weekdays only"
        }
        if longOnly { s += "; long only" }
        return s
    }
}

/// A whole hypothesis before it is written: factor, signal rules, strategy settings.
struct HypothesisDesign: Sendable {
    var factor: FactorDesign
    var signal: SignalDesign

    var category: ResearchCategory { factor.category }
    var template: String { factor.key + "/" + signal.key }

    var name: String {
        var parts = factor.blocks.map(\.key)
        parts.append(signal.rule.rawValue)
        if signal.filter != .none { parts.append(signal.filter.rawValue) }
        return parts.joined(separator: "_")
    }

    var rationale: String {
        let bets = factor.blocks.map(\.bet)
        let head = bets.count == 1 ? "Bets that \(bets[0])" : "Bets that \(bets[0]), confirmed when \(bets[1])"
        return "\(head); \(signal.sentence)."
    }

    /// The Lua script, in the same form as the files in `strategies/`.
    func script(interval: String, note: String) -> String {
        var lines: [String] = []
        let titles = factor.blocks.map(\.title).joined(separator: " + ")
        lines.append("-- \(titles), \(signal.key) (\(category.rawValue)); \(note)")
        lines.append("hypothesis {")
        lines.append("  name      = \"\(name)\",")
        lines.append("  rationale = \"\(rationale.replacingOccurrences(of: "\"", with: "'"))\",")
        lines.append("  timeframe = \"\(interval)\",")
        let tags = [category.rawValue] + factor.blocks.map(\.key) + [signal.rule.rawValue, "offline"]
        lines.append("  tags      = { \(tags.map { "\"\($0)\"" }.joined(separator: ", ")) },")
        lines.append("}")
        lines.append("")

        // Parameters: each block's, then the signal's, declared once at top level.
        var declarations: [(String, String)] = []
        for (b, block) in factor.blocks.enumerated() {
            for p in block.parameters {
                let v = factor.values[b][p.name] ?? p.range.lowerBound
                declarations.append((factor.local(b, p.name), Self.declaration(factor.local(b, p.name), p, value: v)))
            }
        }
        if let w = factor.blendWindow {
            declarations.append(("blend", "param.int(\"blend\", 48, 500, \(w))"))
        }
        declarations.append(("norm", "param.int(\"norm\", 24, 500, \(signal.normWindow))"))
        declarations.append(("entry", "param.float(\"entry\", 0.5, 3, \(Self.number(signal.entry)))"))
        switch signal.rule {
        case .threshold: declarations.append(("exit_band", "param.float(\"exit_band\", 0, 1, \(Self.number(signal.exitBand)))"))
        case .timed: declarations.append(("hold", "param.int(\"hold\", 4, 168, \(signal.hold))"))
        case .cross: break
        }
        switch signal.filter {
        case .trend: declarations.append(("trend", "param.int(\"trend\", 100, 400, \(signal.trendWindow))"))
        case .session: declarations.append(("session", "param.int(\"session\", 0, 16, \(signal.sessionStart))"))
        default: break
        }
        let width = declarations.map(\.0.count).max() ?? 0
        for (name, text) in declarations {
            lines.append("local \(name.padding(toLength: width, withPad: " ", startingAt: 0)) = \(text)")
        }
        lines.append("")

        // The factor: one block inline; two blocks as named helpers, z-scored and added.
        if factor.blocks.count == 1 {
            let (setup, expression) = factor.blocks[0].body({ factor.local(0, $0) }, OfflineGenerator.barsPerDay(interval))
            lines.append("function factor(d)")
            for s in setup { lines.append("  " + s) }
            lines.append("  return \(expression)")
            lines.append("end")
        } else {
            for (b, block) in factor.blocks.enumerated() {
                let (setup, expression) = block.body({ factor.local(b, $0) }, OfflineGenerator.barsPerDay(interval))
                lines.append("local function \(block.key)_factor(d)   -- \(block.title)")
                for s in setup { lines.append("  " + s) }
                lines.append("  return \(expression)")
                lines.append("end")
                lines.append("")
            }
            lines.append("function factor(d)")
            lines.append("  return " + factor.blocks.map { "zscore(\($0.key)_factor(d), blend)" }.joined(separator: " + "))
            lines.append("end")
        }
        lines.append("")

        // The signal.
        lines.append("function signal(d, f)")
        lines.append("  local z = zscore(f, norm)")
        var long: String
        var short: String
        switch signal.rule {
        case .threshold, .timed:
            long = "gt(z, entry)"
            short = "lt(z, -entry)"
        case .cross:
            long = "crossover(z, entry)"
            short = "crossunder(z, -entry)"
        }
        switch signal.filter {
        case .none: break
        case .trend:
            lines.append("  local up = gt(d.close, sma(d.close, trend))")
            long += " & up"
            short += " & ~up"
        case .calm:
            lines.append("  local r = log_return(d.close)")
            lines.append("  local calm = lt(std(r, 24), std(r, 240))")
            long += " & calm"
            short += " & calm"
        case .session:
            lines.append("  local h = hour_of_day(d.time)")
            lines.append("  local open = ge(h, session) & lt(h, session + 8)")
            long += " & open"
            short += " & open"
        case .weekdays:
            lines.append("  local weekday = lt(day_of_week(d.time), 5)")
            long += " & weekday"
            short += " & weekday"
        }
        lines.append("  return {")
        lines.append("    long  = \(long),")
        if !signal.longOnly { lines.append("    short = \(short),") }
        switch signal.rule {
        case .threshold: lines.append("    exit  = lt(abs(z), exit_band),")
        case .cross: lines.append("    exit  = crossunder(z, 0) | crossover(z, 0),")
        case .timed: break
        }
        lines.append("  }")
        lines.append("end")
        lines.append("")
        var settings = "fees = 0.0004, slippage = 0.0001, stop_loss = \(Self.number(signal.stopLoss))"
        settings += signal.rule == .timed ? ", max_hold = hold" : ", max_hold = \(signal.hold)"
        lines.append("strategy { \(settings) }")
        return lines.joined(separator: "\n") + "\n"
    }

    static func declaration(_ local: String, _ p: BlockParameter, value: Double) -> String {
        if p.isInteger {
            return "param.int(\"\(local)\", \(Int(p.range.lowerBound)), \(Int(p.range.upperBound)), \(Int(value)))"
        }
        return "param.float(\"\(local)\", \(number(p.range.lowerBound)), \(number(p.range.upperBound)), \(number(value)))"
    }

    /// A short decimal: 0.03, 1.5, 2.
    static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
        var s = String(format: "%.4f", x)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}
