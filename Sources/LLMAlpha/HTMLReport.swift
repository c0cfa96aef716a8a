import Backtest
import Foundation
import MarketData

/// A backtest tear sheet as one self-contained HTML file: header and settings, the key metrics,
/// equity against buy-and-hold, drawdown, monthly returns, price with trade markers, and trades.
///
/// ```swift
/// let html = HTMLReport.render(title: "rsi_reversion", bars: bars, result: result,
///                              metrics: BacktestMetrics.compute(result), generated: "2026-04-01 12:00 UTC")
/// try html.write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
///
/// The file loads nothing: styles are one inline `<style>`, charts are inline SVG, no script.
/// Every text that comes from outside (title, symbol, the stamp) is escaped. Times are UTC.
/// Long series are reduced to min/max per pixel bucket, so 60k bars and 1000 trades stay well
/// under 1 MB. NaN shows as "—" and infinity as "∞", never as "nan" or "inf".
public enum HTMLReport {
    /// Renders the report.
    /// - Parameters:
    ///   - title: The heading, usually the script or hypothesis name; escaped.
    ///   - bars: The bars the backtest ran on (`result.time` is `bars.time`).
    ///   - result: The backtest.
    ///   - metrics: `BacktestMetrics.compute(result)`.
    ///   - generated: The generation stamp shown in the header, as given (escaped).
    /// - Returns: A complete HTML document.
    /// - Complexity: O(bars + trades).
    public static func render(title: String, bars: Bars, result: BacktestResult, metrics: BacktestMetrics,
                              generated: String) -> String {
        let heading = title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "Backtest report" : title
        return document(title: "\(heading) · \(bars.symbol) \(bars.interval)", generated: generated,
                        body: backtestBody(heading: heading, eyebrow: "Backtest report", bars: bars, result: result, metrics: metrics,
                                           generated: generated))
    }

    /// A whole page around `body`.
    static func document(title: String, generated: String, body: String) -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(escape(title)) · llmalpha</title>\n"
        html += "<style>\(stylesheet)</style>\n</head>\n<body>\n<main>\n"
        html += body
        html += "<footer>llmalpha report · generated \(escape(generated)) · all times UTC · "
        html += "Sharpe and Sortino from daily equity returns × √365</footer>\n</main>\n</body>\n</html>\n"
        return html
    }

    /// The tear sheet of one backtest: header, metrics, equity (with shaded `bands`), drawdown,
    /// `afterDrawdown` (a validation's rolling windows), monthly returns, price and trades.
    static func backtestBody(heading: String, eyebrow: String, bars: Bars, result: BacktestResult, metrics: BacktestMetrics,
                             generated: String, before: String = "", bands: [Band] = [], afterDrawdown: String = "") -> String {
        let data = ReportData(bars: bars, result: result)
        var html = header(heading: heading, eyebrow: eyebrow, bars: bars, data: data, config: result.config, metrics: metrics,
                          generated: generated)
        html += before
        html += metricsSection(metrics, data: data, config: result.config)
        html += equitySection(data, bands: bands)
        html += drawdownSection(data)
        html += afterDrawdown
        html += monthlySection(data)
        html += priceSection(data)
        html += tradesSection(data)
        return html
    }
}

// MARK: - Data the sections share

/// Series aligned for charting: equity and buy-and-hold over the same bars, and the time domain
/// every chart shares so their x axes line up.
struct ReportData {
    let result: BacktestResult
    let time: [Double]
    let close: [Double]
    let equity: [Double]
    let buyHold: [Double]
    let drawdown: [Double]
    let initialCash: Double
    let t0: Double
    let t1: Double
    let spacing: Double

    init(bars: Bars, result: BacktestResult) {
        self.result = result
        let n = min(result.time.count, result.equity.count)
        time = Array(result.time.prefix(n))
        equity = Array(result.equity.prefix(n))
        initialCash = result.config.initialCash
        // The bars the backtest traded: all of them, or its window.
        let traded = result.bars.upperBound <= bars.close.count ? Array(bars.close[result.bars]) : bars.close
        let m = min(n, traded.count)
        var close = Array(traded.prefix(m))
        if close.count < n { close += [Double](repeating: .nan, count: n - close.count) }
        self.close = close
        let base = close.first { $0.isFinite && $0 > 0 }
        buyHold = close.map { c in base.map { c.isFinite ? result.config.initialCash * c / $0 : .nan } ?? .nan }
        var peak = result.config.initialCash
        var dd = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let v = equity[i]
            guard v.isFinite else { dd[i] = .nan; continue }
            peak = max(peak, v)
            dd[i] = peak > 0 ? v / peak - 1 : -1
        }
        drawdown = dd
        var spacing = Interval.milliseconds(bars.interval) ?? 3_600_000
        if n > 1 {
            var gaps: [Double] = []
            for i in 1..<min(n, 1001) { gaps.append(time[i] - time[i - 1]) }
            gaps.sort()
            let median = gaps[gaps.count / 2]
            if median > 0, median.isFinite { spacing = median }
        }
        self.spacing = spacing
        let first = time.first(where: \.isFinite) ?? 0
        let last = time.last(where: \.isFinite) ?? first
        // One bar (or a zero span) still gets a visible x range: half a bar either side.
        if last > first { t0 = first; t1 = last } else { t0 = first - spacing / 2; t1 = first + spacing / 2 }
    }

    var finalEquity: Double { equity.last ?? initialCash }
}

// MARK: - Sections

extension HTMLReport {
    static func header(heading: String, eyebrow: String, bars: Bars, data: ReportData, config: BacktestConfig,
                       metrics: BacktestMetrics, generated: String) -> String {
        var span = "no bars"
        if let first = data.time.first, let last = data.time.last {
            let barsText = data.time.count == 1 ? "1 bar" : "\(grouped(data.time.count)) bars"
            // The span covers the last bar too, as the metrics count it.
            let hours = (last - first + data.spacing) / 3_600_000
            let length = !hours.isFinite ? "" : hours < 48 ? " · \(trimmed(hours, 1)) \(hours == 1 ? "hour" : "hours")"
                : " · \(fixedGrouped(hours / 24, hours < 240 ? 1 : 0)) days"
            span = "\(UTC(first).dateText) → \(UTC(last).dateText)\(length) · \(barsText)"
        }
        var stops: [String] = []
        if let s = config.stopLoss { stops.append("SL \(percent(s, signed: false))") }
        if let t = config.takeProfit { stops.append("TP \(percent(t, signed: false))") }
        if let t = config.trailingStop { stops.append("trail \(percent(t, signed: false))") }
        let settings: [(String, String)] = [
            ("fill", config.fill == .nextOpen ? "next open" : "same close"),
            ("fee", "\(bps(config.fee)) / side"),
            ("slippage", bps(config.slippage)),
            ("size", "\(trimmed(config.size, 2))× equity"),
            ("funding", config.funding ? "on" : "off"),
            ("stops", stops.isEmpty ? "none" : stops.joined(separator: " · ")),
            ("max hold", config.maxHold.map { $0 == 1 ? "1 bar" : "\(grouped($0)) bars" } ?? "none"),
            ("initial cash", money(config.initialCash, signed: false)),
        ]
        var html = "<header>\n<div class=\"top\"><div>\n"
        html += "<div class=\"eyebrow\">\(escape(eyebrow))</div>\n"
        html += "<h1>\(escape(heading))</h1>\n"
        html += "<div class=\"sub\"><span class=\"sym\">\(escape(bars.symbol))</span> <span class=\"iv\">\(escape(bars.interval))</span>"
        html += " <span class=\"span\">\(escape(span))</span></div>\n</div>\n"
        html += "<div class=\"stamp\">Generated<br><b>\(escape(generated))</b></div></div>\n"
        html += "<div class=\"chips\">"
        for (key, value) in settings { html += "<span class=\"chip\"><i>\(escape(key))</i> \(escape(value))</span>" }
        if data.result.liquidated { html += "<span class=\"chip bad\"><i>status</i> liquidated: equity reached 0</span>" }
        html += "</div>\n</header>\n"
        return html
    }

    static func metricsSection(_ m: BacktestMetrics, data: ReportData, config: BacktestConfig) -> String {
        let net = m.pricePnL + m.feePnL + m.fundingPnL
        let ddDays = m.maxDrawdownDays.isFinite && m.maxDrawdown > 0
            ? "\(fixedGrouped(m.maxDrawdownDays, m.maxDrawdownDays < 10 ? 1 : 0)) days underwater" : "never underwater"
        let cards: [(String, String, Tone, String)] = [
            ("Total return", percent(m.totalReturn), tone(m.totalReturn), "final equity \(money(data.finalEquity, signed: false))"),
            ("CAGR", percent(m.cagr), tone(m.cagr), "365.25-day years"),
            ("Sharpe", ratio(m.sharpe), tone(m.sharpe), "daily returns × √365"),
            ("Sortino", ratio(m.sortino), tone(m.sortino), "daily, downside deviation"),
            ("Max drawdown", m.maxDrawdown > 0 ? percent(-m.maxDrawdown) : percent(m.maxDrawdown, signed: false),
             m.maxDrawdown > 0 ? .negative : .neutral, ddDays),
            ("Calmar", ratio(m.calmar), tone(m.calmar), "CAGR / max drawdown"),
            ("Trades", grouped(m.trades), .neutral, m.trades > 0 ? "round trips" : "no trades"),
            ("Win rate", percent(m.winRate, signed: false), .neutral, "net of costs"),
            ("Profit factor", ratio(m.profitFactor), m.profitFactor.isNaN ? .neutral : (m.profitFactor >= 1 ? .positive : .negative),
             "gross win / gross loss"),
            ("Edge / trade", percent(m.averageEdge), tone(m.averageEdge), "mean net return per trade"),
            ("Exposure", percent(m.exposure, signed: false), .neutral, "bars in a position"),
            ("Turnover", m.turnover.isFinite ? "\(trimmed(m.turnover, m.turnover < 10 ? 1 : 0))×" : nonFinite(m.turnover), .neutral,
             "notional / mean equity / yr"),
            ("Net P&L", money(net), tone(net), "price + fees + funding"),
            ("Price P&L", money(m.pricePnL), tone(m.pricePnL), "before costs"),
            ("Fees", money(m.feePnL), tone(m.feePnL), "\(bps(config.fee)) + \(bps(config.slippage)) slip"),
            ("Funding", money(m.fundingPnL), tone(m.fundingPnL), config.funding ? "paid (−) / received (+)" : "funding off"),
            ("Breakeven fee", m.breakevenFee.isNaN ? "—" : bps(m.breakevenFee), m.breakevenFee.isNaN ? .neutral
                : (m.breakevenFee > config.fee ? .positive : .negative), "per side; paying \(bps(config.fee))"),
            ("Bar Sharpe", ratio(m.barSharpe), tone(m.barSharpe), "per bar, annualized"),
        ]
        var html = "<section class=\"card\"><h2>Key metrics</h2>\n<div class=\"grid\">\n"
        for (label, value, t, note) in cards {
            html += "<div class=\"metric\"><div class=\"k\">\(escape(label))</div><div class=\"v\(t.cssClass)\">\(escape(value))</div>"
            html += "<div class=\"s\">\(escape(note))</div></div>\n"
        }
        html += "</div></section>\n"
        return html
    }

    static func equitySection(_ d: ReportData, bands: [Band] = []) -> String {
        let strategyReturn = d.initialCash > 0 ? d.finalEquity / d.initialCash - 1 : .nan
        let holdReturn = d.buyHold.last(where: \.isFinite).map { $0 / d.initialCash - 1 } ?? .nan
        var legend = "<span><i style=\"background:\(Palette.strategy)\"></i>Strategy \(escape(percent(strategyReturn)))</span>"
        legend += "<span><i style=\"background:\(Palette.hold)\"></i>Buy &amp; hold \(escape(percent(holdReturn)))</span>"
        legend += "<span><i class=\"dash\"></i>Initial cash</span>"
        for band in bands { legend += "<span><i style=\"background:\(band.color);opacity:0.35\"></i>\(escape(band.label))</span>" }
        let equity = Downsample.minMax(time: d.time, values: d.equity, buckets: 800)
        let hold = Downsample.minMax(time: d.time, values: d.buyHold, buckets: 800)
        guard !equity.isEmpty else { return sectionHead("Equity", legend: legend) + emptyChart + "</section>\n" }
        var lo = d.initialCash, hi = d.initialCash
        for p in equity + hold { lo = min(lo, p.v); hi = max(hi, p.v) }
        let axis = NiceAxis.automatic(lo: lo, hi: hi, target: 6)
        var frame = Frame(width: 1100, height: 330, t0: d.t0, t1: d.t1, axis: axis)
        frame.left = 70
        var svg = frame.open(label: "Equity curve with buy and hold")
        for band in bands {
            let x0 = max(frame.left, frame.x(band.from)), x1 = min(frame.width - frame.right, frame.x(band.to))
            guard x0.isFinite, x1.isFinite, x1 > x0 else { continue }
            svg += "<rect x=\"\(c(x0))\" y=\"\(c(frame.top))\" width=\"\(c(x1 - x0))\" height=\"\(c(frame.height - frame.top - frame.bottom))\" "
                + "fill=\"\(band.color)\" fill-opacity=\"0.10\"><title>\(escape(band.label))</title></rect>"
        }
        svg += frame.grid(axis: axis, format: { axis.label($0) }, spacing: d.spacing)
        svg += "<path d=\"M\(c(frame.left)) \(c(frame.y(d.initialCash)))H\(c(frame.width - frame.right))\" class=\"base\"/>"
        svg += "<path d=\"\(frame.line(hold))\" fill=\"none\" stroke=\"\(Palette.hold)\" stroke-width=\"1.2\"/>"
        svg += "<path d=\"\(frame.line(equity))\" fill=\"none\" stroke=\"\(Palette.strategy)\" stroke-width=\"1.6\" stroke-linejoin=\"round\"/>"
        svg += frame.dot(equity, color: Palette.strategy)
        svg += "</svg>\n"
        return sectionHead("Equity", legend: legend, log: axis.log) + svg + "</section>\n"
    }

    static func drawdownSection(_ d: ReportData) -> String {
        var html = "<section class=\"card\"><div class=\"head\"><h2>Drawdown</h2>"
        let worst = d.drawdown.filter(\.isFinite).min() ?? 0
        html += "<div class=\"legend\"><span>worst \(escape(worst < 0 ? percent(worst) : "0%"))</span></div></div>\n"
        let points = Downsample.minMax(time: d.time, values: d.drawdown, buckets: 800)
        guard !points.isEmpty else { return html + emptyChart + "</section>\n" }
        let axis = NiceAxis(lo: min(worst, -0.01), hi: 0, target: 4)
        var frame = Frame(width: 1100, height: 190, t0: d.t0, t1: d.t1, axis: axis)
        frame.left = 70
        var svg = frame.open(label: "Drawdown from the running peak")
        svg += frame.grid(axis: axis, format: { percentAxis($0, step: axis.step) }, spacing: d.spacing)
        let line = frame.line(points)
        if let first = points.first, let last = points.last {
            let zero = c(frame.y(0))
            svg += "<path d=\"\(line)L\(c(frame.x(last.t))) \(zero)L\(c(frame.x(first.t))) \(zero)Z\" fill=\"\(Palette.loss)\" fill-opacity=\"0.18\"/>"
        }
        svg += "<path d=\"\(line)\" fill=\"none\" stroke=\"\(Palette.loss)\" stroke-width=\"1.1\"/>"
        svg += frame.dot(points, color: Palette.loss)
        svg += "</svg>\n"
        return html + svg + "</section>\n"
    }

    static func monthlySection(_ d: ReportData) -> String {
        let table = MonthlyReturns(time: d.time, equity: d.equity, initialCash: d.initialCash)
        var html = "<section class=\"card\"><div class=\"head\"><h2>Monthly returns</h2>"
        html += "<div class=\"legend\"><span>from equity at month ends; the first month against initial cash</span></div></div>\n"
        guard !table.years.isEmpty else { return html + "<p class=\"empty\">No bars.</p></section>\n" }
        let monthScale = heatScale(table.years.flatMap { $0.months.compactMap { $0 } })
        let yearScale = heatScale(table.years.map(\.total))
        html += "<div class=\"scroll\"><table class=\"heat\"><thead><tr><th>Year</th>"
        for name in UTC.monthNames { html += "<th>\(name)</th>" }
        html += "<th class=\"yt\">Year</th></tr></thead><tbody>\n"
        for year in table.years {
            html += "<tr><th>\(year.year)</th>"
            for (k, month) in year.months.enumerated() {
                if let r = month {
                    html += heatCell(r, scale: monthScale, extra: "", tip: "\(UTC.monthNames[k]) \(year.year): \(percent(r))")
                } else {
                    html += "<td class=\"na\"></td>"
                }
            }
            html += heatCell(year.total, scale: yearScale, extra: "yt", tip: "\(year.year): \(percent(year.total))")
            html += "</tr>\n"
        }
        html += "</tbody></table></div></section>\n"
        return html
    }

    static func priceSection(_ d: ReportData) -> String {
        let trades = d.result.trades
        let cap = 2000
        let shown: [Trade]
        if trades.count <= cap { shown = trades } else {
            shown = (0..<cap).map { trades[$0 * trades.count / cap] }
        }
        var legend = "<span><i style=\"background:\(Palette.price)\"></i>Close</span>"
        legend += "<span><b class=\"mk\" style=\"color:\(Palette.gain)\">▲</b>Long entry</span>"
        legend += "<span><b class=\"mk\" style=\"color:\(Palette.loss)\">▼</b>Short entry</span>"
        legend += "<span><b class=\"mk\" style=\"color:\(Palette.exit)\">✕</b>Exit</span>"
        legend += "<span><i class=\"band\"></i>In position</span>"
        if trades.count > cap { legend += "<span>markers for \(grouped(cap)) of \(grouped(trades.count)) trades</span>" }
        let points = Downsample.minMax(time: d.time, values: d.close, buckets: 750)
        guard !points.isEmpty else { return sectionHead("Price and trades", legend: legend) + emptyChart + "</section>\n" }
        var lo = Double.infinity, hi = -Double.infinity
        for p in points { lo = min(lo, p.v); hi = max(hi, p.v) }
        for t in shown {
            for v in [t.entryPrice, t.exitPrice] where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        }
        let axis = NiceAxis.automatic(lo: lo, hi: hi, target: 6)
        var frame = Frame(width: 1100, height: 380, t0: d.t0, t1: d.t1, axis: axis)
        frame.left = 70
        var svg = frame.open(label: "Close price with trade entries and exits")
        // Position bands first, merged where they touch at this resolution, so they stay behind the line.
        var longBands = "", shortBands = ""
        var current: (x0: Double, x1: Double, side: Int)? = nil
        func flush() {
            guard let b = current else { return }
            let w = max(b.x1 - b.x0, 0.6)
            let band = "M\(c(b.x0)) \(c(frame.top))h\(c(w))V\(c(frame.height - frame.bottom))h\(c(-w))Z"
            if b.side > 0 { longBands += band } else { shortBands += band }
        }
        for t in trades {
            let x0 = frame.x(t.entryTime), x1 = frame.x(t.exitTime)
            guard x0.isFinite, x1.isFinite else { continue }
            if let b = current, b.side == t.direction, x0 - b.x1 < 0.75 {
                current = (b.x0, max(b.x1, x1), b.side)
            } else {
                flush()
                current = (x0, x1, t.direction)
            }
        }
        flush()
        svg += frame.grid(axis: axis, format: { axis.label($0) }, spacing: d.spacing)
        if !longBands.isEmpty { svg += "<path d=\"\(longBands)\" fill=\"\(Palette.gain)\" fill-opacity=\"0.07\"/>" }
        if !shortBands.isEmpty { svg += "<path d=\"\(shortBands)\" fill=\"\(Palette.loss)\" fill-opacity=\"0.07\"/>" }
        svg += "<path d=\"\(frame.line(points))\" fill=\"none\" stroke=\"\(Palette.price)\" stroke-width=\"1.1\"/>"
        svg += frame.dot(points, color: Palette.price)
        var ups = "", downs = "", exits = ""
        for t in shown {
            let ex = frame.x(t.entryTime), ey = frame.y(t.entryPrice)
            if ex.isFinite, ey.isFinite {
                if t.direction > 0 { ups += "M\(c(ex)) \(c(ey - 4.5))l4.5 8h-9z" } else { downs += "M\(c(ex)) \(c(ey + 4.5))l4.5 -8h-9z" }
            }
            let xx = frame.x(t.exitTime), xy = frame.y(t.exitPrice)
            if xx.isFinite, xy.isFinite { exits += "M\(c(xx - 3)) \(c(xy - 3))l6 6m0 -6l-6 6" }
        }
        if !exits.isEmpty { svg += "<path d=\"\(exits)\" fill=\"none\" stroke=\"\(Palette.exit)\" stroke-width=\"1.3\"/>" }
        if !ups.isEmpty { svg += "<path d=\"\(ups)\" fill=\"\(Palette.gain)\" stroke=\"#fff\" stroke-width=\"0.6\"/>" }
        if !downs.isEmpty { svg += "<path d=\"\(downs)\" fill=\"\(Palette.loss)\" stroke=\"#fff\" stroke-width=\"0.6\"/>" }
        svg += "</svg>\n"
        return sectionHead("Price and trades", legend: legend, log: axis.log) + svg + "</section>\n"
    }

    /// A card's opening: the heading and its legend line, with a note when the y axis is logarithmic.
    static func sectionHead(_ title: String, legend: String, log: Bool = false) -> String {
        "<section class=\"card\"><div class=\"head\"><h2>\(escape(title))</h2><div class=\"legend\">\(legend)"
            + (log ? "<span class=\"note\">log scale</span>" : "") + "</div></div>\n"
    }

    static func tradesSection(_ d: ReportData) -> String {
        let trades = d.result.trades
        var html = "<section class=\"card\"><div class=\"head\"><h2>Trades</h2>"
        if !trades.isEmpty {
            let longs = trades.filter { $0.direction > 0 }.count
            html += "<div class=\"legend\"><span>\(grouped(trades.count)) round trips · \(grouped(longs)) long · "
            html += "\(grouped(trades.count - longs)) short</span></div>"
        }
        html += "</div>\n"
        guard !trades.isEmpty else { return html + "<p class=\"empty\">No trades: the strategy never entered a position.</p></section>\n" }
        html += "<div class=\"scroll\"><table class=\"trades\"><thead><tr><th>#</th><th class=\"l\">Side</th><th class=\"l\">Entry (UTC)</th>"
        html += "<th class=\"l\">Exit (UTC)</th><th>Bars</th><th>Entry price</th><th>Exit price</th><th>Return</th><th>Net P&amp;L</th>"
        html += "<th class=\"l\">Exit reason</th></tr></thead><tbody>\n"
        let edge = 50
        func row(_ k: Int) -> String {
            let t = trades[k]
            let side = t.direction > 0 ? "<span class=\"pill long\">Long</span>" : "<span class=\"pill short\">Short</span>"
            let r = t.returnFraction, pnl = t.netPnL
            var s = "<tr><td class=\"dim\">\(k + 1)</td><td class=\"l\">\(side)</td>"
            s += "<td class=\"l\">\(UTC(t.entryTime).minuteText)</td><td class=\"l\">\(UTC(t.exitTime).minuteText)</td>"
            s += "<td>\(grouped(t.barsHeld))</td><td>\(escape(price(t.entryPrice)))</td><td>\(escape(price(t.exitPrice)))</td>"
            s += "<td class=\"\(tone(r).plain)\">\(escape(percent(r)))</td><td class=\"\(tone(pnl).plain)\">\(escape(money(pnl)))</td>"
            s += "<td class=\"l dim\">\(escape(t.exitReason.rawValue.replacingOccurrences(of: "_", with: " ")))</td></tr>\n"
            return s
        }
        if trades.count <= 2 * edge + 10 {
            for k in trades.indices { html += row(k) }
        } else {
            for k in 0..<edge { html += row(k) }
            html += "<tr class=\"gap\"><td colspan=\"10\">… \(grouped(trades.count - 2 * edge)) trades not shown …</td></tr>\n"
            for k in (trades.count - edge)..<trades.count { html += row(k) }
        }
        html += "</tbody></table></div></section>\n"
        return html
    }

    private static let emptyChart = "<p class=\"empty\">No data to chart.</p>"
}

/// A shaded span of the equity chart (the walk-forward's train, validation and test windows).
struct Band {
    let from: Double
    let to: Double
    let label: String
    let color: String
}

// MARK: - Chart geometry

/// Colours shared by the charts, the legends and the stylesheet.
enum Palette {
    static let strategy = "#2563eb"
    static let hold = "#a3acb9"
    static let price = "#334155"
    static let gain = "#16a34a"
    static let loss = "#dc2626"
    static let exit = "#0f172a"
}

/// A time-by-value plot area inside an SVG of `width` × `height` user units.
struct Frame {
    var width: Double
    var height: Double
    var t0: Double
    var t1: Double
    /// The value range, as log10 of the values on a log axis.
    var y0: Double
    var y1: Double
    var log: Bool
    var left = 64.0, right = 18.0, top = 12.0, bottom = 26.0

    init(width: Double, height: Double, t0: Double, t1: Double, axis: NiceAxis) {
        self.width = width; self.height = height; self.t0 = t0; self.t1 = t1
        log = axis.log
        y0 = log ? log10(axis.lo) : axis.lo
        y1 = log ? log10(axis.hi) : axis.hi
    }

    func x(_ t: Double) -> Double {
        left + (t - t0) / (t1 - t0) * (width - left - right)
    }

    func y(_ value: Double) -> Double {
        let v = log ? (value > 0 ? log10(value) : .nan) : value
        return top + (y1 - v) / (y1 - y0) * (height - top - bottom)
    }

    func open(label: String) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTMLReport.escape(label))\">"
    }

    /// Horizontal grid lines with value labels on the left, date ticks along the bottom.
    func grid(axis: NiceAxis, format: (Double) -> String, spacing: Double) -> String {
        var s = "<g class=\"grid\">"
        for v in axis.ticks {
            let yy = c(y(v))
            s += "<path d=\"M\(c(left)) \(yy)H\(c(width - right))\"/>"
        }
        let ticks = TimeTicks.make(from: t0, to: t1, spacing: spacing)
        for tick in ticks { s += "<path d=\"M\(c(x(tick.t))) \(c(top))V\(c(height - bottom))\" class=\"v\"/>" }
        s += "</g><g class=\"ax\">"
        s += "<path d=\"M\(c(left)) \(c(height - bottom))H\(c(width - right))\" class=\"axis\"/>"
        for v in axis.ticks {
            s += "<text x=\"\(c(left - 8))\" y=\"\(c(y(v) + 3.8))\" text-anchor=\"end\">\(HTMLReport.escape(format(v)))</text>"
        }
        for tick in ticks {
            let xx = x(tick.t)
            // Keep the outermost labels inside the plot's width.
            let anchor = xx < left + 30 ? "start" : (xx > width - right - 30 ? "end" : "middle")
            s += "<text x=\"\(c(xx))\" y=\"\(c(height - bottom + 17))\" text-anchor=\"\(anchor)\">\(HTMLReport.escape(tick.label))</text>"
        }
        return s + "</g>"
    }

    /// An SVG path through the points; a non-finite point starts a new segment.
    func line(_ points: [Downsample.Point]) -> String {
        var s = ""
        s.reserveCapacity(points.count * 13)
        var pen = false
        for p in points {
            let xx = x(p.t), yy = y(p.v)
            guard xx.isFinite, yy.isFinite else { pen = false; continue }
            s += pen ? "L" : "M"
            s += c(xx); s += " "; s += c(yy)
            pen = true
        }
        return s
    }

    /// A dot for a series of one point, which a line cannot show; "" otherwise.
    func dot(_ points: [Downsample.Point], color: String) -> String {
        guard points.count == 1, let p = points.first, x(p.t).isFinite, y(p.v).isFinite else { return "" }
        return "<circle cx=\"\(c(x(p.t)))\" cy=\"\(c(y(p.v)))\" r=\"3.5\" fill=\"\(color)\"/>"
    }
}

/// SVG coordinate with one decimal, no trailing ".0", no "-0".
func c(_ x: Double) -> String {
    guard x.isFinite else { return "0" }
    let tenths = Int((x * 10).rounded())
    let sign = tenths < 0 ? "-" : ""
    let a = abs(tenths)
    return a % 10 == 0 ? "\(sign)\(a / 10)" : "\(sign)\(a / 10).\(a % 10)"
}

/// Evenly spaced round values covering `lo...hi`: steps of 1, 2 or 5 × 10^k; the axis extends to
/// the ticks just outside the data.
struct NiceAxis {
    let lo: Double
    let hi: Double
    /// The gap between ticks (the smallest gap on a log axis), for choosing label decimals.
    let step: Double
    let ticks: [Double]
    var log = false

    /// A log axis when every value is positive and they span more than a factor of 4 (a price
    /// over years, equity against a 10× buy-and-hold), else a linear one.
    static func automatic(lo: Double, hi: Double, target: Int) -> NiceAxis {
        if lo > 0, hi.isFinite, hi / lo > 4, let axis = NiceAxis(logLo: lo, hi: hi, target: target) { return axis }
        return NiceAxis(lo: lo, hi: hi, target: target)
    }

    /// Log ticks at 1-2-5 style mantissas, the densest set that gives at most `target + 2` ticks;
    /// nil when fewer than three ticks would show.
    init?(logLo lo: Double, hi: Double, target: Int) {
        let sets: [[Double]] = [[1, 1.5, 2, 3, 5, 7], [1, 2, 5], [1, 3], [1]]
        let k0 = Int(log10(lo).rounded(.down)), k1 = Int(log10(hi).rounded(.up))
        guard k1 - k0 < 40 else { return nil }
        var chosen: [Double] = []
        for mantissas in sets {
            var ticks: [Double] = []
            for k in k0...k1 {
                for m in mantissas {
                    let v = m * pow(10, Double(k))
                    if v >= lo * 0.999_999, v <= hi * 1.000_001 { ticks.append(v) }
                }
            }
            chosen = ticks
            if ticks.count <= target + 2 { break }
        }
        guard chosen.count >= 3 else { return nil }
        let pad = pow(hi / lo, 0.03)
        self.lo = lo / pad
        self.hi = hi * pad
        self.ticks = chosen
        var gap = Double.infinity
        for i in 1..<chosen.count { gap = min(gap, chosen[i] - chosen[i - 1]) }
        step = gap
        log = true
    }

    init(lo rawLo: Double, hi rawHi: Double, target: Int) {
        var lo = rawLo.isFinite ? rawLo : 0, hi = rawHi.isFinite ? rawHi : 1
        if hi < lo { swap(&lo, &hi) }
        if hi - lo <= max(abs(hi), abs(lo)) * 1e-9 {
            let pad = max(abs(hi) * 0.05, 1e-6)
            lo -= pad; hi += pad
        }
        let raw = (hi - lo) / Double(max(target, 1))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let norm = raw / magnitude
        let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        self.step = step
        self.lo = first * step
        self.hi = last * step
        var ticks: [Double] = []
        var k = first
        while k <= last + 0.5 && ticks.count < 50 {
            let v = k * step
            ticks.append(abs(v) < step * 1e-9 ? 0 : v)
            k += 1
        }
        self.ticks = ticks
    }

    /// "12k", "1.25M", "0.35": a unit suffix from the largest tick, decimals from the step.
    func label(_ v: Double) -> String {
        let top = max(abs(lo), abs(hi))
        let (unit, suffix): (Double, String) = top >= 1e9 ? (1e9, "B") : top >= 1e6 ? (1e6, "M") : top >= 1e4 ? (1e3, "k") : (1, "")
        let decimals = max(0, min(6, Int((-log10(step / unit) + 0.999).rounded(.down))))
        return HTMLReport.signedFixed(v / unit, decimals, plus: false) + suffix
    }
}

func percentAxis(_ v: Double, step: Double) -> String {
    let decimals = max(0, min(4, Int((-log10(step * 100) + 0.999).rounded(.down))))
    return HTMLReport.signedFixed(v * 100, decimals, plus: false) + "%"
}

/// Min and max of each bucket, in time order, so spikes survive the reduction.
enum Downsample {
    struct Point { let t: Double; let v: Double }

    static func minMax(time: [Double], values: [Double], buckets: Int) -> [Point] {
        let n = min(time.count, values.count)
        var out: [Point] = []
        if n <= buckets * 2 {
            for i in 0..<n where values[i].isFinite && time[i].isFinite { out.append(Point(t: time[i], v: values[i])) }
            return out
        }
        out.reserveCapacity(buckets * 2)
        for b in 0..<buckets {
            let lo = b * n / buckets, hi = (b + 1) * n / buckets
            var minI = -1, maxI = -1
            for i in lo..<hi where values[i].isFinite && time[i].isFinite {
                if minI < 0 || values[i] < values[minI] { minI = i }
                if maxI < 0 || values[i] > values[maxI] { maxI = i }
            }
            guard minI >= 0 else { continue }
            let (a, z) = minI <= maxI ? (minI, maxI) : (maxI, minI)
            out.append(Point(t: time[a], v: values[a]))
            if z != a { out.append(Point(t: time[z], v: values[z])) }
        }
        return out
    }
}

// MARK: - Dates

/// A UTC calendar date and time from epoch milliseconds (proleptic Gregorian, no Foundation).
struct UTC {
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let year: Int, month: Int, day: Int, hour: Int, minute: Int

    init(_ ms: Double) {
        let seconds = ms.isFinite && abs(ms) < 1e17 ? Int((ms / 1000).rounded(.down)) : 0
        var days = seconds / 86_400
        var rest = seconds - days * 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        hour = rest / 3600
        minute = rest % 3600 / 60
        (year, month, day) = CivilCalendar.civil(fromDays: days)
    }

    /// Epoch milliseconds of 00:00 UTC on the given day.
    static func ms(year: Int, month: Int, day: Int) -> Double {
        Double(CivilCalendar.days(year: year, month: month, day: day)) * 86_400_000
    }

    var monthIndex: Int { year * 12 + month - 1 }
    var dateText: String { "\(year)-\(two(month))-\(two(day))" }
    var minuteText: String { "\(dateText) \(two(hour)):\(two(minute))" }
    private func two(_ x: Int) -> String { x < 10 ? "0\(x)" : "\(x)" }
    var shortMonth: String { "\(UTC.monthNames[month - 1]) \(year)" }
}

/// Calendar-aligned x ticks: hours, days, months or years, about eight across the span.
enum TimeTicks {
    struct Tick { let t: Double; let label: String }
    enum Step { case hours(Int), days(Int), months(Int) }

    static func make(from t0: Double, to t1: Double, spacing: Double) -> [Tick] {
        let span = t1 - t0
        guard span > 0, span.isFinite else { return [] }
        let steps: [(Step, Double)] = [1, 2, 3, 6, 12].map { (Step.hours($0), Double($0) * 3_600_000) }
            + [1, 2, 7, 14].map { (Step.days($0), Double($0) * 86_400_000) }
            + [1, 2, 3, 6, 12, 24, 60, 120].map { (Step.months($0), Double($0) * 30.44 * 86_400_000) }
        let choice = steps.first { span / $0.1 <= 9 }?.0 ?? .months(240)
        var ticks: [Tick] = []
        switch choice {
        case .hours(let h):
            let step = Double(h) * 3_600_000
            var t = (t0 / step).rounded(.up) * step
            while t <= t1 && ticks.count < 40 {
                let d = UTC(t)
                ticks.append(Tick(t: t, label: d.hour == 0 ? d.dateText : d.minuteText.suffix(11).description))
                t += step
            }
        case .days(let n):
            let step = Double(n) * 86_400_000
            var t = (t0 / step).rounded(.up) * step
            while t <= t1 && ticks.count < 40 {
                ticks.append(Tick(t: t, label: UTC(t).dateText))
                t += step
            }
        case .months(let n):
            let start = UTC(t0)
            var index = start.monthIndex
            if UTC.ms(year: start.year, month: start.month, day: 1) < t0 { index += 1 }
            while index % n != 0 { index += 1 }
            while ticks.count < 40 {
                let year = index / 12, month = index % 12 + 1
                let t = UTC.ms(year: year, month: month, day: 1)
                if t > t1 { break }
                ticks.append(Tick(t: t, label: n >= 12 ? "\(year)" : UTC(t).shortMonth))
                index += n
            }
        }
        return ticks
    }
}

// MARK: - Monthly returns

/// Returns per UTC calendar month from the equity at each month's last bar; the first month is
/// measured against the initial cash, a year's total against the previous year's end.
struct MonthlyReturns {
    struct Year { let year: Int; var months: [Double?]; var total: Double }
    var years: [Year] = []

    init(time: [Double], equity: [Double], initialCash: Double) {
        let n = min(time.count, equity.count)
        guard n > 0 else { return }
        var previous = initialCash
        var yearStart = initialCash
        var i = 0
        while i < n {
            let d = UTC(time[i])
            let key = d.monthIndex
            var j = i
            while j + 1 < n, UTC(time[j + 1]).monthIndex == key { j += 1 }
            let end = equity[j]
            let r = previous > 0 && end.isFinite ? end / previous - 1 : Double.nan
            if years.last?.year != d.year {
                years.append(Year(year: d.year, months: [Double?](repeating: nil, count: 12), total: .nan))
            }
            years[years.count - 1].months[d.month - 1] = r
            years[years.count - 1].total = yearStart > 0 && end.isFinite ? end / yearStart - 1 : .nan
            previous = end
            // The next year's total starts from this month's end if this is the year's last month with data.
            if j + 1 >= n || UTC(time[j + 1]).year != d.year { yearStart = end }
            i = j + 1
        }
    }
}

extension HTMLReport {
    /// The colour scale's full intensity: the 90th percentile of |r|, at least 1%.
    fileprivate static func heatScale(_ values: [Double]) -> Double {
        let a = values.filter(\.isFinite).map(abs).sorted()
        guard !a.isEmpty else { return 0.05 }
        return max(a[min(a.count - 1, Int(Double(a.count) * 0.9))], 0.01)
    }

    fileprivate static func heatCell(_ r: Double, scale: Double, extra: String, tip: String) -> String {
        guard r.isFinite else { return "<td class=\"\(extra)\">—</td>" }
        let strength = min(abs(r) / scale, 1)
        let alpha = r == 0 ? 0 : 0.10 + 0.62 * strength
        let rgb = r >= 0 ? "22,163,74" : "220,38,38"
        let ink = alpha > 0.55 ? " style=\"background:rgba(\(rgb),\(trimmed(alpha, 2)));color:#fff\"" : " style=\"background:rgba(\(rgb),\(trimmed(alpha, 2)))\""
        let cls = extra.isEmpty ? "" : " class=\"\(extra)\""
        return "<td\(cls)\(ink) title=\"\(escape(tip))\">\(escape(percentCell(r)))</td>"
    }

    fileprivate static func percentCell(_ r: Double) -> String {
        let p = r * 100
        return signedFixed(p, abs(p) >= 100 ? 0 : 1, plus: false)
    }
}

// MARK: - Text

extension HTMLReport {
    /// Escapes text for HTML content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    fileprivate enum Tone {
        case positive, negative, neutral
        var cssClass: String { self == .positive ? " pos" : self == .negative ? " neg" : "" }
        var plain: String { self == .positive ? "pos" : self == .negative ? "neg" : "" }
    }

    fileprivate static func tone(_ x: Double) -> Tone {
        x.isNaN || x == 0 ? .neutral : (x > 0 ? .positive : .negative)
    }

    /// "—" for NaN, "∞" / "−∞" for infinities.
    static func nonFinite(_ x: Double) -> String {
        x.isNaN ? "—" : (x > 0 ? "∞" : "−∞")
    }

    /// Fixed decimals with thousands separators and a real minus sign; "-0.0" shows as "0.0".
    static func signedFixed(_ x: Double, _ decimals: Int, plus: Bool) -> String {
        guard x.isFinite else { return nonFinite(x) }
        let body = fixedGrouped(abs(x), decimals)
        let isZero = !body.contains { $0 >= "1" && $0 <= "9" }
        if isZero { return body }
        return (x < 0 ? "−" : (plus ? "+" : "")) + body
    }

    /// A non-negative number with `decimals` places and commas every three digits.
    static func fixedGrouped(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return nonFinite(x) }
        let text = String(format: "%.\(max(0, decimals))f", abs(x))
        let parts = text.split(separator: ".", maxSplits: 1)
        var integer = String(parts[0])
        var groupedDigits = ""
        while integer.count > 3 {
            groupedDigits = "," + integer.suffix(3) + groupedDigits
            integer = String(integer.dropLast(3))
        }
        let head = (x < 0 ? "-" : "") + integer + groupedDigits
        return parts.count > 1 ? head + "." + parts[1] : head
    }

    static func grouped(_ n: Int) -> String {
        (n < 0 ? "−" : "") + fixedGrouped(Double(abs(n)), 0)
    }

    /// Up to `decimals` places, trailing zeros dropped: 1.50 → "1.5", 2.00 → "2".
    static func trimmed(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return nonFinite(x) }
        var s = signedFixed(x, decimals, plus: false)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// "+12.34%", "−3.1%", "+1,234%": two decimals under 10%, one under 100%, none above.
    static func percent(_ x: Double, signed: Bool = true) -> String {
        guard x.isFinite else { return nonFinite(x) }
        let p = x * 100, a = abs(p)
        return signedFixed(p, a < 10 ? 2 : a < 100 ? 1 : 0, plus: signed) + "%"
    }

    static func ratio(_ x: Double) -> String {
        guard x.isFinite else { return nonFinite(x) }
        return signedFixed(x, abs(x) >= 100 ? 0 : 2, plus: false)
    }

    /// Cash amounts: "+1,234", "−56.78", "+12.35M".
    static func money(_ x: Double, signed: Bool = true) -> String {
        guard x.isFinite else { return nonFinite(x) }
        let a = abs(x)
        if a >= 1e7 { return signedFixed(x / 1e6, 2, plus: signed) + "M" }
        return signedFixed(x, a >= 1000 ? 0 : 2, plus: signed)
    }

    static func price(_ x: Double) -> String {
        guard x.isFinite else { return nonFinite(x) }
        let a = abs(x)
        if a >= 100 { return signedFixed(x, 2, plus: false) }
        if a >= 1 { return signedFixed(x, 4, plus: false) }
        if a == 0 { return "0" }
        let digits = min(12, max(4, Int((-log10(a)).rounded(.down)) + 5))
        return signedFixed(x, digits, plus: false)
    }

    /// A fraction as basis points: 0.0004 → "4 bps", 0.00025 → "2.5 bps".
    static func bps(_ fraction: Double) -> String {
        guard fraction.isFinite else { return nonFinite(fraction) }
        return trimmed(fraction * 10_000, 2) + " bps"
    }
}

// MARK: - Style

extension HTMLReport {
    private static let stylesheet = """
        :root{--fg:#0f172a;--muted:#64748b;--line:#e5e7eb;--bg:#f3f4f6;--pos:#15803d;--neg:#b91c1c}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-variant-numeric:tabular-nums;-webkit-font-smoothing:antialiased}
        main{max-width:1180px;margin:0 auto;padding:28px 24px 40px}
        header{padding:4px 2px 6px}
        .top{display:flex;justify-content:space-between;align-items:flex-start;gap:24px}
        .verdict td{white-space:normal}.reason{margin:6px 0 10px;line-height:1.45}.eyebrow{font-size:11px;font-weight:600;letter-spacing:.09em;text-transform:uppercase;color:#2563eb}
        h1{font-size:26px;line-height:1.2;margin:2px 0 6px;font-weight:700;letter-spacing:-.01em;word-break:break-word}
        .sub{color:var(--muted);font-size:14px}
        .sym{font-weight:700;color:var(--fg)}
        .iv{display:inline-block;padding:0 6px;margin:0 4px;border-radius:4px;background:#e0e7ff;color:#3730a3;font-size:12px;font-weight:600}
        .stamp{text-align:right;font-size:11.5px;color:var(--muted);white-space:nowrap}
        .stamp b{color:#334155;font-weight:600;font-size:12.5px}
        .chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:14px}
        .chip{background:#fff;border:1px solid var(--line);border-radius:999px;padding:3px 11px;font-size:12.5px;color:#1f2937}
        .chip i{font-style:normal;color:var(--muted);margin-right:2px}
        .chip.bad{border-color:#fecaca;background:#fef2f2;color:var(--neg)}
        .card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px 14px;margin-top:16px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
        h2{font-size:15px;margin:0;font-weight:650}
        .head{display:flex;justify-content:space-between;align-items:baseline;gap:16px;margin-bottom:10px;flex-wrap:wrap}
        .card>h2{margin-bottom:12px}
        .legend{display:flex;flex-wrap:wrap;gap:16px;font-size:12.5px;color:var(--muted)}
        .legend span{display:inline-flex;align-items:center;gap:6px}
        .legend i{display:inline-block;width:16px;height:3px;border-radius:2px}
        .legend i.dash{height:0;border-top:1.5px dashed #94a3b8}
        .legend i.band{height:10px;width:14px;background:rgba(22,163,74,.16);border-radius:2px}
        .legend .mk{font-size:11px}
        .legend .note{color:#94a3b8;font-style:italic}
        .grid{display:grid;grid-template-columns:repeat(6,1fr);gap:1px;background:var(--line);border:1px solid var(--line);border-radius:8px;overflow:hidden}
        .metric{background:#fff;padding:11px 14px 10px;min-width:0}
        .metric .k{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
        .metric .v{font-size:21px;font-weight:650;margin-top:1px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
        .metric .s{font-size:11.5px;color:#94a3b8;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
        .pos{color:var(--pos)}.neg{color:var(--neg)}
        .chart{display:block;width:100%;height:auto}
        .chart text{font-size:11px;fill:#6b7280}
        .grid path{stroke:#eef0f3;stroke-width:1;fill:none}
        .grid path.v{stroke:#f3f4f6}
        .ax path.axis{stroke:#cbd5e1;stroke-width:1}
        .chart path.base{stroke:#94a3b8;stroke-width:1;stroke-dasharray:4 4;fill:none}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:12.5px}
        th,td{padding:5px 8px;text-align:right;white-space:nowrap}
        thead th{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:1px solid var(--line)}
        .l{text-align:left}
        .heat{table-layout:fixed}
        .heat td,.heat th{text-align:center;padding:6px 4px}
        .heat tbody th{text-align:left;font-weight:600;color:#334155;width:60px}
        .heat thead th:first-child{text-align:left;width:60px}
        .heat td{border:2px solid #fff;border-radius:4px;font-size:12px}
        .heat td.yt,.heat th.yt{font-weight:700;border-left:10px solid #fff}
        .heat td.na{background:#fafafa}
        .trades tbody tr:nth-child(even){background:#f9fafb}
        .trades tbody tr:hover{background:#eef2ff}
        .trades td.dim,.trades .dim{color:var(--muted)}
        .trades tr.gap td{text-align:center;color:var(--muted);font-style:italic;background:#fff}
        .pill{display:inline-block;padding:0 7px;border-radius:999px;font-size:11px;font-weight:600}
        .pill.long{background:#dcfce7;color:#166534}.pill.short{background:#fee2e2;color:#991b1b}
        .empty{color:var(--muted);margin:6px 0 4px}
        footer{margin-top:18px;font-size:11.5px;color:#94a3b8;text-align:center}
        @media (max-width:960px){.grid{grid-template-columns:repeat(3,1fr)}.top{flex-direction:column}.stamp{text-align:left}}
        @media print{body{background:#fff}.card{box-shadow:none;break-inside:avoid}}
        """
}
