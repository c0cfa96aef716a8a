/// The human-readable reference generated from the registry: `llmalpha docs`, the REPL's `help()`
/// and the primitive section of the LLM prompt all print these texts.
package enum PrimitiveReference {
    /// One entry: signature, summary, lookback, look-ahead warning, example.
    package static func entry(_ spec: PrimitiveSpec) -> String {
        var out = "`\(spec.signature)`\n"
        out += "    \(spec.summary)\n"
        if spec.placement != .method && spec.placement != .metamethod { out += "    lookback: \(spec.lookback)\n" }
        let typical = spec.arguments.compactMap { a in a.typical.map { "\(a.name) \(number($0.lowerBound))–\(number($0.upperBound))" } }
        if !typical.isEmpty { out += "    typical on 1h bars: \(typical.joined(separator: ", "))\n" }
        if spec.looksAhead { out += "    LOOKS AHEAD: reads future bars\n" }
        out += "    example: \(spec.example)\n"
        return out
    }

    private static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    /// The entries of `specs` under their group headings, in registry order.
    package static func grouped(_ specs: [PrimitiveSpec]) -> String {
        var out = ""
        for group in PrimitiveSpec.Group.allCases {
            let members = specs.filter { $0.group == group && $0.placement != .metamethod }
            guard !members.isEmpty else { continue }
            out += "## \(group.rawValue)\n\n"
            for spec in members { out += entry(spec) + "\n" }
        }
        return out
    }

    /// A compact index: each group with its primitive names, for help() with no argument.
    package static var index: String {
        var lines: [String] = []
        for group in PrimitiveSpec.Group.allCases where group != .operator {
            let names = PrimitiveRegistry.all.filter { $0.group == group && $0.placement != .metamethod }
                .map { $0.placement == .method ? "s:\($0.name)()" : $0.name }
            guard !names.isEmpty else { continue }
            lines.append("\(group.rawValue):")
            var line = "  "
            for name in names {
                if line.count + name.count > 78 { lines.append(line); line = "  " }
                line += name + " "
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// What help(name) prints: the entry, or a hint for an unknown name.
    package static func help(_ name: String?) -> String {
        guard let name else {
            return index + "\nhelp(rsi) shows one entry; the data is d (d.close, d.high, ..., d.funding); see also .help"
        }
        var key = name
        if key.hasPrefix("s:") { key = ":" + key.dropFirst(2).filter { $0 != "(" && $0 != ")" } }
        if let spec = PrimitiveRegistry.byName[key] ?? PrimitiveRegistry.byName[":" + key] { return entry(spec) }
        let known = PrimitiveRegistry.all.filter { $0.placement != .metamethod }.map(\.name)
        if let close = closestName(to: name, in: known) { return "no primitive '\(name)' (did you mean '\(close)'?)" }
        return "no primitive '\(name)'; help() lists them all"
    }
}
