public import Backtest
public import MarketData
public import Scripting

/// The bars of one symbol that validation may see: everything before the locked holdout.
public struct VisibleBars: Sendable {
    public let bars: Bars
    /// Open time of the first locked bar; nil when the holdout is empty (a span too short to
    /// lock anything, or a holdout share of 0).
    public let holdoutFrom: Double?
    /// Days the locked holdout covers (0 when there is none).
    public let holdoutDays: Double

    public init(bars: Bars, holdoutFrom: Double?, holdoutDays: Double = 0) {
        self.bars = bars
        self.holdoutFrom = holdoutFrom
        self.holdoutDays = holdoutDays
    }
}

/// The verdict on one symbol: the stages run, in order, and what they measured.
public struct SymbolVerdict: Sendable {
    public let symbol: String
    public let interval: String
    public let bars: Int
    public let from: Double
    public let to: Double
    public let holdoutFrom: Double?
    public var stages: [StageResult] = []
    /// Stages of the mode that did not run because an earlier one failed.
    public var notRun: [ValidationStage] = []
    /// The backtest of the chosen parameters over the visible span (for the report).
    public var backtest: BacktestResult?
    /// The walk-forward split (bar ranges of the visible span) and each part's Sharpe.
    public var walkForward: WalkForwardDetail?
    /// Every rolling window, in time order.
    public var rolling: [RollingWindow] = []

    public var passed: Bool { notRun.isEmpty && stages.allSatisfy(\.passed) }

    /// The stage and check that stopped this symbol.
    public var failure: (stage: StageResult, check: Check)? {
        for s in stages { if let c = s.failure { return (s, c) } }
        return nil
    }

    /// Every number the stages measured.
    public var metrics: [String: Double] {
        var all: [String: Double] = [:]
        for s in stages { all.merge(s.metrics) { _, new in new } }
        if let holdoutFrom { all["holdout_from"] = holdoutFrom }
        return all
    }
}

/// The walk-forward split of one symbol.
public struct WalkForwardDetail: Sendable {
    public let train: Range<Int>
    public let validation: Range<Int>
    public let test: Range<Int>
    public let trainSharpe: Double
    public let validationSharpe: Double
    public let testSharpe: Double
}

/// One rolling window: the parameters re-optimized on its train bars, judged on its test bars.
public struct RollingWindow: Sendable {
    public let train: Range<Int>
    public let test: Range<Int>
    public let trainSharpe: Double
    public let testSharpe: Double
    public let testReturn: Double
    public let testTrades: Int
    /// The chosen parameters, as `--param` spells them.
    public let parameters: String
}

/// Everything one validation found: the verdict, per symbol and overall, with the numbers the
/// honesty layer deflates it by.
public struct ValidationReport: Sendable {
    public let scriptPath: String
    public let mode: ValidationSettings.Mode
    public let hypothesis: HypothesisInfo?
    /// Every `param.*` declaration of the script.
    public let parameters: [ParameterInfo]
    /// The parameters chosen on the walk-forward validation window (the defaults when nothing
    /// was optimized), as `--param` spells them.
    public let chosen: [String: String]
    public let symbols: [SymbolVerdict]
    public let symbolsNeeded: Int
    /// Trials this validation evaluated (optimizer trials and the verdict).
    public let runTrials: Int
    /// The knowledge base's lifetime trial count the deflated Sharpe used (this run included).
    public let lifetimeTrials: Int
    /// Where the verdict was recorded: the hypothesis and the verdict trial; nil with --no-record.
    public var recorded: (hypothesis: String, trial: Int64)?
    /// What the verdict cannot say by itself (a holdout too short to promote from, ...).
    public var warnings: [String] = []

    public var symbolsPassed: Int { symbols.filter(\.passed).count }
    public var passed: Bool { symbolsPassed >= symbolsNeeded }

    /// The verdict's reason when it failed: the first failing symbol's check.
    public var failure: (symbol: String, stage: StageResult, check: Check)? {
        guard !passed else { return nil }
        for s in symbols { if let f = s.failure { return (s.symbol, f.stage, f.check) } }
        return nil
    }

    /// The furthest stage every needed symbol reached, for the ledger.
    public var furthestStage: ValidationStage? {
        symbols.compactMap { $0.stages.last?.stage }.max { a, b in
            ValidationStage.allCases.firstIndex(of: a)! < ValidationStage.allCases.firstIndex(of: b)!
        }
    }

    /// A number of the first symbol that has it (the mean over symbols would hide a failure).
    public func metric(_ key: String) -> Double? {
        for s in symbols { if let v = s.metrics[key] { return v } }
        return nil
    }
}
