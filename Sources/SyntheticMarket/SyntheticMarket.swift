public import MarketData
import Primitives

/// Deterministic synthetic perpetual bars for tests and benchmarks: returns with GARCH(1,1)
/// volatility clustering and Student-t(4) shocks (fat tails, as crypto returns have), two extra
/// columns a script can read, and optionally an edge planted in them.
///
/// - `d.noise`: independent standard normals, unrelated to anything: a factor built on it is
///   pure noise, which validation must reject.
/// - `d.hint`: a persistent AR(1) regime (φ = 0.98, unit variance) that leads returns by
///   `edge × σ_t × hint_t` per bar: with `edge > 0` a factor built on it has a real, planted
///   edge that survives a bar of delay; with `edge = 0` it is noise too.
///
/// ```swift
/// let bars = SyntheticMarket.bars(count: 20_000, seed: 7, edge: 0.08)
/// ```
///
/// `examples/planted-edge.csv` is `csv(bars(count: 12_000, seed: 11, edge: 0.12))`; a test keeps
/// it so.
public enum SyntheticMarket {
    /// 2020-01-01 00:00 UTC.
    public static let start = 1_577_836_800_000.0

    /// - Parameters:
    ///   - interval: the bar length's name (`1h`); times step by its milliseconds.
    ///   - volatility: long-run standard deviation of one bar's log return.
    public static func bars(count: Int, seed: UInt64, edge: Double = 0, symbol: String = "SYNUSDT", interval: String = "1h",
                            volatility: Double = 0.006) -> Bars {
        var rng = SeededRandom(seed: seed)
        let step = Interval.milliseconds(interval) ?? 3_600_000
        let (alpha, beta) = (0.08, 0.90)
        let omega = volatility * volatility * (1 - alpha - beta)
        var bars = Bars(symbol: symbol, interval: interval)
        var noise: [Double] = [], hint: [Double] = []
        bars.time.reserveCapacity(count)
        var variance = volatility * volatility
        var previousReturn = 0.0
        var regime = rng.normal()
        var price = 100.0
        for i in 0..<count {
            variance = omega + alpha * previousReturn * previousReturn + beta * variance
            let sigma = variance.squareRoot()
            // Student-t with 4 degrees of freedom, scaled to unit variance (its variance is 2).
            var chi = 0.0
            for _ in 0..<4 { let z = rng.normal(); chi += z * z }
            let shock = rng.normal() / (chi / 4).squareRoot() / 2.0.squareRoot()
            let r = edge * sigma * regime + sigma * shock
            let open = price
            price *= PortableMath.exp(r)
            let wick = sigma * 0.5
            bars.time.append(start + Double(i) * step)
            bars.open.append(open)
            bars.close.append(price)
            bars.high.append(max(open, price) * (1 + abs(rng.normal()) * wick))
            bars.low.append(min(open, price) * (1 - abs(rng.normal()) * wick))
            bars.volume.append(1_000 * (1 + abs(shock)))
            noise.append(rng.normal())
            // The regime seen at this bar's close drives the next bar's drift.
            regime = 0.98 * regime + (1 - 0.98 * 0.98).squareRoot() * rng.normal()
            hint.append(regime)
            previousReturn = r
        }
        bars.setExtra("noise", noise)
        bars.setExtra("hint", hint)
        return bars
    }

    /// The bars as `--data` CSV: `open_time,open,high,low,close,volume` then the extra columns,
    /// numbers to 10 significant digits.
    public static func csv(_ bars: Bars) -> String {
        var text = "open_time,open,high,low,close,volume" + bars.extra.map { ",\($0.name)" }.joined() + "\n"
        text.reserveCapacity(bars.count * 100)
        func number(_ x: Double) -> String { String(format: "%.10g", x) }
        for i in 0..<bars.count {
            text += "\(Int64(bars.time[i]))"
            for x in [bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i]] { text += "," + number(x) }
            for column in bars.extra { text += "," + number(column.values[i]) }
            text += "\n"
        }
        return text
    }
}
