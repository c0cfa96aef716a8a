import Primitives
import Scripting

/// A change to a script's structure that keeps its factor: the signal is wrapped, so it works
/// on any script that defines `signal(d, f)`, written by the generator, a model or a person.
/// Each adds readable Lua at the end of the script with a comment saying what it does.
enum StructuralMutation: String, Sendable, CaseIterable {
    case trendFilter = "trend_filter"
    case calmFilter = "calm_filter"
    case reversionExit = "reversion_exit"
    case flipExit = "flip_exit"
    case longOnly = "long_only"
    /// An EMA over the factor: steadier ranks, less turnover, a more stable IC.
    case smoothFactor = "smooth_factor"
    /// Only when the factor passed its gate ranking returns the wrong way round (a negative IC in
    /// sample), so its signal bets against the ranking.
    case flipFactor = "flip_factor"

    /// The changes that can help a hypothesis stopped at `stage`: a factor the factor gate
    /// refused needs a different factor (a filter on its signal changes nothing the gate sees);
    /// later stages are about entries and exits.
    static func candidates(after stage: String) -> [StructuralMutation] {
        switch stage {
        case "sandbox", "factor": return [.smoothFactor]
        default: return [.trendFilter, .calmFilter, .reversionExit, .flipExit, .longOnly, .smoothFactor]
        }
    }

    /// The comment line the mutation writes; also how a script is known to have it already.
    var marker: String {
        switch self {
        case .trendFilter: return "-- refinement: longs only above the trend average, shorts only below"
        case .calmFilter: return "-- refinement: enter only while short-term volatility is below long-term"
        case .reversionExit: return "-- refinement: also exit when the z-scored factor falls back near zero"
        case .flipExit: return "-- refinement: also exit when the factor changes sign"
        case .longOnly: return "-- refinement: long entries only"
        case .smoothFactor: return "-- refinement: the factor smoothed by an EMA (steadier ranks, less turnover)"
        case .flipFactor: return "-- refinement: the factor's sign flipped (it ranked returns the wrong way round in sample)"
        }
    }

    var phrase: String { String(marker.dropFirst("-- refinement: ".count)) }

    func applies(to script: String) -> Bool {
        let functions = ScriptShape(script).functions
        let layer = self == .flipFactor || self == .smoothFactor ? "factor" : "signal"
        return functions.contains(layer) && !script.contains(marker)
    }

    func apply(to script: String, parent: String, rng: inout SeededRandom) -> String {
        var lines = [marker]
        let base = "\(rawValue)_base"
        switch self {
        case .trendFilter:
            let w = [150, 200, 300][rng.index(below: 3)]
            lines += ["local refine_trend = param.int(\"refine_trend\", 50, 400, \(w))",
                      "local \(base) = signal",
                      "function signal(d, f)",
                      "  local s = \(base)(d, f)",
                      "  local up = gt(d.close, sma(d.close, refine_trend))",
                      "  if s.long then s.long = s.long & up end",
                      "  if s.short then s.short = s.short & ~up end",
                      "  return s",
                      "end"]
        case .calmFilter:
            lines += ["local refine_calm = param.int(\"refine_calm\", 96, 480, 240)",
                      "local \(base) = signal",
                      "function signal(d, f)",
                      "  local s = \(base)(d, f)",
                      "  local r = log_return(d.close)",
                      "  local calm = lt(std(r, 24), std(r, refine_calm))",
                      "  if s.long then s.long = s.long & calm end",
                      "  if s.short then s.short = s.short & calm end",
                      "  return s",
                      "end"]
        case .reversionExit:
            lines += ["local refine_exit = param.float(\"refine_exit\", 0, 1, 0.3)",
                      "local \(base) = signal",
                      "function signal(d, f)",
                      "  local s = \(base)(d, f)",
                      "  local back = lt(abs(zscore(f, 168)), refine_exit)",
                      "  s.exit = s.exit and (s.exit | back) or back",
                      "  return s",
                      "end"]
        case .flipExit:
            lines += ["local \(base) = signal",
                      "function signal(d, f)",
                      "  local s = \(base)(d, f)",
                      "  local flip = crossunder(f, 0) | crossover(f, 0)",
                      "  s.exit = s.exit and (s.exit | flip) or flip",
                      "  return s",
                      "end"]
        case .smoothFactor:
            lines += ["local refine_smooth = param.int(\"refine_smooth\", 2, 48, \([4, 8, 16][rng.index(below: 3)]))",
                      "local \(base) = factor",
                      "function factor(d)",
                      "  return ema(\(base)(d), refine_smooth)",
                      "end"]
        case .flipFactor:
            lines += ["local \(base) = factor",
                      "function factor(d)",
                      "  return -\(base)(d)",
                      "end"]
        case .longOnly:
            lines += ["local \(base) = signal",
                      "function signal(d, f)",
                      "  local s = \(base)(d, f)",
                      "  s.short = nil",
                      "  return s",
                      "end"]
        }
        let body = RefinementText.withParent(script, parent: parent, note: phrase)
        return body + (body.hasSuffix("\n") ? "" : "\n") + "\n" + lines.joined(separator: "\n") + "\n"
    }
}

/// Text edits every refinement makes: the lineage in `hypothesis{}` and a comment saying what changed.
enum RefinementText {
    /// Sets `parent` in the script's `hypothesis{}` (adding the field, or the whole table when
    /// the script has none) and puts a comment line on top.
    static func withParent(_ script: String, parent: String, note: String) -> String {
        var lines = script.components(separatedBy: "\n")
        if let p = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("parent") && $0.contains("=") }) {
            let indent = String(lines[p].prefix { $0 == " " })
            lines[p] = "\(indent)parent    = \"\(parent)\","
        } else if let h = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("hypothesis") && $0.contains("{") }) {
            if lines[h].contains("}") {
                // One-line table: add the field before its closing brace.
                if let close = lines[h].lastIndex(of: "}") {
                    lines[h].replaceSubrange(close..<lines[h].index(after: close), with: ", parent = \"\(parent)\" }")
                }
            } else {
                lines.insert("  parent    = \"\(parent)\",", at: h + 1)
            }
        } else {
            lines.insert("hypothesis { name = \"refined_\(parent.lowercased())\", parent = \"\(parent)\" }", at: 0)
        }
        lines.insert("-- refined from \(parent): \(note)", at: 0)
        return lines.joined(separator: "\n")
    }
}
