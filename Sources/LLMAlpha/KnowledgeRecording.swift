public import Foundation
import DurableFiles
public import Knowledge

/// Where the knowledge base and its script folders are, from the configuration (relative to the
/// project) or `--kb PATH` (relative to the working directory, like any path on a command line).
public struct KnowledgeLocation: Sendable {
    public let database: String
    public let files: ScriptFiles

    public init(configuration: Configuration, paths: ProjectPaths, override: String? = nil) {
        let base = paths.root ?? FileManager.default.currentDirectoryPath
        func resolve(_ setting: String, against root: String) -> String {
            setting.hasPrefix("/") ? setting : (root as NSString).appendingPathComponent(setting)
        }
        database = override.map { resolve($0, against: FileManager.default.currentDirectoryPath) }
            ?? resolve(configuration.knowledgePath, against: base)
        files = ScriptFiles(hypothesesDirectory: resolve(configuration.hypothesesDirectory, against: base),
                            strategiesDirectory: resolve(configuration.strategiesDirectory, against: base), root: base)
    }

    /// Opens it; writers create it on first use.
    public func open(_ access: KnowledgeBase.Access, create: Bool = false) throws(KnowledgeError) -> KnowledgeBase {
        try KnowledgeBase.open(at: database, files: files, access: access, create: create)
    }
}

/// Turns a script run into ledger entries: the script as a hypothesis (recorded once per
/// distinct text), the run as a trial with every number it produced.
public enum TrialRecording {
    /// What the run was recorded as.
    public struct Receipt: Sendable {
        public let hypothesis: Hypothesis
        public let trial: Int64
        /// A lineage the script named but the knowledge base does not know, left out.
        public let ignoredParent: String?
    }

    /// Records a finished run (`run` is nil and `error` set when the script failed).
    public static func record(source: String, path: String, bars: Bars, run: ScriptRun?, error: ScriptError?,
                              parameters overrides: [String: String], startedAt: Date, seconds: Double,
                              into kb: KnowledgeBase) throws(KnowledgeError) -> Receipt {
        let info = run?.result.hypothesis ?? error?.hypothesis
        let fileName = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var ignoredParent: String? = nil
        var parent: String? = nil
        if let named = info?.parent, !named.isEmpty {
            if let known = try? kb.hypothesis(named) { parent = known.id } else { ignoredParent = named }
        }
        let draft = HypothesisDraft(name: (info?.name).flatMap { $0.isEmpty ? nil : $0 } ?? fileName,
                                    rationale: info?.rationale ?? "", tags: info?.tags ?? [], parent: parent,
                                    origin: "user", script: source)
        let hypothesis = try kb.recordHypothesis(draft)

        var parameters: [String: Double] = [:]
        for p in run?.result.parameters ?? [] { parameters[p.name] = p.value }
        for (name, text) in overrides where parameters[name] == nil { parameters[name] = Double(text) }

        let (stage, metrics) = run.map(summarize) ?? (.sandbox, [:])
        var trial = TrialDraft(hypothesis: hypothesis.id, parameters: parameters, data: dataSpan(bars), stage: stage,
                               passed: nil, metrics: metrics, durationSeconds: seconds, startedAt: startedAt, source: "run")
        if let error {
            trial.passed = false
            switch error.kind {
            case .resourceLimit(let limit): trial.reasonCode = "sandbox.limit.\(limit)"
            case .syntax: trial.reasonCode = "sandbox.syntax"
            case .contract: trial.reasonCode = "sandbox.contract"
            default: trial.reasonCode = "sandbox.error"
            }
            trial.reasonMessage = error.description
        }
        let id = try kb.recordTrial(trial)
        return Receipt(hypothesis: hypothesis, trial: id, ignoredParent: ignoredParent)
    }

    /// The furthest stage a run reached and its numbers, flat: `ic_24`, `t_24`, `signal_win_rate`,
    /// `sharpe`, `max_drawdown`, ...
    static func summarize(_ run: ScriptRun) -> (TrialStage, [String: Double]) {
        var metrics: [String: Double] = [:]
        var stage = TrialStage.sandbox
        for ic in run.factorIC {
            stage = .factor
            metrics["ic_\(ic.horizon)"] = ic.ic
            metrics["t_\(ic.horizon)"] = ic.tStatistic
        }
        if let s = run.signalReport {
            stage = .signal
            metrics["signals"] = Double(s.signals)
            metrics["signals_per_1000"] = s.perThousandBars
            metrics["signal_win_rate"] = s.winRate
            metrics["signal_profit_factor"] = s.profitFactor
            metrics["signal_edge"] = s.averageEdge
            if let halfLife = s.halfLife { metrics["signal_half_life"] = Double(halfLife) }
        }
        if let m = run.metrics {
            stage = .backtest
            metrics["sharpe"] = m.sharpe
            metrics["sortino"] = m.sortino
            metrics["total_return"] = m.totalReturn
            metrics["cagr"] = m.cagr
            metrics["max_drawdown"] = m.maxDrawdown
            metrics["calmar"] = m.calmar
            metrics["trades"] = Double(m.trades)
            metrics["win_rate"] = m.winRate
            metrics["profit_factor"] = m.profitFactor
            metrics["edge"] = m.averageEdge
            metrics["exposure"] = m.exposure
            metrics["turnover"] = m.turnover
            metrics["funding_pnl"] = m.fundingPnL
            metrics["fee_pnl"] = m.feePnL
        }
        if let config = run.backtest?.config {
            // The costs assumed are part of what was evaluated.
            metrics["fee"] = config.fee
            metrics["slippage"] = config.slippage
        }
        return (stage, metrics.filter { $0.value.isFinite })
    }

    /// The bars a trial ran on, with a sha256 over every column a script can see (prices,
    /// volumes, funding, open interest, ...) and the funding settlements, so two trials can be
    /// told to share data without trusting file names.
    public static func dataSpan(_ bars: Bars) -> DataSpan {
        var hasher = SHA256()
        hasher.update(Array("\(bars.symbol) \(bars.interval) \(bars.count)\n".utf8))
        for column in [bars.time, bars.open, bars.high, bars.low, bars.close, bars.volume] {
            column.withUnsafeBytes { hasher.update(Array($0)) }
        }
        for (name, values) in bars.extra {
            hasher.update(Array("\(name)\n".utf8))
            values.withUnsafeBytes { hasher.update(Array($0)) }
        }
        let settlements = bars.fundingEvents.flatMap { [$0.time, $0.rate] }
        hasher.update(Array("funding events\n".utf8))
        settlements.withUnsafeBytes { hasher.update(Array($0)) }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return DataSpan(symbols: [bars.symbol], interval: bars.interval, from: Int64(bars.time.first ?? 0),
                        to: Int64(bars.time.last ?? 0), bars: bars.count, hash: digest)
    }
}
