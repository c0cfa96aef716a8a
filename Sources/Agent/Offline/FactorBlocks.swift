import Primitives

/// One parameter of a building block: its Lua name and the range it is searched over, taken
/// from the primitive registry's typical range of the argument it feeds (narrowed where the
/// block needs it, e.g. a fast average shorter than the slow one).
struct BlockParameter: Sendable {
    let name: String
    let range: ClosedRange<Double>
    let isInteger: Bool

    /// A parameter feeding `argument` of `primitive`, within `within` when given.
    init(_ name: String, _ primitive: String, _ argument: String, within: ClosedRange<Double>? = nil) {
        let typical = PrimitiveRegistry.byName[primitive]?.typical(argument) ?? 2...240
        let low = max(typical.lowerBound, within?.lowerBound ?? -.infinity)
        let high = min(typical.upperBound, within?.upperBound ?? .infinity)
        precondition(low <= high, "\(primitive).\(argument): \(within!) lies outside the registry's typical \(typical)")
        self.name = name
        self.range = low...high
        let integer: Bool
        switch PrimitiveRegistry.byName[primitive]?.arguments.first(where: { $0.name == argument })?.kind {
        case .window?, .integer?: integer = true
        default: integer = false
        }
        self.isInteger = integer
    }

    /// A default drawn from the range: log-uniform for windows (a 10-bar and a 100-bar window
    /// are equally worth a look), uniform for the rest.
    func draw(_ rng: inout SeededRandom) -> Double {
        if isInteger {
            let lo = PortableMath.log(max(1, range.lowerBound)), hi = PortableMath.log(range.upperBound)
            return min(range.upperBound, max(range.lowerBound, PortableMath.exp(lo + (hi - lo) * rng.uniform()).rounded()))
        }
        return ((range.lowerBound + (range.upperBound - range.lowerBound) * rng.uniform()) * 100).rounded() / 100
    }
}

/// A typed building block of a factor: a Lua expression over `d` that is expected to rank
/// forward returns (higher = more bullish), with its parameters. Blocks combine into factors
/// (``FactorDesign``); the registry supplies every call and range they use.
struct FactorBlock: Sendable {
    let key: String
    let category: ResearchCategory
    /// What it measures, for the script's comment and the rationale.
    let title: String
    /// Why it might predict, completing "bets that ...".
    let bet: String
    let parameters: [BlockParameter]
    /// Data columns it reads beyond OHLCV.
    let needs: [String]
    /// Lua statements before the expression, then the expression; `p(name)` is the parameter's
    /// local name in the script, `barsPerDay` the bars of a day at the script's interval.
    let body: @Sendable (_ p: (String) -> String, _ barsPerDay: Int) -> (setup: [String], expression: String)
    /// Primitives it calls, so the tests can hold every block to the registry.
    let calls: [String]
    /// Only for bars shorter than a day (it reads the time of day).
    let intradayOnly: Bool

    init(_ key: String, _ category: ResearchCategory, title: String, bet: String, parameters: [BlockParameter], needs: [String] = [],
         calls: [String], body: @escaping @Sendable (_ p: (String) -> String) -> (setup: [String], expression: String)) {
        self.init(key, category, title: title, bet: bet, parameters: parameters, needs: needs, calls: calls, intradayOnly: false) { p, _ in body(p) }
    }

    init(_ key: String, _ category: ResearchCategory, title: String, bet: String, parameters: [BlockParameter], needs: [String] = [],
         calls: [String], intradayOnly: Bool,
         body: @escaping @Sendable (_ p: (String) -> String, _ barsPerDay: Int) -> (setup: [String], expression: String)) {
        self.key = key
        self.category = category
        self.title = title
        self.bet = bet
        self.parameters = parameters
        self.needs = needs
        self.calls = calls
        self.intradayOnly = intradayOnly
        self.body = body
    }

    /// Whether the block can be written for these columns and bars of `barsPerDay` a day.
    func serves(columns: Set<String>, barsPerDay: Int) -> Bool {
        Set(needs).isSubset(of: columns) && (!intradayOnly || barsPerDay >= 2)
    }
}

/// The offline generator's vocabulary of factor blocks, by category.
enum FactorBlocks {
    static let all: [FactorBlock] = momentum + meanReversion + breakout + volatility + funding + openInterest + volume

    static func of(_ category: ResearchCategory) -> [FactorBlock] { all.filter { $0.category == category } }

    /// Columns the blocks above already read, or that carry no signal of their own.
    static let knownColumns: Set<String> = ["funding", "funding_rate", "open_interest", "open_interest_value", "quote_volume",
                                            "trades", "taker_buy_volume", "taker_buy_quote_volume"]

    /// Blocks for the data's other columns (your own features in a `--data` CSV, a synthetic
    /// market's `hint`): each is tried as a leading signal, smoothed, and faded, z-scored.
    static func columns(_ names: Set<String>) -> [FactorBlock] {
        names.subtracting(knownColumns).filter { name in
            !name.hasPrefix("mark_") && name.first.map { $0.isLetter || $0 == "_" } == true
                && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        }.sorted().flatMap { column in [
            FactorBlock("\(column)_lead", .momentum, title: "the \(column) column, smoothed",
                        bet: "the \(column) column leads returns in its own direction",
                        parameters: [BlockParameter("n", "ema", "n", within: 5...48)], calls: ["ema"]) { p in
                ([], "ema(d.\(column), \(p("n")))")
            },
            FactorBlock("\(column)_extreme_fade", .meanReversion, title: "the \(column) column's z-score, faded",
                        bet: "extremes of the \(column) column revert, and price with them",
                        parameters: [BlockParameter("n", "zscore", "n", within: 24...336)], calls: ["zscore"]) { p in
                ([], "-zscore(d.\(column), \(p("n")))")
            },
        ] }
    }

    static let momentum: [FactorBlock] = [
        FactorBlock("roc_momentum", .momentum, title: "return over the last n bars",
                    bet: "returns over the last days persist into the next ones",
                    parameters: [BlockParameter("n", "pct_change", "n", within: 12...168)], calls: ["pct_change"]) { p in
            ([], "pct_change(d.close, \(p("n")))")
        },
        FactorBlock("ema_spread", .momentum, title: "fast EMA over slow EMA",
                    bet: "a fast average pulling away from a slow one marks a trend that keeps going",
                    parameters: [BlockParameter("fast", "ema", "n", within: 5...48), BlockParameter("slow", "ema", "n", within: 60...400)],
                    calls: ["ema"]) { p in
            ([], "ema(d.close, \(p("fast"))) / ema(d.close, \(p("slow"))) - 1")
        },
        FactorBlock("macd_histogram", .momentum, title: "MACD histogram relative to price",
                    bet: "accelerating trends, as the MACD histogram measures them, carry on",
                    parameters: [BlockParameter("fast", "macd", "fast"), BlockParameter("slow", "macd", "slow", within: 30...80),
                                 BlockParameter("smoothing", "macd", "signal")], calls: ["macd"]) { p in
            (["local _, _, histogram = macd(d.close, \(p("fast")), \(p("slow")), \(p("smoothing")))"], "histogram / d.close")
        },
        // Time of day: the return of the bar ahead, as that time of day went on earlier days
        // (lags of a day less one bar, so each day's bar is the one that ends where the next bar
        // will). Lags count bars, so a gap in the data shifts the days before it.
        FactorBlock("hour_seasonality", .momentum, title: "the next bar's time of day, as it went on earlier days",
                    bet: "returns at a given time of day repeat from day to day (session opens, funding settlements)",
                    parameters: [BlockParameter("days", "lag", "k", within: 5...30)], calls: ["log_return", "lag"],
                    intradayOnly: true) { p, perDay in
            (["local r = log_return(d.close)",
              "local seasonal = lag(r, \(perDay - 1))",
              "for k = 2, \(p("days")) do seasonal = seasonal + lag(r, k * \(perDay) - 1) end"],
             "seasonal / \(p("days"))")
        },
        FactorBlock("trend_strength", .momentum, title: "trend direction weighted by ADX",
                    bet: "trends the ADX calls strong outlast weak ones",
                    parameters: [BlockParameter("n", "ema", "n", within: 12...96), BlockParameter("adx_n", "adx", "n")],
                    calls: ["sign", "ema", "adx"]) { p in
            ([], "sign(ema(d.close, \(p("n"))) - ema(d.close, \(p("n")) * 4)) * adx(d.high, d.low, d.close, \(p("adx_n"))) / 25")
        },
    ]

    static let meanReversion: [FactorBlock] = [
        FactorBlock("price_zscore_fade", .meanReversion, title: "price z-score, faded",
                    bet: "prices far from their recent mean drift back to it",
                    parameters: [BlockParameter("n", "zscore", "n", within: 12...240)], calls: ["zscore"]) { p in
            ([], "-zscore(d.close, \(p("n")))")
        },
        FactorBlock("rsi_fade", .meanReversion, title: "RSI distance from 50, faded",
                    bet: "short-term RSI extremes overshoot and partly revert",
                    parameters: [BlockParameter("n", "rsi", "n")], calls: ["rsi"]) { p in
            ([], "50 - rsi(d.close, \(p("n")))")
        },
        FactorBlock("stochastic_fade", .meanReversion, title: "stochastic %K distance from 50, faded",
                    bet: "closes at the edge of the recent range pull back inside it",
                    parameters: [BlockParameter("k_n", "stoch", "k"), BlockParameter("smooth", "stoch", "smooth_k")], calls: ["stoch"]) { p in
            (["local k = stoch(d.high, d.low, d.close, \(p("k_n")), \(p("smooth")), 3)"], "50 - k")
        },
        FactorBlock("bollinger_fade", .meanReversion, title: "position inside the Bollinger bands, faded",
                    bet: "closes outside the Bollinger bands return inside",
                    parameters: [BlockParameter("n", "bbands", "n"), BlockParameter("width", "bbands", "k")], calls: ["bbands"]) { p in
            (["local upper, middle, lower = bbands(d.close, \(p("n")), \(p("width")))"], "(middle - d.close) / (upper - lower)")
        },
        FactorBlock("short_reversal", .meanReversion, title: "last few bars' return, faded",
                    bet: "the last hours' moves are partly liquidity and revert",
                    parameters: [BlockParameter("n", "pct_change", "n", within: 1...12)], calls: ["pct_change"]) { p in
            ([], "-pct_change(d.close, \(p("n")))")
        },
        FactorBlock("vwap_gap_fade", .meanReversion, title: "distance from the rolling VWAP, faded",
                    bet: "price pulled away from the volume-weighted average comes back to it",
                    parameters: [BlockParameter("n", "vwap", "n")], calls: ["vwap"]) { p in
            ([], "1 - d.close / vwap(d.high, d.low, d.close, d.volume, \(p("n")))")
        },
    ]

    static let breakout: [FactorBlock] = [
        FactorBlock("channel_position", .breakout, title: "close within the high-low channel",
                    bet: "closes near the top of the recent range break out upward (and near the bottom, downward)",
                    parameters: [BlockParameter("n", "rolling_max", "n", within: 24...336)], calls: ["rolling_max", "rolling_min"]) { p in
            (["local top, bottom = rolling_max(d.high, \(p("n"))), rolling_min(d.low, \(p("n")))"],
             "(d.close - bottom) / (top - bottom) - 0.5")
        },
        FactorBlock("donchian_break", .breakout, title: "close against the previous channel high and low",
                    bet: "a close beyond the previous range's high or low starts a move",
                    parameters: [BlockParameter("n", "rolling_max", "n", within: 24...336)], calls: ["rolling_max", "rolling_min", "lag"]) { p in
            (["local top, bottom = lag(rolling_max(d.high, \(p("n"))), 1), lag(rolling_min(d.low, \(p("n"))), 1)"],
             "(d.close - (top + bottom) / 2) / (top - bottom)")
        },
        FactorBlock("atr_breakout", .breakout, title: "distance from the mean in ATRs",
                    bet: "a move of several average true ranges away from the mean keeps going",
                    parameters: [BlockParameter("n", "sma", "n", within: 12...168), BlockParameter("atr_n", "atr", "n")],
                    calls: ["sma", "atr", "lag"]) { p in
            ([], "(d.close - lag(sma(d.close, \(p("n"))), 1)) / atr(d.high, d.low, d.close, \(p("atr_n")))")
        },
    ]

    static let volatility: [FactorBlock] = [
        FactorBlock("vol_scaled_momentum", .volatility, title: "return scaled by volatility",
                    bet: "moves that are large for the current volatility regime continue",
                    parameters: [BlockParameter("n", "pct_change", "n", within: 6...96), BlockParameter("vol_n", "std", "n", within: 24...240)],
                    calls: ["pct_change", "std", "log_return"]) { p in
            ([], "pct_change(d.close, \(p("n"))) / std(log_return(d.close), \(p("vol_n")))")
        },
        FactorBlock("squeeze_direction", .volatility, title: "direction of the last move times volatility compression",
                    bet: "after volatility compresses, the direction of the first move holds",
                    parameters: [BlockParameter("fast", "std", "n", within: 6...48), BlockParameter("slow", "std", "n", within: 96...240)],
                    calls: ["sign", "pct_change", "std", "log_return"]) { p in
            (["local r = log_return(d.close)"],
             "sign(pct_change(d.close, \(p("fast")))) * std(r, \(p("slow"))) / std(r, \(p("fast")))")
        },
        FactorBlock("atr_stretch_fade", .volatility, title: "stretch from the EMA in ATRs, faded",
                    bet: "stretches of several ATRs from the average snap back when volatility is high",
                    parameters: [BlockParameter("n", "ema", "n", within: 12...96), BlockParameter("atr_n", "atr", "n")],
                    calls: ["ema", "atr"]) { p in
            ([], "(ema(d.close, \(p("n"))) - d.close) / atr(d.high, d.low, d.close, \(p("atr_n")))")
        },
    ]

    static let funding: [FactorBlock] = [
        FactorBlock("funding_zscore_fade", .funding, title: "funding z-score, faded", bet: "extreme funding marks a crowded side that unwinds",
                    parameters: [BlockParameter("n", "zscore", "n", within: 24...336)], needs: ["funding"], calls: ["zscore"]) { p in
            ([], "-zscore(d.funding, \(p("n")))")
        },
        FactorBlock("funding_carry", .funding, title: "smoothed funding, faded",
                    bet: "the side that pays funding is crowded and underperforms, and the other side earns the carry",
                    parameters: [BlockParameter("n", "ema", "n", within: 8...168)], needs: ["funding"], calls: ["ema"]) { p in
            ([], "-ema(d.funding, \(p("n")))")
        },
        FactorBlock("funding_shift", .funding, title: "change in funding, faded",
                    bet: "a sudden rise in funding is late longs piling in, a fall late shorts",
                    parameters: [BlockParameter("shift", "lag", "k", within: 8...48)], needs: ["funding"], calls: ["lag"]) { p in
            ([], "lag(d.funding, \(p("shift"))) - d.funding")
        },
        FactorBlock("funding_divergence", .funding, title: "price trend against funding",
                    bet: "a trend that funding does not chase is healthy; one it chases is crowded",
                    parameters: [BlockParameter("n", "pct_change", "n", within: 24...168), BlockParameter("z_n", "zscore", "n", within: 48...336)],
                    needs: ["funding"], calls: ["sign", "pct_change", "zscore"]) { p in
            ([], "sign(pct_change(d.close, \(p("n")))) - zscore(d.funding, \(p("z_n")))")
        },
    ]

    static let openInterest: [FactorBlock] = [
        FactorBlock("oi_surge_trend", .openInterest, title: "open-interest surge in the direction of price",
                    bet: "new positions opening behind a move push it further",
                    parameters: [BlockParameter("n", "pct_change", "n", within: 4...48), BlockParameter("z_n", "zscore", "n", within: 48...336)],
                    needs: ["open_interest"], calls: ["zscore", "pct_change", "sign"]) { p in
            ([], "zscore(pct_change(d.open_interest, \(p("n"))), \(p("z_n"))) * sign(pct_change(d.close, \(p("n"))))")
        },
        FactorBlock("oi_crowding_fade", .openInterest, title: "open-interest level, faded in the direction of price",
                    bet: "record open interest behind a move means crowding that unwinds",
                    parameters: [BlockParameter("n", "zscore", "n", within: 48...336), BlockParameter("move", "pct_change", "n", within: 12...96)],
                    needs: ["open_interest"], calls: ["zscore", "pct_change", "sign"]) { p in
            ([], "-zscore(d.open_interest, \(p("n"))) * sign(pct_change(d.close, \(p("move"))))")
        },
    ]

    static let volume: [FactorBlock] = [
        FactorBlock("volume_confirmed_move", .volume, title: "volume surge in the direction of price",
                    bet: "moves on unusual volume are informed and continue",
                    parameters: [BlockParameter("n", "zscore", "n", within: 24...240), BlockParameter("move", "pct_change", "n", within: 1...24)],
                    calls: ["zscore", "sign", "pct_change"]) { p in
            ([], "zscore(d.volume, \(p("n"))) * sign(pct_change(d.close, \(p("move"))))")
        },
        FactorBlock("obv_trend", .volume, title: "on-balance volume z-score",
                    bet: "volume flowing in ahead of price leads it",
                    parameters: [BlockParameter("n", "zscore", "n", within: 24...336)], calls: ["zscore", "obv"]) { p in
            ([], "zscore(obv(d.close, d.volume), \(p("n")))")
        },
        FactorBlock("volume_exhaustion", .volume, title: "volume climax against the move",
                    bet: "a move ending on a volume climax is exhausted and reverts",
                    parameters: [BlockParameter("n", "zscore", "n", within: 24...240), BlockParameter("move", "pct_change", "n", within: 1...12)],
                    calls: ["zscore", "sign", "pct_change", "clip"]) { p in
            ([], "-clip(zscore(d.volume, \(p("n"))), 0, 5) * sign(pct_change(d.close, \(p("move"))))")
        },
    ]
}
