import Foundation
import Testing
import Backtest
import Evaluation
@testable import LLMAlpha
import MarketData

@Suite("HTML backtest report")
struct HTMLReportTests {
    /// Synthetic hourly bars: a slow sine around 100 with a drift, `count` bars from 2024-01-01.
    static func bars(count: Int, symbol: String = "TESTUSDT") -> Bars {
        var bars = Bars(symbol: symbol, interval: "1h")
        let start = 1_704_067_200_000.0
        for i in 0..<count {
            let x = Double(i)
            let close = 100 * (1 + 0.3 * sin(x / 200)) * (1 + x / Double(max(count, 1)))
            bars.time.append(start + x * 3_600_000)
            bars.open.append(close * 0.999)
            bars.high.append(close * 1.004)
            bars.low.append(close * 0.996)
            bars.close.append(close)
            bars.volume.append(1)
        }
        return bars
    }

    /// Alternating long and short round trips, one every `every` bars.
    static func run(_ bars: Bars, every: Int?, config: BacktestConfig = BacktestConfig()) throws -> BacktestResult {
        let n = bars.count
        var entries = [Double](repeating: 0, count: n), exits = entries, shortEntries = entries, shortExits = entries
        if let every {
            for i in stride(from: 0, to: n, by: every) {
                if (i / every) % 2 == 0 { entries[i] = 1 } else { shortEntries[i] = 1 }
                if i + every / 2 < n { exits[i + every / 2] = 1; shortExits[i + every / 2] = 1 }
            }
        }
        return try Backtester.run(MarketColumns(bars: bars), signals: SignalMasks(
            entries: entries, exits: exits, shortEntries: shortEntries, shortExits: shortExits), config: config)
    }

    static func render(_ bars: Bars, _ result: BacktestResult, metrics: BacktestMetrics? = nil, title: String = "test") -> String {
        HTMLReport.render(title: title, bars: bars, result: result, metrics: metrics ?? BacktestMetrics.compute(result),
                          generated: "2026-04-01 12:00 UTC")
    }

    /// No NaN or infinity leaked as text ("nan", "inf", "NaN"), outside words like "information".
    static func leakedNonFinite(_ html: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "(?<![A-Za-z])(nan|inf|infinity|-inf)(?![A-Za-z])", options: [.caseInsensitive])
        let range = NSRange(html.startIndex..., in: html)
        return pattern.matches(in: html, range: range).compactMap { Range($0.range, in: html).map { String(html[$0]) } }
    }

    @Test("One self-contained document: no network, no external references")
    func selfContained() throws {
        let bars = Self.bars(count: 2_000)
        let html = Self.render(bars, try Self.run(bars, every: 60))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<html").count == 2)
        #expect(html.hasSuffix("</html>\n"))
        for banned in ["http://", "https://", "src=", "<link", "url(", "@import", "<script"] {
            #expect(!html.lowercased().contains(banned), "found \(banned)")
        }
    }

    @Test("Has the equity, drawdown and price charts, the monthly table and the trades table")
    func sections() throws {
        let bars = Self.bars(count: 3_000)
        let result = try Self.run(bars, every: 12)
        let html = Self.render(bars, result)
        #expect(html.components(separatedBy: "<svg").count - 1 == 3)
        #expect(html.components(separatedBy: "</svg>").count - 1 == 3)
        for text in ["Key metrics", "Equity", "Drawdown", "Monthly returns", "Price and trades", "Trades",
                     "<table class=\"heat\">", "<th>Jan</th>", "<th>Dec</th>", "<th>2024</th>", "Buy &amp; hold",
                     "<span class=\"pill long\">Long</span>", "<span class=\"pill short\">Short</span>", "TESTUSDT"] {
            #expect(html.contains(text), "missing \(text)")
        }
        #expect(result.trades.count > 100)
        #expect(html.contains("trades not shown"))
        #expect(Self.leakedNonFinite(html).isEmpty)
    }

    @Test("A title with markup is escaped")
    func escapesTitle() throws {
        let bars = Self.bars(count: 50)
        let html = Self.render(bars, try Self.run(bars, every: 10), title: "<script>alert('x')</script> & co")
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"))
    }

    @Test("No trades: no markers, a note instead of the table, no NaN text")
    func noTrades() throws {
        let bars = Self.bars(count: 500)
        let result = try Self.run(bars, every: nil)
        #expect(result.trades.isEmpty)
        let html = Self.render(bars, result)
        #expect(html.contains("No trades"))
        #expect(!html.contains("class=\"trades\""))
        #expect(html.contains("—"))
        #expect(Self.leakedNonFinite(html).isEmpty, "\(Self.leakedNonFinite(html))")
    }

    @Test("One bar renders every section without NaN text")
    func oneBar() throws {
        let bars = Self.bars(count: 1)
        let result = try Self.run(bars, every: nil)
        let html = Self.render(bars, result)
        #expect(html.contains("1 bar"))
        #expect(html.contains("<table class=\"heat\">"))
        #expect(Self.leakedNonFinite(html).isEmpty, "\(Self.leakedNonFinite(html))")
    }

    @Test("Metrics that are all NaN or infinite show as — and ∞")
    func nonFiniteMetrics() throws {
        let bars = Self.bars(count: 10)
        var metrics = BacktestMetrics()
        metrics.profitFactor = .infinity
        metrics.turnover = .nan
        metrics.maxDrawdownDays = .nan
        metrics.pricePnL = .nan
        let html = Self.render(bars, try Self.run(bars, every: nil), metrics: metrics)
        #expect(html.contains(">∞<"))
        #expect(html.contains(">—<"))
        #expect(Self.leakedNonFinite(html).isEmpty, "\(Self.leakedNonFinite(html))")
    }

    @Test("Equity that reaches zero still renders, with a −100% drawdown")
    func liquidation() throws {
        var bars = Self.bars(count: 400)
        for i in 100..<400 {   // a crash to a tenth of the price while 5× long
            let p = bars.close[99] * 0.1
            bars.open[i] = p; bars.high[i] = p; bars.low[i] = p; bars.close[i] = p
        }
        var config = BacktestConfig()
        config.size = 5
        var entries = [Double](repeating: 0, count: 400)
        entries[50] = 1
        let result = try Backtester.run(MarketColumns(bars: bars), signals: SignalMasks(entries: entries), config: config)
        #expect(result.liquidated)
        let html = Self.render(bars, result)
        #expect(html.contains("liquidated"))
        #expect(html.contains("−100"))
        #expect(Self.leakedNonFinite(html).isEmpty, "\(Self.leakedNonFinite(html))")
    }

    @Test("60k bars and 1000+ trades stay under 2 MB")
    func size() throws {
        let bars = Self.bars(count: 60_000)
        let result = try Self.run(bars, every: 50)
        #expect(result.trades.count >= 1_000)
        let html = Self.render(bars, result)
        #expect(html.utf8.count < 2_000_000, "\(html.utf8.count) bytes")
    }

    @Test("Number formatting: signs, grouping, non-finite")
    func formatting() {
        #expect(HTMLReport.percent(0.1234) == "+12.3%")
        #expect(HTMLReport.percent(-0.0345) == "−3.45%")
        #expect(HTMLReport.percent(12.3456) == "+1,235%")
        #expect(HTMLReport.percent(-0.000001) == "0.00%")
        #expect(HTMLReport.percent(.nan) == "—")
        #expect(HTMLReport.ratio(.infinity) == "∞")
        #expect(HTMLReport.money(-1234.6) == "−1,235")
        #expect(HTMLReport.money(12_345_678) == "+12.35M")
        #expect(HTMLReport.bps(0.0004) == "4 bps")
        #expect(HTMLReport.bps(0.00025) == "2.5 bps")
        #expect(HTMLReport.price(65432.1) == "65,432.10")
        #expect(HTMLReport.escape("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;")
    }

    /// Not a check: with LLMALPHA_REPORT_SAMPLE=/tmp/report.html set, writes reports of an SMA 50/200
    /// cross on the bundled BTCUSDT 1h (all of it, then March 2024 as `report-month.html`, then one
    /// bar as `report-1bar.html`), for looking at in a browser.
    @Test("Writes sample reports when LLMALPHA_REPORT_SAMPLE is set")
    func sample() throws {
        guard let path = ProcessInfo.processInfo.environment["LLMALPHA_REPORT_SAMPLE"] else { return }
        let all = try BarsRequest(symbol: "BTCUSDT", interval: "1h")
            .load(from: MarketStore(root: CLI.projectRoot.appendingPathComponent("data").path))
        let month = all.slice(from: 1_709_251_200_000, to: 1_711_929_599_999)
        let base = path.hasSuffix(".html") ? String(path.dropLast(5)) : path
        for (bars, file, fast, slow) in [(all, path, 50, 200), (month, base + "-month.html", 12, 48),
                                         (all.slice(from: nil, to: all.time[0]), base + "-1bar.html", 1, 1)] {
            let n = bars.count
            var entries = [Double](repeating: 0, count: n), exits = entries, shortEntries = entries, shortExits = entries
            var fastSum = 0.0, slowSum = 0.0
            for i in 0..<n {
                fastSum += bars.close[i]; slowSum += bars.close[i]
                if i >= fast { fastSum -= bars.close[i - fast] }
                if i >= slow { slowSum -= bars.close[i - slow] }
                guard i >= slow - 1, n > 1 else { continue }
                if fastSum / Double(fast) > slowSum / Double(slow) { entries[i] = 1; shortExits[i] = 1 } else { shortEntries[i] = 1; exits[i] = 1 }
            }
            var config = BacktestConfig()
            config.stopLoss = 0.08
            let result = try Backtester.run(MarketColumns(bars: bars), signals: SignalMasks(
                entries: entries, exits: exits, shortEntries: shortEntries, shortExits: shortExits), config: config)
            let html = HTMLReport.render(title: "sma_cross \(fast)/\(slow) <demo>", bars: bars, result: result,
                                         metrics: BacktestMetrics.compute(result), generated: "2026-04-01 12:00 UTC")
            try html.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }
}
