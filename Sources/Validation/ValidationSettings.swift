/// Everything validation judges by (`validation.*` in configs/default.yaml): the mode, the
/// optimizer's budget, and every gate's threshold. Defaults are the seed's thresholds.
public struct ValidationSettings: Sendable, Equatable {
    /// Which stages run.
    public enum Mode: String, Sendable, CaseIterable {
        /// Factor, signal and backtest gates on the visible data with the script's defaults.
        case quick
        /// Every stage: the quick gates, walk-forward, rolling windows and the honesty checks.
        case full
        /// Walk-forward only.
        case wfOnly = "wf_only"
        /// Rolling windows only.
        case rollingOnly = "rolling_only"
    }

    public var mode = Mode.full
    /// Optimizer trials on the walk-forward training window.
    public var trials = 50
    /// Seed of the optimizer; the same seed gives the same trials whatever the thread count.
    public var seed = 42
    /// Bars before a window that a script sees to warm its indicators up (the window's own bars
    /// are the only ones judged).
    public var warmupBars = 1_000
    /// Share of the symbols that must pass for the verdict to pass (1 = all).
    public var symbolsPassShare = 1.0
    /// The least a fill may cost during validation, whatever `strategy{}` says: a script cannot
    /// pass by trading for free. Fee per side and slippage, as fractions; funding is always paid.
    public var minFee = 0.0004
    public var minSlippage = 0.0001
    /// Trades a parameter set must make on a window for the optimizer to count its Sharpe (fewer
    /// is the worst outcome): a Sharpe from three trades is luck.
    public var optimizerMinTrades = 5
    public var factor = FactorThresholds()
    public var signal = SignalThresholds()
    public var backtest = BacktestThresholds()
    public var walkForward = WalkForwardSettings()
    public var rolling = RollingSettings()
    public var honesty = HonestySettings()

    public init() {}

    /// `validation.factor.*`: the factor layer's gate (stage 1).
    public struct FactorThresholds: Sendable, Equatable {
        /// |Spearman rank IC| against forward returns, at the best of the horizons (`factor.horizons`).
        public var minIC = 0.02
        /// Mean / std of the IC over non-overlapping periods, in the IC's direction.
        public var minIR = 0.3
        /// Length of an IR period, in hours (scaled to bars by the interval).
        public var irPeriodHours = 720.0
        /// Quantile buckets for the monotonicity check.
        public var quantiles = 5
        /// |Spearman correlation| of the quantile's rank with its mean forward return.
        public var minMonotonicity = 0.6
        /// 1 − the factor's lag-1 rank autocorrelation (not the backtest's turnover).
        public var maxRankTurnover = 0.8
        /// Two-sided p of the IC with Newey–West (HAC) standard errors, Bonferroni-adjusted
        /// for the number of horizons looked at.
        public var maxPValue = 0.05
        public init() {}
    }

    /// `validation.signal.*`: the signal layer's gate (stage 2), on signal trades held from entry
    /// to exit after costs and funding.
    public struct SignalThresholds: Sendable, Equatable {
        public var minWinRate = 0.40
        public var minProfitFactor = 1.0
        /// Mean net return per signal trade, a fraction (0.001 = 0.1%).
        public var minEdge = 0.001
        public var minPerThousandBars = 1.0
        public var maxPerThousandBars = 500.0
        public init() {}
    }

    /// `validation.backtest.*`: the strategy layer's gate (stage 3).
    public struct BacktestThresholds: Sendable, Equatable {
        public var minTrades = 50
        /// Daily Sharpe × √365, as `run` reports it.
        public var minSharpe = 0.3
        public init() {}
    }

    /// `validation.walk_forward.*`: train / validation / test shares of the visible span (stage 4).
    public struct WalkForwardSettings: Sendable, Equatable {
        public var train = 0.6
        public var validation = 0.2
        public var test = 0.2
        /// The best training trials evaluated on the validation window; the best there is chosen.
        public var candidates = 5
        /// Sharpe the best candidate must reach on the validation window.
        public var minValidationSharpe = 0.0
        /// Sharpe the chosen parameters must reach on the test window.
        public var minTestSharpe = 0.3
        /// Trades the chosen parameters must make on the test window.
        public var minTestTrades = 10
        /// The shortest test window that can be judged, in days.
        public var minTestDays = 30.0
        public init() {}
    }

    /// `validation.rolling.*`: re-optimized train windows and the test windows after them (stage 5).
    public struct RollingSettings: Sendable, Equatable {
        public var trainHours = 2_160.0
        public var testHours = 720.0
        public var stepHours = 720.0
        /// Optimizer trials inside each train window.
        public var trials = 20
        /// Fewest windows a verdict is drawn from.
        public var minWindows = 3
        /// Share of test windows with a positive return.
        public var minPositiveShare = 0.6
        /// Mean test Sharpe / mean train Sharpe.
        public var minDecayRatio = 0.5
        public init() {}
    }

    /// `validation.honesty.*`: the checks no single backtest can pass by luck (stage 6).
    public struct HonestySettings: Sendable, Equatable {
        /// The most recent share of the span, locked away until promotion.
        public var holdout = 0.2
        public var minDeflatedSharpe = 0.95
        public var maxPBO = 0.5
        /// Blocks of the CSCV behind the PBO (even, 2...24).
        public var pboSplits = 16
        /// Optimizer trials that traded, with distinct parameters, the PBO needs to mean anything.
        public var pboMinTrials = 10
        /// Truncation points of the lookahead check.
        public var lookaheadPoints = 20
        /// Share of the Sharpe kept with one more bar of execution delay.
        public var minLagRetention = 0.5
        /// Largest daily-return correlation with a saved strategy.
        public var maxSelfCorrelation = 0.7
        /// Common days a correlation with a saved strategy needs to be measured.
        public var minCommonDays = 30
        /// Variance of annualized Sharpe ratios across trials when this run has too few trials of
        /// its own to measure it (the deflated Sharpe paper's example uses 0.5).
        public var sharpeVariancePrior = 0.5
        /// What the strategy must show on the locked holdout when it is opened.
        public var holdoutMinSharpe = 0.3
        public var holdoutMinTrades = 5
        /// The shortest holdout worth opening, in days.
        public var holdoutMinDays = 30.0
        public init() {}
    }

    /// Problems no single key can show (shares that do not add up); nil when consistent.
    public var inconsistency: String? {
        let w = walkForward
        if abs(w.train + w.validation + w.test - 1) > 1e-9 {
            return "validation.walk_forward: train + validation + test must be 1, got \(w.train + w.validation + w.test)"
        }
        if w.train <= 0 || w.validation <= 0 || w.test <= 0 { return "validation.walk_forward: every share must be above 0" }
        if factor.quantiles < 2 { return "validation.factor.quantiles must be at least 2" }
        if honesty.pboSplits % 2 != 0 || honesty.pboSplits < 2 || honesty.pboSplits > 24 {
            return "validation.honesty.pbo_splits must be even, in 2...24, got \(honesty.pboSplits)"
        }
        if honesty.holdout >= 0.9 { return "validation.honesty.holdout must leave something to validate on (below 0.9)" }
        if walkForward.candidates < 1 { return "validation.walk_forward.candidates must be at least 1" }
        if rolling.minWindows < 1 { return "validation.rolling.min_windows must be at least 1" }
        if honesty.lookaheadPoints < 20 {
            return "validation.honesty.lookahead_points must be at least 20 (truncations spread over the span), got \(honesty.lookaheadPoints)"
        }
        return nil
    }
}
