/// The one list of Lua-callable primitives. It generates the Lua bindings, `llmalpha docs`, the
/// REPL's `help()` and completion, and the API reference in the LLM prompt: adding a primitive is one
/// entry here, its kernel and its tests.
///
/// Lua names are snake_case and follow TA-Lib where TA-Lib has the function; conventions are in
/// DESIGN.md section 3. Entries are grouped as the reference is.
package enum PrimitiveRegistry {
    /// Every primitive, in reference order. A primitive's function id in the Lua binding is its index.
    package static let all: [PrimitiveSpec] = rolling + indicators + transforms + comparisons + events
        + time + stats + methods + operators

    /// Lookup by ``PrimitiveSpec/key``: the Lua name, `:name` for methods, `__add` for operators.
    package static let byName: [String: PrimitiveSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    /// Function ids of the Series metamethods, in the order LuaSandboxC installs them.
    package static let operatorNames = ["__add", "__sub", "__mul", "__div", "__mod", "__pow", "__unm", "__idiv",
                                       "__band", "__bor", "__bxor", "__bnot"]

    /// Index of a primitive in ``all``, by ``PrimitiveSpec/key``.
    package static func id(of key: String) -> Int? { ids[key] }
    private static let ids: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1.key, $0) })

    // MARK: - argument shorthands

    private static let s = ArgumentSpec("s", .series)
    private static func window(_ name: String = "n", default d: Double? = nil, typical: ClosedRange<Double>? = nil) -> ArgumentSpec {
        ArgumentSpec(name, .window, default: d, typical: typical)
    }
    private static let out = [ResultSpec.series("result")]
    private static let mask = [ResultSpec.mask("mask")]

    /// A series → series kernel with one window.
    private static func windowed(
        _ name: String, _ group: PrimitiveSpec.Group, summary: String, example: String, lookback: String = "n - 1",
        reference: String, defaultWindow: Double? = nil, typical: ClosedRange<Double>? = nil,
        _ kernel: @escaping @Sendable (UnsafeBufferPointer<Double>, Int, UnsafeMutableBufferPointer<Double>) -> Void
    ) -> PrimitiveSpec {
        PrimitiveSpec(name: name, group: group, arguments: [s, window(default: defaultWindow, typical: typical)], results: out,
                      summary: summary, example: example, lookback: lookback, reference: reference) { a, r in
            kernel(a.series(0), a.int(1), r.series[0])
        }
    }

    /// A series → series kernel without parameters.
    private static func unary(
        _ name: String, summary: String, example: String, reference: String,
        _ kernel: @escaping @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void
    ) -> PrimitiveSpec {
        PrimitiveSpec(name: name, group: .transform, arguments: [s], results: out, summary: summary,
                      example: example, lookback: "0", reference: reference) { a, r in kernel(a.series(0), r.series[0]) }
    }

    // MARK: - moving and rolling

    static let rolling: [PrimitiveSpec] = [
        windowed("sma", .rolling, summary: "simple moving average of the last n values",
                 example: "local m = sma(d.close, 20)", reference: "TA-Lib SMA", typical: 5...400) { Rolling.mean($0, window: $1, into: $2) },
        windowed("ema", .rolling, summary: "exponential moving average, k = 2/(n+1), seeded with the SMA of the first n values",
                 example: "local e = ema(d.close, 20)", reference: "TA-Lib EMA", typical: 5...400) { Rolling.ema($0, window: $1, into: $2) },
        windowed("wma", .rolling, summary: "linearly weighted moving average (weights 1..n, newest heaviest)",
                 example: "local w = wma(d.close, 20)", reference: "TA-Lib WMA") { Rolling.wma($0, window: $1, into: $2) },
        windowed("std", .rolling, summary: "rolling standard deviation, population (ddof = 0); 0 on a flat window",
                 example: "local vol = std(log_return(d.close), 24)", reference: "TA-Lib STDDEV") {
            Rolling.standardDeviation($0, window: $1, into: $2)
        },
        windowed("var", .rolling, summary: "rolling variance, population (ddof = 0)",
                 example: "local v = var(d.close, 20)", reference: "TA-Lib VAR") { Rolling.variance($0, window: $1, into: $2) },
        windowed("zscore", .rolling, summary: "(s - sma(s, n)) / std(s, n), population std; NaN where std is 0",
                 example: "local z = zscore(d.close, 48)", reference: "pandas rolling mean/std(ddof=0)", typical: 12...500) {
            Rolling.zScore($0, window: $1, into: $2)
        },
        windowed("rolling_sum", .rolling, summary: "sum of the last n values",
                 example: "local v24 = rolling_sum(d.volume, 24)", reference: "TA-Lib SUM") { Rolling.sum($0, window: $1, into: $2) },
        windowed("rolling_max", .rolling, summary: "highest of the last n values",
                 example: "local hh = rolling_max(d.high, 24)", reference: "TA-Lib MAX", typical: 12...336) { Rolling.max($0, window: $1, into: $2) },
        windowed("rolling_min", .rolling, summary: "lowest of the last n values",
                 example: "local ll = rolling_min(d.low, 24)", reference: "TA-Lib MIN", typical: 12...336) { Rolling.min($0, window: $1, into: $2) },
        windowed("rolling_median", .rolling, summary: "median of the last n values",
                 example: "local med = rolling_median(d.close, 21)", reference: "pandas rolling median") { Rolling.median($0, window: $1, into: $2) },
        windowed("rank", .rolling, summary: "rolling percentile rank: fraction of the last n values <= the current one, in (0, 1]",
                 example: "local r = rank(d.volume, 100)", reference: "pandas rolling rank(method='max', pct=True)") { Rolling.percentRank($0, window: $1, into: $2) },
        PrimitiveSpec(name: "quantile", group: .rolling,
                      arguments: [s, window(), ArgumentSpec("q", .number(0...1), default: 0.5)], results: out,
                      summary: "rolling quantile q of the last n values, linear interpolation",
                      example: "local p90 = quantile(d.close, 50, 0.9)", lookback: "n - 1",
                      reference: "pandas rolling quantile(interpolation='linear')") { a, r in
            Rolling.quantile(a.series(0), window: a.int(1), probability: a.number(2), into: r.series[0])
        },
        PrimitiveSpec(name: "corr", group: .rolling, arguments: [ArgumentSpec("a", .series), ArgumentSpec("b", .series), window()],
                      results: out, summary: "rolling Pearson correlation of a and b; NaN where either is flat",
                      example: "local c = corr(d.close, d.volume, 48)", lookback: "n - 1", reference: "TA-Lib CORREL") { a, r in
            Rolling.correlation(a.series(0), a.series(1), window: a.int(2), into: r.series[0])
        },
        PrimitiveSpec(name: "cov", group: .rolling, arguments: [ArgumentSpec("a", .series), ArgumentSpec("b", .series), window()],
                      results: out, summary: "rolling covariance of a and b, population (ddof = 0)",
                      example: "local c = cov(pct_change(d.close), pct_change(d.volume), 48)", lookback: "n - 1",
                      reference: "pandas rolling cov(ddof=0)") { a, r in
            Rolling.covariance(a.series(0), a.series(1), window: a.int(2), into: r.series[0])
        },
        PrimitiveSpec(name: "beta", group: .rolling, arguments: [ArgumentSpec("y", .series), ArgumentSpec("x", .series), window()],
                      results: out, summary: "rolling regression slope of y on x: cov(y, x) / var(x); pass returns, not prices",
                      example: "local b = beta(pct_change(d.close), pct_change(d.volume), 72)", lookback: "n - 1",
                      reference: "pandas rolling cov/var") { a, r in
            Rolling.beta(a.series(0), on: a.series(1), window: a.int(2), into: r.series[0])
        },
    ]

    // MARK: - indicators

    private static let high = ArgumentSpec("high", .series)
    private static let low = ArgumentSpec("low", .series)
    private static let close = ArgumentSpec("close", .series)
    private static let volume = ArgumentSpec("volume", .series)

    static let indicators: [PrimitiveSpec] = [
        windowed("rsi", .indicator, summary: "relative strength index, Wilder smoothing, 0..100",
                 example: "local r = rsi(d.close, 14)", lookback: "n", reference: "TA-Lib RSI", defaultWindow: 14, typical: 2...30) {
            Indicators.rsi($0, window: $1, into: $2)
        },
        PrimitiveSpec(name: "macd", group: .indicator,
                      arguments: [s, window("fast", default: 12, typical: 6...24), window("slow", default: 26, typical: 20...80),
                                  window("signal", default: 9, typical: 5...18)],
                      results: [.series("macd"), .series("signal"), .series("hist")],
                      summary: "MACD line (ema fast - ema slow), its signal ema and the histogram",
                      example: "local m, sig, hist = macd(d.close, 12, 26, 9)", lookback: "slow + signal - 2",
                      reference: "TA-Lib MACD",
                      check: { $0.int(1) < $0.int(2) ? nil : "fast must be shorter than slow, got \($0.int(1)) and \($0.int(2))" }) { a, r in
            Indicators.macd(a.series(0), fast: a.int(1), slow: a.int(2), signal: a.int(3),
                            macd: r.series[0], signalLine: r.series[1], histogram: r.series[2])
        },
        PrimitiveSpec(name: "atr", group: .indicator, arguments: [high, low, close, window(default: 14, typical: 5...50)], results: out,
                      summary: "average true range, Wilder smoothing", example: "local a = atr(d.high, d.low, d.close, 14)",
                      lookback: "n", reference: "TA-Lib ATR") { a, r in
            Indicators.atr(high: a.series(0), low: a.series(1), close: a.series(2), window: a.int(3), into: r.series[0])
        },
        PrimitiveSpec(name: "bbands", group: .indicator,
                      arguments: [s, window(default: 20, typical: 10...100), ArgumentSpec("k", .number(0...100), default: 2, typical: 1...3)],
                      results: [.series("upper"), .series("middle"), .series("lower")],
                      summary: "Bollinger bands: sma(s, n) ± k population std", example: "local up, mid, lo = bbands(d.close, 20, 2)",
                      lookback: "n - 1", reference: "TA-Lib BBANDS") { a, r in
            Indicators.bollingerBands(a.series(0), window: a.int(1), deviations: a.number(2),
                                      upper: r.series[0], middle: r.series[1], lower: r.series[2])
        },
        PrimitiveSpec(name: "stoch", group: .indicator,
                      arguments: [high, low, close, window("k", default: 14, typical: 5...30), window("smooth_k", default: 3, typical: 1...5),
                                  window("d", default: 3, typical: 1...5)],
                      results: [.series("k"), .series("d")],
                      summary: "slow stochastic %K and %D (SMA smoothing), 0..100",
                      example: "local k, dd = stoch(d.high, d.low, d.close, 14, 3, 3)", lookback: "k + smooth_k + d - 3",
                      reference: "TA-Lib STOCH") { a, r in
            Indicators.stochastic(high: a.series(0), low: a.series(1), close: a.series(2), fastK: a.int(3), slowK: a.int(4),
                                  slowD: a.int(5), k: r.series[0], d: r.series[1])
        },
        PrimitiveSpec(name: "adx", group: .indicator, arguments: [high, low, close, window(default: 14, typical: 7...30)], results: out,
                      summary: "average directional index (trend strength), 0..100",
                      example: "local strength = adx(d.high, d.low, d.close, 14)", lookback: "2n - 1", reference: "TA-Lib ADX") { a, r in
            Indicators.adx(high: a.series(0), low: a.series(1), close: a.series(2), window: a.int(3), into: r.series[0])
        },
        PrimitiveSpec(name: "obv", group: .indicator, arguments: [close, volume], results: out,
                      summary: "on-balance volume, starting from the first bar's volume", example: "local o = obv(d.close, d.volume)",
                      lookback: "0", reference: "TA-Lib OBV") { a, r in
            Indicators.obv(close: a.series(0), volume: a.series(1), into: r.series[0])
        },
        PrimitiveSpec(name: "vwap", group: .indicator, arguments: [high, low, close, volume, window(typical: 12...168)], results: out,
                      summary: "rolling volume-weighted average of the typical price (h+l+c)/3 over n bars",
                      example: "local v = vwap(d.high, d.low, d.close, d.volume, 24)", lookback: "n - 1",
                      reference: "pandas rolling sums") { a, r in
            Indicators.vwap(high: a.series(0), low: a.series(1), close: a.series(2), volume: a.series(3), window: a.int(4),
                            into: r.series[0])
        },
        windowed("roc", .indicator, summary: "rate of change in percent: (s / s[t-n] - 1) * 100",
                 example: "local m = roc(d.close, 10)", lookback: "n", reference: "TA-Lib ROC", defaultWindow: 10) {
            Indicators.roc($0, window: $1, into: $2)
        },
        PrimitiveSpec(name: "pct_change", group: .indicator, arguments: [s, window(default: 1, typical: 1...168)], results: out,
                      summary: "fractional change over n bars: s / s[t-n] - 1", example: "local r = pct_change(d.close, 1)",
                      lookback: "n", reference: "pandas pct_change") { a, r in
            Indicators.pctChange(a.series(0), periods: a.int(1), into: r.series[0])
        },
        PrimitiveSpec(name: "log_return", group: .indicator, arguments: [s, window(default: 1)], results: out,
                      summary: "log return over n bars: log(s / s[t-n])", example: "local lr = log_return(d.close)",
                      lookback: "n", reference: "numpy log") { a, r in
            Indicators.logReturn(a.series(0), periods: a.int(1), into: r.series[0])
        },
    ]

    // MARK: - transforms

    static let transforms: [PrimitiveSpec] = [
        PrimitiveSpec(name: "lag", group: .transform, arguments: [s, ArgumentSpec("k", .integer(min: 0, max: nil), default: 1, typical: 1...48)],
                      results: out, summary: "the value k bars ago (k >= 0; the past only)",
                      example: "local prev = lag(d.close, 1)", lookback: "k", reference: "pandas shift") { a, r in
            Transforms.lag(a.series(0), periods: a.int(1), into: r.series[0])
        },
        PrimitiveSpec(name: "diff", group: .transform, arguments: [s, ArgumentSpec("k", .integer(min: 1, max: nil), default: 1)],
                      results: out, summary: "s - s[t-k]", example: "local change = diff(d.close, 1)", lookback: "k",
                      reference: "pandas diff") { a, r in
            Transforms.diff(a.series(0), periods: a.int(1), into: r.series[0])
        },
        unary("abs", summary: "absolute value", example: "local size = abs(diff(d.close))", reference: "hand") {
            Transforms.absolute($0, into: $1)
        },
        unary("log", summary: "natural logarithm; NaN for negative values, -inf at 0", example: "local lp = log(d.close)",
              reference: "hand") { Transforms.log($0, into: $1) },
        unary("exp", summary: "e raised to each value", example: "local g = exp(log_return(d.close))", reference: "hand") {
            Transforms.exp($0, into: $1)
        },
        unary("sign", summary: "-1, 0 or 1 by the sign of each value", example: "local dir = sign(diff(d.close))",
              reference: "hand") { Transforms.sign($0, into: $1) },
        PrimitiveSpec(name: "clip", group: .transform,
                      arguments: [s, ArgumentSpec("lo", .number(-.infinity ... .infinity)), ArgumentSpec("hi", .number(-.infinity ... .infinity))],
                      results: out, summary: "limits values to [lo, hi]", example: "local z = clip(zscore(d.close, 48), -3, 3)",
                      lookback: "0", reference: "hand",
                      check: { $0.number(1) <= $0.number(2) ? nil : "lo must not exceed hi, got \(format($0.number(1))) and \(format($0.number(2)))" }) { a, r in
            Transforms.clip(a.series(0), lower: a.number(1), upper: a.number(2), into: r.series[0])
        },
        PrimitiveSpec(name: "where", group: .transform,
                      arguments: [ArgumentSpec("mask", .mask), ArgumentSpec("a", .seriesOrNumber), ArgumentSpec("b", .seriesOrNumber)],
                      results: out, summary: "a where mask is true, else b (series or numbers)",
                      example: "local pos = where(gt(d.close, sma(d.close, 50)), 1, -1)", lookback: "0", reference: "hand") { a, r in
            Transforms.select(a.series(0), a.operand(1), a.operand(2), into: r.series[0])
        },
        PrimitiveSpec(name: "fillna", group: .transform, arguments: [s, ArgumentSpec("value", .number(-.infinity ... .infinity))],
                      results: out, summary: "replaces NaN with a value", example: "local f = fillna(d.volume, 0)", lookback: "0",
                      reference: "hand") { a, r in
            Transforms.fillNaN(a.series(0), with: a.number(1), into: r.series[0])
        },
        unary("ffill", summary: "carries the last known value forward over NaN", example: "local f = ffill(d.close)",
              reference: "pandas ffill") { Transforms.forwardFill($0, into: $1) },
        unary("cumsum", summary: "running sum; NaN stays NaN and is skipped", example: "local eq = cumsum(log_return(d.close))",
              reference: "pandas cumsum") { Transforms.cumulativeSum($0, into: $1) },
        unary("cumprod", summary: "running product; NaN stays NaN and is skipped",
              example: "local growth = cumprod(pct_change(d.close) + 1)", reference: "pandas cumprod") {
            Transforms.cumulativeProduct($0, into: $1)
        },
    ]

    // MARK: - comparisons

    private static func comparison(_ name: String, _ op: Elementwise.Comparison, _ words: String) -> PrimitiveSpec {
        PrimitiveSpec(name: name, group: .comparison, arguments: [ArgumentSpec("a", .seriesOrNumber), ArgumentSpec("b", .seriesOrNumber)],
                      results: mask, summary: "mask: a \(words) b element-wise (false where either is NaN)",
                      example: "local m = \(name)(d.close, sma(d.close, 50))", lookback: "0", reference: "hand") { a, r in
            Elementwise.compare(op, a.operand(0), a.operand(1), into: r.series[0])
        }
    }

    static let comparisons: [PrimitiveSpec] = [
        comparison("gt", .greater, ">"), comparison("lt", .less, "<"), comparison("ge", .greaterOrEqual, ">="),
        comparison("le", .lessOrEqual, "<="), comparison("eq", .equal, "=="), comparison("ne", .notEqual, "~="),
    ]

    // MARK: - events

    static let events: [PrimitiveSpec] = [
        PrimitiveSpec(name: "crossover", group: .event, arguments: [ArgumentSpec("a", .series), ArgumentSpec("b", .seriesOrNumber)],
                      results: mask, summary: "mask: a crosses above b on this bar (a > b now, a <= b on the bar before)",
                      example: "local up = crossover(ema(d.close, 12), ema(d.close, 26))", lookback: "1", reference: "hand") { a, r in
            Events.crossover(a.series(0), a.operand(1), into: r.series[0])
        },
        PrimitiveSpec(name: "crossunder", group: .event, arguments: [ArgumentSpec("a", .series), ArgumentSpec("b", .seriesOrNumber)],
                      results: mask, summary: "mask: a crosses below b on this bar (a < b now, a >= b on the bar before)",
                      example: "local down = crossunder(rsi(d.close, 14), 70)", lookback: "1", reference: "hand") { a, r in
            Events.crossunder(a.series(0), a.operand(1), into: r.series[0])
        },
        PrimitiveSpec(name: "bars_since", group: .event, arguments: [ArgumentSpec("mask", .mask)], results: out,
                      summary: "bars since the mask was last true (0 on a true bar; NaN before the first)",
                      example: "local age = bars_since(crossover(d.close, sma(d.close, 50)))", lookback: "first true bar",
                      reference: "hand") { a, r in
            Events.barsSince(a.series(0), into: r.series[0])
        },
    ]

    // MARK: - time

    static let time: [PrimitiveSpec] = [
        PrimitiveSpec(name: "hour_of_day", group: .time, arguments: [ArgumentSpec("time", .series)], results: out,
                      summary: "UTC hour 0..23 of each bar's open time (pass d.time)", example: "local h = hour_of_day(d.time)",
                      lookback: "0", reference: "pandas dt.hour") { a, r in
            Stats.hourOfDay(a.series(0), into: r.series[0])
        },
        PrimitiveSpec(name: "resample", group: .time,
                      arguments: [ArgumentSpec("s", .series),
                                  ArgumentSpec("interval", options: Resample.intervals.map(\.name), default: "4h"),
                                  ArgumentSpec("how", options: Resample.Aggregation.allCases.map(\.rawValue), default: "last"),
                                  ArgumentSpec("time", .series)],
                      results: out,
                      summary: "a coarser bar's value on each bar, once that bar has closed: resample(s, \"4h\", \"last\") or "
                          + "resample(d, \"4h\") for whole bars (open first, high max, low min, close last, volume sum); "
                          + "the bars' times are passed for you. NaN values are skipped; a bucket with none known is NaN (a sum too). "
                          + "A mask stays a mask with last, first, max (any) and min (all), false until known; sum and mean count",
                      example: "local trend = gt(resample(d.close, \"4h\"), resample(sma(d.close, 20), \"4h\"))",
                      lookback: "one coarse bar (a 4h value appears on the first bar after the 4h bar closed)",
                      reference: "pandas resample(label='left', closed='left') then shift(1) and ffill within the bucket") { a, r in
            let interval = Resample.intervals.first { $0.name == a.option(1) }!.milliseconds
            Resample.aligned(a.series(0), time: a.series(3), interval: interval,
                             how: Resample.Aggregation(rawValue: a.option(2))!, into: r.series[0])
        },
        PrimitiveSpec(name: "day_of_week", group: .time, arguments: [ArgumentSpec("time", .series)], results: out,
                      summary: "UTC weekday of each bar, Monday = 0 .. Sunday = 6 (pass d.time)",
                      example: "local weekend = ge(day_of_week(d.time), 5)", lookback: "0", reference: "pandas dt.dayofweek") { a, r in
            Stats.dayOfWeek(a.series(0), into: r.series[0])
        },
    ]

    // MARK: - research statistics

    static let stats: [PrimitiveSpec] = [
        PrimitiveSpec(name: "forward_return", group: .stat, arguments: [ArgumentSpec("close", .series), window("h", default: 1)],
                      results: out, summary: "close[t+h] / close[t] - 1. LOOKS AHEAD: for measuring a factor, never inside one",
                      example: "local fwd = forward_return(d.close, 24)", lookback: "0 (the last h bars are NaN)",
                      reference: "pandas shift(-h)", looksAhead: true) { a, r in
            Stats.forwardReturn(a.series(0), horizon: a.int(1), into: r.series[0])
        },
        PrimitiveSpec(name: "spearman", group: .stat, arguments: [ArgumentSpec("a", .series), ArgumentSpec("b", .series)],
                      results: [.number("rho")], summary: "Spearman rank correlation over bars where both are known (ties averaged)",
                      example: "local rho = spearman(d.close, d.volume)", lookback: "-", reference: "scipy spearmanr") { a, r in
            r.numbers[0] = Stats.spearman(a.series(0), a.series(1))
        },
        PrimitiveSpec(name: "ic", group: .stat, arguments: [ArgumentSpec("factor", .series), ArgumentSpec("fwd", .series)],
                      results: [.number("ic")], summary: "information coefficient: Spearman rank correlation of a factor with forward returns",
                      example: "local v = ic(-zscore(d.close, 48), forward_return(d.close, 24))", lookback: "-",
                      reference: "scipy spearmanr") { a, r in
            r.numbers[0] = Stats.spearman(a.series(0), a.series(1))
        },
    ]

    // MARK: - Series methods (s:mean())

    private static func method(_ name: String, summary: String, result: ResultSpec = .number("value"),
                               _ reduce: @escaping @Sendable (UnsafeBufferPointer<Double>) -> Double) -> PrimitiveSpec {
        PrimitiveSpec(name: name, group: .method, placement: .method, arguments: [s], results: [result], summary: summary,
                      example: "print(d.close:\(name)())", lookback: "-", reference: "hand") { a, r in
            r.numbers[0] = reduce(a.series(0))
        }
    }

    static let methods: [PrimitiveSpec] = [
        PrimitiveSpec(name: "count", group: .method, placement: .method,
                      arguments: [s], results: [.integer("count")],
                      summary: "number of known (non-NaN) values; for a mask, of true bars",
                      example: "print(gt(d.close, d.open):count())", lookback: "-", reference: "hand") { a, r in
            r.numbers[0] = Reductions.count(a.series(0), isMask: a.isMask(0))
        },
        method("sum", summary: "sum of known values") { Reductions.sum($0) },
        method("mean", summary: "mean of known values") { Reductions.mean($0) },
        method("min", summary: "smallest known value") { Reductions.minimum($0) },
        method("max", summary: "largest known value") { Reductions.maximum($0) },
        method("std", summary: "population standard deviation of known values") { Reductions.standardDeviation($0) },
        method("first_valid", summary: "1-based index of the first known value, nil if none",
               result: .integer("index")) { Reductions.firstValid($0) },
    ]

    // MARK: - operators (metamethods of Series)

    private static let lhs = ArgumentSpec("a", .seriesOrNumber)
    private static let rhs = ArgumentSpec("b", .seriesOrNumber)

    private static func arithmetic(_ name: String, _ symbol: String, _ op: Elementwise.Arithmetic) -> PrimitiveSpec {
        PrimitiveSpec(name: name, group: .operator, placement: .metamethod, arguments: [lhs, rhs], results: out,
                      summary: "a \(symbol) b element-wise; series and numbers mix", example: "local x = d.close \(symbol) d.open",
                      lookback: "0", reference: "hand") { a, r in
            Elementwise.arithmetic(op, a.operand(0), a.operand(1), into: r.series[0])
        }
    }

    private static func logic(_ name: String, _ symbol: String, _ op: Elementwise.Logic) -> PrimitiveSpec {
        PrimitiveSpec(name: name, group: .operator, placement: .metamethod,
                      arguments: [ArgumentSpec("a", .mask), ArgumentSpec("b", .mask)], results: mask,
                      summary: "mask a \(symbol) mask b", example: "local both = gt(d.close, d.open) \(symbol) gt(d.volume, 0)",
                      lookback: "0", reference: "hand") { a, r in
            Elementwise.logic(op, a.operand(0), a.operand(1), into: r.series[0])
        }
    }

    static let operators: [PrimitiveSpec] = [
        arithmetic("__add", "+", .add), arithmetic("__sub", "-", .subtract), arithmetic("__mul", "*", .multiply),
        arithmetic("__div", "/", .divide), arithmetic("__mod", "%", .modulo), arithmetic("__pow", "^", .power),
        PrimitiveSpec(name: "__unm", group: .operator, placement: .metamethod, arguments: [lhs, rhs], results: out,
                      summary: "-a element-wise", example: "local x = -d.close", lookback: "0", reference: "hand") { a, r in
            Elementwise.negate(a.series(0), into: r.series[0])
        },
        arithmetic("__idiv", "//", .floorDivide),
        logic("__band", "&", .and), logic("__bor", "|", .or), logic("__bxor", "~", .xor),
        PrimitiveSpec(name: "__bnot", group: .operator, placement: .metamethod,
                      arguments: [ArgumentSpec("a", .mask), ArgumentSpec("b", .mask)], results: mask,
                      summary: "~mask: true where the mask is false", example: "local down = ~gt(d.close, d.open)",
                      lookback: "0", reference: "hand") { a, r in
            Elementwise.not(a.series(0), into: r.series[0])
        },
    ]
}
