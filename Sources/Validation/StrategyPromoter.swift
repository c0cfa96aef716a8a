public import Backtest
public import Evaluation
import Foundation
public import Knowledge
public import MarketData
import Scripting

/// What a promotion did: the strategy written and what its locked holdout showed.
public struct PromotionReport: Sendable {
    public let strategy: Strategy
    public let hypothesis: String
    public let trial: Int64
    /// The chosen parameters as `--param` spells them.
    public let parameters: [String: String]
    public let holdout: [HoldoutOutcome]
    public let passed: Bool
    /// Earlier openings of holdouts in the same hypothesis family (its lineage): the same bars,
    /// seen before by a close relative.
    public let familyOpenings: [HoldoutLock]
}

/// The locked holdout of one symbol.
public struct HoldoutOutcome: Sendable {
    public let symbol: String
    public let from: Double
    public let to: Double
    public let bars: Int
    public let metrics: BacktestMetrics
    public let passed: Bool
}

/// Promotes a validated hypothesis to a strategy (`llmalpha strategy promote H003`): sets the
/// script's `param.*` defaults to the chosen values, opens its locked holdout (once, claimed in
/// the knowledge base before a single holdout bar is run), backtests the strategy on the bars it
/// has never seen, and writes `strategies/S0NN-<slug>.lua` with its validation and holdout in the
/// header. A failed holdout still writes the file (marked FAILED, the hypothesis rejected): an
/// opened holdout is spent, and its result is knowledge.
public struct StrategyPromoter: Sendable {
    public let knowledge: KnowledgeBase
    public let evaluation: EvaluationSettings
    public let settings: ValidationSettings
    public let version: String

    public init(knowledge: KnowledgeBase, evaluation: EvaluationSettings, settings: ValidationSettings, version: String) {
        self.knowledge = knowledge
        self.evaluation = evaluation
        self.settings = settings
        self.version = version
    }

    /// - Parameters:
    ///   - trial: the validation trial to promote; the hypothesis's latest passed one by default.
    ///   - load: every stored bar of a symbol at an interval (the holdout is what follows the
    ///     span the trial validated).
    ///   - dataFile: `--data FILE` when the bars come from a file, for the strategy's rerun line.
    /// - Throws: ``ValidatorError``: nothing validated, the holdout already opened or empty, the
    ///   knowledge base refusing, the script failing.
    public func promote(_ hypothesisID: String, trial trialID: Int64? = nil, dataFile: String? = nil,
                        load: (_ symbol: String, _ interval: String) throws -> Bars) throws(ValidatorError) -> PromotionReport {
        let kb = knowledge
        let hypothesis: Hypothesis
        let trial: Trial
        do {
            hypothesis = try kb.hypothesis(hypothesisID)
            if let trialID {
                trial = try kb.trial(trialID)
                guard trial.hypothesis == hypothesis.id else {
                    throw ValidatorError.promotion("trial \(trialID) belongs to \(trial.hypothesis), not \(hypothesis.id)")
                }
                guard trial.source == "validate", trial.passed == true, trial.stage == .holdout else {
                    let what = trial.source != "validate" || trial.passed != true
                        ? "not a passed validation (source \(trial.source), \(trial.passed == false ? "failed" : "not judged"))"
                        : "a pass of validate --mode other than full (it reached \(trial.stage.rawValue))"
                    throw ValidatorError.promotion("trial \(trialID) is \(what); only a full validation's pass is promoted")
                }
            } else {
                guard let latest = try kb.trials(of: hypothesis.id, source: "validate", passed: true, stage: .holdout, limit: 1).first else {
                    throw ValidatorError.promotion("\(hypothesis.id) has no passed full validation to promote (hint: llmalpha validate "
                                                    + "\(hypothesis.scriptPath) --mode full first; kb show \(hypothesis.id) lists its trials)")
                }
                trial = latest
            }
        } catch let error as ValidatorError {
            throw error
        } catch let error as KnowledgeError {
            throw .knowledge(error)
        } catch {
            throw .promotion("\(error)")
        }
        if let lock = try wrap({ () throws(KnowledgeError) in try kb.holdoutLock(of: hypothesis.id) }) {
            throw .knowledge(.holdoutOpened(hypothesis: lock.hypothesis, openedAt: lock.openedAt, strategy: lock.strategy))
        }
        guard let source = kb.script(of: hypothesis) else {
            throw .promotion("\(hypothesis.scriptPath): cannot read \(hypothesis.id)'s script (hint: llmalpha kb check)")
        }

        // The holdout of each symbol: the bars after the span validation saw.
        var parts: [(bars: Bars, holdoutStart: Int)] = []
        for symbol in trial.data.symbols {
            let full: Bars
            do { full = try load(symbol, trial.data.interval) } catch { throw .promotion("\(symbol) \(trial.data.interval): \(error)") }
            let suffix = trial.data.symbols.count == 1 ? "" : "@\(symbol)"
            let start = trial.metrics["holdout_from" + suffix] ?? (Double(trial.data.to) + 1)
            let index = full.index(atOrAfter: start)
            let spacing = Interval.milliseconds(full.interval) ?? BacktestMetrics.medianSpacing(full.time)
            let days = index < full.count ? (full.time[full.count - 1] - full.time[index] + spacing) / 86_400_000 : 0
            guard index < full.count, days >= settings.honesty.holdoutMinDays else {
                throw .promotion("\(symbol) \(trial.data.interval): only \(ReportFormat.plain(days, 1)) days of bars after the validated span "
                                 + "(\(TimeBound.format(start))); the holdout needs \(ReportFormat.plain(settings.honesty.holdoutMinDays, 0)) "
                                 + "(hint: llmalpha data download -s \(symbol) for newer bars, or validate with validation.honesty.holdout above 0)")
            }
            parts.append((full, index))
        }

        // The chosen values as the script's new defaults, checked by reading them back.
        let visible = PreparedBars(parts[0].bars.slice(0..<parts[0].holdoutStart))
        let declared = try declarations(source, data: visible, overrides: [:])
        var literals: [String: String] = [:]
        var texts: [String: String] = [:]
        for p in declared {
            guard let value = trial.parameters[p.name] else { continue }
            literals[p.name] = ParameterDefaults.literal(for: p, value: value)
            texts[p.name] = p.text(for: value)
        }
        let promoted: String
        do { promoted = try ParameterDefaults.rewrite(source, to: literals) } catch { throw .script(error) }
        let check = try declarations(promoted, data: visible, overrides: [:])
        for p in check where texts[p.name] != nil && p.valueText != texts[p.name] {
            throw .promotion("rewriting \(p.name)'s default gave \(p.valueText), not \(texts[p.name]!); the script is left as it was")
        }

        // Claim the holdout, then open it. A failure after the claim is noted on it: the claim
        // stays, since the holdout may have been seen.
        let family = (try? kb.holdoutLocks(family: hypothesis.family)) ?? []
        do { try kb.openHoldout(of: hypothesis.id, trial: trial.id) } catch { throw .knowledge(error) }
        var outcomes: [HoldoutOutcome] = []
        var spans: [DataSpan] = []
        let h = settings.honesty
        let rules = ScriptEvaluator.Rules(settings)
        for part in parts {
            let start = max(0, part.holdoutStart - settings.warmupBars)
            let data = PreparedBars(part.bars.slice(start..<part.bars.count))
            let judged = (part.holdoutStart - start)..<data.count
            let run: ScriptRun
            do {
                run = try ScriptRun.execute(source: promoted, path: hypothesis.scriptPath, data: data, settings: evaluation,
                                            judged: judged, scriptBacktests: false, factorReport: false,
                                            adjustBacktest: { rules.apply(&$0) }, print: { _ in })
            } catch {
                try? kb.noteHoldout(of: hypothesis.id, "promotion stopped after the claim: \(error.description)")
                throw .script(error)
            }
            guard let metrics = run.metrics else {
                try? kb.noteHoldout(of: hypothesis.id, "promotion stopped after the claim: no signal(d, f) to backtest")
                throw .missingLayers("\(hypothesis.scriptPath): no signal(d, f) to backtest on the holdout")
            }
            let passed = metrics.trades >= max(1, h.holdoutMinTrades) && metrics.sharpe > h.holdoutMinSharpe
            let held = part.bars.slice(part.holdoutStart..<part.bars.count)
            outcomes.append(HoldoutOutcome(symbol: part.bars.symbol, from: held.time.first ?? 0, to: held.time.last ?? 0,
                                           bars: held.count, metrics: metrics, passed: passed))
            spans.append(TrialRecording.dataSpan(held))
        }
        let needed = max(1, Int((settings.symbolsPassShare * Double(outcomes.count)).rounded(.up)))
        let passed = outcomes.filter(\.passed).count >= needed
        var holdoutMetrics: [String: Double] = [:]
        for o in outcomes {
            let suffix = outcomes.count == 1 ? "" : "@\(o.symbol)"
            holdoutMetrics["sharpe" + suffix] = o.metrics.sharpe
            holdoutMetrics["trades" + suffix] = Double(o.metrics.trades)
            holdoutMetrics["total_return" + suffix] = o.metrics.totalReturn
            holdoutMetrics["max_drawdown" + suffix] = o.metrics.maxDrawdown
        }
        var notes = outcomes.filter { !$0.passed }.map {
            "\($0.symbol): Sharpe \(ReportFormat.plain($0.metrics.sharpe)) over \($0.metrics.trades) trades (needs above \(ReportFormat.plain(h.holdoutMinSharpe)) "
                + "over at least \(h.holdoutMinTrades)); do not trade this"
        }
        if !family.isEmpty {
            notes.append("this family's holdout was opened \(family.count) time\(family.count == 1 ? "" : "s") before ("
                         + family.map { "\($0.hypothesis) \($0.openedAt.prefix(10))" + ($0.strategy.map { " \($0)" } ?? "") }.joined(separator: ", ")
                         + "): these bars are not new to its lineage")
        }
        let note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        let holdoutSpan = spans.count == 1 ? spans[0] : DataSpan(symbols: spans.flatMap(\.symbols), interval: spans[0].interval,
                                                                 from: spans.map(\.from).min()!, to: spans.map(\.to).max()!,
                                                                 bars: spans.map(\.bars).reduce(0, +), hash: spans.map(\.hash).joined(separator: ","))
        // The header's numbers: the chosen parameters' in-sample backtest, then the out-of-sample
        // and honesty numbers (never the defaults' numbers the quick gates recorded).
        var headline: [String: Double] = [:]
        // (With several symbols the verdict keeps each symbol's numbers as key@SYMBOL: the first one's show.)
        func metric(_ key: String) -> Double? { trial.metrics[key] ?? trial.metrics["\(key)@\(trial.data.symbols.first ?? "")"] }
        for key in ["sharpe", "trades", "max_drawdown", "total_return", "cagr"] { headline[key] = metric("chosen_" + key) }
        for key in ["wf_test_sharpe", "wf_test_trades", "rolling_positive_share", "rolling_decay_ratio", "dsr", "pbo", "lag_retention"] {
            headline[key] = metric(key)
        }
        // Validation charged at least these costs (and funding), whatever strategy{} says.
        headline["validation_min_fee"] = settings.minFee
        headline["validation_min_slippage"] = settings.minSlippage
        let validation = StrategyValidation(data: trial.data, metrics: headline,
                                            parameters: trial.parameters.filter { texts[$0.key] != nil }, parameterTexts: texts,
                                            dataFile: dataFile, version: version,
                                            holdout: HoldoutResult(data: holdoutSpan, metrics: holdoutMetrics.filter { $0.value.isFinite },
                                                                   passed: passed, note: note))
        let strategy: Strategy
        do {
            strategy = try kb.promote(hypothesis.id, script: promoted, validation: validation)
        } catch {
            try? kb.noteHoldout(of: hypothesis.id, "promotion stopped after the claim: \(error.description)")
            throw .knowledge(error)
        }
        return PromotionReport(strategy: strategy, hypothesis: hypothesis.id, trial: trial.id, parameters: texts, holdout: outcomes,
                               passed: passed, familyOpenings: family)
    }

    /// The script's `param.*` declarations, read from its main chunk.
    private func declarations(_ source: String, data: PreparedBars, overrides: [String: String]) throws(ValidatorError) -> [ParameterInfo] {
        do {
            return try ScriptRunner(limits: evaluation.sandbox).run(source: source, chunkName: "promote.lua", data: data.table,
                                                                    parameters: overrides, evaluateFactor: false,
                                                                    extensions: MarketExtension.extensions(for: data.bars), print: { _ in }).parameters
        } catch {
            throw .script(error)
        }
    }

    private func wrap<T>(_ body: () throws(KnowledgeError) -> T) throws(ValidatorError) -> T {
        do { return try body() } catch { throw .knowledge(error) }
    }
}
