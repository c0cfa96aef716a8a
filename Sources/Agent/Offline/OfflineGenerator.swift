import Foundation
import Knowledge
import MarketData
import Primitives
import Scripting

/// The built-in proposer: composes hypotheses from typed factor blocks, signal rules and
/// strategy settings over the primitive registry, and refines near-misses by moving their
/// parameter ranges, then by changing their structure. Deterministic for a request's seed;
/// needs no key and no network, so the research loop runs on a fresh machine.
///
/// What it learns from: the data profile (which families the training bars favour), the
/// research direction (`-r`, matched against block names, titles and categories), the
/// category (`-c`), and the proposer-visible outcomes of earlier hypotheses (families that
/// keep failing early are tried less).
public struct OfflineGenerator: HypothesisSource {
    public let origin = "offline"
    /// The interval the scripts declare as their timeframe.
    public let interval: String

    public init(interval: String = "1h") { self.interval = interval }

    public func propose(_ request: ProposalRequest) async throws(AgentError) -> Proposal {
        switch request.task {
        case .new: return try proposeNew(request)
        case .refine(let target): return try refine(target, request)
        }
    }

    // MARK: - new hypotheses

    func proposeNew(_ request: ProposalRequest) throws(AgentError) -> Proposal {
        var rng = SeededRandom(seed: request.seed)
        let usable = usableBlocks(columns: request.profile.columns)
        var pool = usable
        if let category = request.category {
            pool = pool.filter { $0.category == category }
            guard !pool.isEmpty else {
                throw .usage("-c \(category.rawValue) needs d.\(category.requiredColumn ?? "?"), which this data does not have "
                             + "(hint: llmalpha data download --funding / --oi adds it, or choose another category)")
            }
        } else {
            pool = pool.filter { !request.abandoned.contains($0.category) }
            if pool.isEmpty { pool = usable }
        }
        if let direction = request.direction, !direction.isEmpty {
            let matching = pool.filter { Self.matches(direction, $0) }
            if !matching.isEmpty { pool = matching }
        }
        let weights = categoryWeights(request, pool: pool)

        // Draw designs until one is new; the loop checks again and records a duplicate if not.
        var best: HypothesisDesign? = nil
        for _ in 0..<64 {
            let design = draw(pool: pool, partners: usable, weights: weights, rng: &rng)
            best = best ?? design
            let text = design.script(interval: interval, note: note(request))
            if let fingerprint = ScriptShape(text).fingerprint, request.knownFingerprints.contains(fingerprint) { continue }
            return Proposal(script: text, category: design.category, template: design.template)
        }
        // Everything drawn was known: hand back the first draw and let the loop record the duplicate.
        let design = best!
        return Proposal(script: design.script(interval: interval, note: note(request)), category: design.category, template: design.template)
    }

    public func directionNote(_ direction: String, category: ResearchCategory?, profile: DataProfile) -> String? {
        let usable = usableBlocks(columns: profile.columns).filter { category == nil || $0.category == category }
        guard !usable.contains(where: { Self.matches(direction, $0) }) else { return nil }
        return "-r \"\(direction)\": no building block of the offline generator matches it on these data, so it proposes as without -r "
            + "(it matches block names, categories and what they measure, e.g. funding, breakout, volume, rsi, atr)"
    }

    /// The blocks these data and this interval can serve.
    func usableBlocks(columns: Set<String>) -> [FactorBlock] {
        let perDay = Self.barsPerDay(interval)
        return (FactorBlocks.all + FactorBlocks.columns(columns)).filter { $0.serves(columns: columns, barsPerDay: perDay) }
    }

    /// Bars of `interval` in a day (at least 1; 24 for an unknown interval, as for 1h).
    static func barsPerDay(_ interval: String) -> Int {
        guard let ms = Interval.milliseconds(interval), ms > 0 else { return 24 }
        return max(1, Int((86_400_000 / Double(ms)).rounded()))
    }

    private func note(_ request: ProposalRequest) -> String {
        "offline generator, iteration \(request.iteration + 1), seed \(request.seed)"
    }

    /// Category weights: the data profile's, times what the history says (a category whose
    /// hypotheses stop at the first gates is tried less, one that gets far is tried more).
    private func categoryWeights(_ request: ProposalRequest, pool: [FactorBlock]) -> [ResearchCategory: Double] {
        let present = Set(pool.map(\.category))
        var weights = request.profile.categoryWeights.filter { present.contains($0.key) }
        for c in present where weights[c] == nil { weights[c] = 1 }
        var scores: [ResearchCategory: [Double]] = [:]
        for o in request.history {
            guard let c = o.category.flatMap(ResearchCategory.init(rawValue:)) else { continue }
            scores[c, default: []].append(o.score)
        }
        for (c, s) in scores where weights[c] != nil {
            // Mean in-sample score 0...5: 1 keeps the weight, below halves it, above doubles it.
            let mean = s.reduce(0, +) / Double(s.count)
            weights[c]! *= min(2, max(0.5, 0.5 + mean / 2))
        }
        return weights
    }

    private func draw(pool: [FactorBlock], partners: [FactorBlock], weights: [ResearchCategory: Double],
                      rng: inout SeededRandom) -> HypothesisDesign {
        let categories = weights.keys.sorted { $0.rawValue < $1.rawValue }
        let total = categories.map { weights[$0]! }.reduce(0, +)
        var u = rng.uniform() * total
        var category = categories.last!
        for c in categories {
            u -= weights[c]!
            if u <= 0 { category = c; break }
        }
        let inCategory = pool.filter { $0.category == category }
        let first = inCategory[rng.index(below: inCategory.count)]
        var blocks = [first]
        // One in three factors blends a second block from another family (a confirmation).
        if rng.uniform() < 0.35 {
            let others = partners.filter { $0.key != first.key && $0.category != first.category }
            if !others.isEmpty { blocks.append(others[rng.index(below: others.count)]) }
        }
        let values = blocks.map { block in
            Dictionary(uniqueKeysWithValues: block.parameters.map { p in (p.name, p.draw(&rng)) })
        }
        let factor = FactorDesign(blocks: blocks, values: ordered(blocks, values),
                                  blendWindow: blocks.count > 1 ? [96, 168, 336][rng.index(below: 3)] : nil)

        let rules = SignalDesign.Rule.allCases
        let filters = SignalDesign.Filter.allCases
        let rule = rules[rng.index(below: rules.count)]
        let filter = rng.uniform() < 0.5 ? SignalDesign.Filter.none : filters[1 + rng.index(below: filters.count - 1)]
        let signal = SignalDesign(rule: rule, filter: filter, longOnly: rng.uniform() < 0.15,
                                  normWindow: [72, 168, 336][rng.index(below: 3)],
                                  entry: [1.0, 1.5, 2.0][rng.index(below: 3)], exitBand: [0.0, 0.25, 0.5][rng.index(below: 3)],
                                  hold: [12, 24, 48, 96][rng.index(below: 4)], trendWindow: [100, 200, 300][rng.index(below: 3)],
                                  sessionStart: [0, 8, 13][rng.index(below: 3)], stopLoss: [0.02, 0.03, 0.05][rng.index(below: 3)])
        return HypothesisDesign(factor: factor, signal: signal)
    }

    /// Keeps a block's parameters consistent (a fast window shorter than the slow one).
    private func ordered(_ blocks: [FactorBlock], _ values: [[String: Double]]) -> [[String: Double]] {
        values.map { v in
            var v = v
            if let fast = v["fast"], let slow = v["slow"], fast >= slow { v["fast"] = max(1, (slow / 3).rounded()) }
            return v
        }
    }

    /// True when a word of the direction names the block, its family or what it measures
    /// (whole words; a word of five letters or more also matches as a stem: "reverting" → "revert").
    static func matches(_ direction: String, _ block: FactorBlock) -> Bool {
        func words(_ text: String) -> [String] {
            text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        }
        let asked = words(direction).filter { $0.count >= 2 && !["the", "and", "for", "with", "when", "of", "on", "in", "a", "to"].contains($0) }
        let synonyms: [String: [String]] = [
            "reversion": ["fade", "revert"], "reverting": ["fade"], "trend": ["momentum", "trend", "trends"], "trending": ["momentum"],
            "oi": ["open", "interest"], "carry": ["funding"], "crowding": ["funding", "crowded"], "crowded": ["funding"],
            "squeeze": ["compresses", "compression"], "vol": ["volatility"],
        ]
        let have = Set(words([block.key, block.category.rawValue, block.title, block.bet].joined(separator: " ")))
        return asked.contains { word in
            if have.contains(word) || (synonyms[word] ?? []).contains(where: have.contains) { return true }
            let stem = word.count >= 5 ? String(word.prefix(word.count - 2)) : nil
            return stem.map { s in have.contains { $0.hasPrefix(s) } } ?? false
        }
    }

    // MARK: - refinement

    /// Refines a near-miss: its first refinements move parameter ranges around the values chosen
    /// on the training and validation windows; later ones change the structure (a trend or
    /// volatility filter, another exit). Works on any script, not only the generator's own.
    func refine(_ target: RefinementTarget, _ request: ProposalRequest) throws(AgentError) -> Proposal {
        var rng = SeededRandom(seed: request.seed)
        let declarations = ParameterDefaults.declarations(target.script)
            .filter { ($0.kind == "int" || $0.kind == "float") && $0.arguments.count >= 4 }
        let step = target.generation + request.attempt
        // A factor that passed its gate ranking returns the wrong way round (a negative IC) trades
        // against its own ranking, so it is flipped before anything else. Not when the factor gate
        // refused it: that gate judges in the IC's own direction, so a flip changes nothing it sees.
        if let ic = target.outcome.informationCoefficient, ic < 0, request.attempt == 0,
           TrialStage(rawValue: target.outcome.stage).map({ $0 > .factor }) == true, StructuralMutation.flipFactor.applies(to: target.script) {
            let script = StructuralMutation.flipFactor.apply(to: target.script, parent: target.hypothesis, rng: &rng)
            return Proposal(script: script, category: target.outcome.category.flatMap(ResearchCategory.init(rawValue:)),
                            template: (target.outcome.template ?? "script") + "+flip_factor", change: StructuralMutation.flipFactor.phrase)
        }
        if step < 2, !declarations.isEmpty {
            if let proposal = shiftRanges(target, declarations, widen: step == 1, rng: &rng) { return proposal }
        }
        let mutations = StructuralMutation.candidates(after: target.outcome.stage).filter { $0.applies(to: target.script) }
        guard !mutations.isEmpty else {
            // Nothing structural left to add: move the ranges again, further out.
            if let proposal = shiftRanges(target, declarations, widen: true, rng: &rng) { return proposal }
            throw .source("\(target.hypothesis): nothing left to refine (no numeric params and every structural change applied)")
        }
        let mutation = mutations[(step + rng.index(below: mutations.count)) % mutations.count]
        let script = mutation.apply(to: target.script, parent: target.hypothesis, rng: &rng)
        return Proposal(script: script, category: target.outcome.category.flatMap(ResearchCategory.init(rawValue:)),
                        template: (target.outcome.template ?? "script") + "+" + mutation.rawValue, change: mutation.phrase)
    }

    /// Moves every numeric parameter's range around the value chosen in sample, inside its
    /// declared bounds: half as wide the first time (a closer look; when only the defaults were
    /// judged, around a moved default), shifted to one side the second (a new region).
    private func shiftRanges(_ target: RefinementTarget, _ declarations: [(kind: String, name: String, arguments: [String])],
                             widen: Bool, rng: inout SeededRandom) -> Proposal? {
        var edits: [String: (String) -> [Int: String]] = [:]
        var moved: [String] = []
        // Stopped before the walk-forward stage: only the defaults were judged, so the defaults
        // must move for the refinement to mean anything.
        let optimized = ["walk_forward", "rolling", "honesty", "holdout"].contains(target.outcome.stage)
        let judgedDefaults = !optimized
        for d in declarations {
            guard let lo = Double(d.arguments[1]), let hi = Double(d.arguments[2]), let def = Double(d.arguments[3]), hi > lo else { continue }
            let integer = d.kind == "int"
            let center = target.parameters[d.name] ?? def
            let width = hi - lo
            var newLo: Double, newHi: Double, newDefault: Double
            if widen {
                let direction: Double = rng.uniform() < 0.5 ? -1 : 1
                newDefault = center + direction * width * 0.25
                newLo = newDefault - width / 4
                newHi = newDefault + width / 4
            } else if judgedDefaults {
                // The gates judged the defaults: move them (a local search step) and look closer.
                newDefault = center + (rng.uniform() - 0.5) * width / 2
                newLo = newDefault - width / 4
                newHi = newDefault + width / 4
            } else {
                newLo = center - width / 4
                newHi = center + width / 4
                newDefault = center
            }
            // Inside the declared range: its bounds are what the script's author (or the registry's
            // typical ranges, for the generator's own scripts) allows; moving past them ends in
            // one-bar z-scores and windows the warm-up cannot fill.
            if newLo < lo { newHi = min(hi, newHi + (lo - newLo)); newLo = lo }
            if newHi > hi { newLo = max(lo, newLo - (newHi - hi)); newHi = hi }
            if integer {
                newLo = newLo.rounded(.down); newHi = min(hi, max(newLo + 1, newHi.rounded(.up))); newDefault = newDefault.rounded()
            }
            newDefault = min(newHi, max(newLo, newDefault))
            let texts = [newLo, newHi, newDefault].map { integer ? String(Int($0)) : HypothesisDesign.number(($0 * 1e4).rounded() / 1e4) }
            guard texts[0] != d.arguments[1] || texts[1] != d.arguments[2] || texts[2] != d.arguments[3] else { continue }
            edits[d.name] = { _ in [1: texts[0], 2: texts[1], 3: texts[2]] }
            moved.append("\(d.name) \(texts[0])..\(texts[1])")
        }
        guard !edits.isEmpty, var script = try? ParameterDefaults.rewrite(target.script, arguments: edits) else { return nil }
        script = RefinementText.withParent(script, parent: target.hypothesis,
                                           note: "\(widen ? "shifted" : "narrowed") parameter ranges: \(moved.joined(separator: ", "))")
        return Proposal(script: script, category: target.outcome.category.flatMap(ResearchCategory.init(rawValue:)),
                        template: (target.outcome.template ?? "script") + (widen ? "+shift" : "+narrow"),
                        change: "\(widen ? "shifted" : "narrowed") parameter ranges")
    }
}
