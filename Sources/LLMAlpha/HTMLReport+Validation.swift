import Backtest
import Foundation
import MarketData
public import Validation

extension HTMLReport {
    /// A validation report as one self-contained HTML file: the verdict and every stage's numbers
    /// against their thresholds, then per symbol the tear sheet of the chosen parameters over the
    /// visible span with the walk-forward train, validation and test windows shaded on the
    /// equity, and the rolling windows' test Sharpe ratios.
    /// - Parameters:
    ///   - bars: each symbol's visible bars, in the report's order (the locked holdout is not in them).
    public static func render(validation r: ValidationReport, bars: [Bars], generated: String) -> String {
        let name = r.hypothesis?.name ?? (r.scriptPath as NSString).lastPathComponent
        let verdict = verdictSection(r)
        var body = ""
        for (k, s) in r.symbols.enumerated() {
            guard let result = s.backtest, k < bars.count else { continue }
            let b = bars[k]
            var bands: [Band] = []
            if let w = s.walkForward {
                func span(_ range: Range<Int>) -> (Double, Double)? {
                    guard !range.isEmpty, range.upperBound <= b.time.count else { return nil }
                    return (b.time[range.lowerBound], b.time[range.upperBound - 1])
                }
                for (range, label, color) in [(w.train, "train", Palette.hold), (w.validation, "validation", Palette.exit),
                                              (w.test, "test", Palette.gain)] {
                    if let (from, to) = span(range) { bands.append(Band(from: from, to: to, label: label, color: color)) }
                }
            }
            // The verdict sits under the first tear sheet's header, where a reader starts.
            body += backtestBody(heading: "\(name) — chosen parameters", eyebrow: "Validation report", bars: b, result: result,
                                 metrics: BacktestMetrics.compute(result), generated: generated, before: body.isEmpty ? verdict : "",
                                 bands: bands, afterDrawdown: rollingSection(s.rolling, bars: b, result: result))
        }
        if body.isEmpty {
            // Stopped before any backtest: the page still needs a header of its own.
            body = "<header>\n<div class=\"top\"><div>\n<div class=\"eyebrow\">Validation report</div>\n<h1>\(escape(name))</h1>\n"
            body += "<div class=\"sub\"><span class=\"span\">\(escape(r.scriptPath)) · mode \(escape(r.mode.rawValue))</span></div>\n</div>\n"
            body += "<div class=\"stamp\">Generated<br><b>\(escape(generated))</b></div></div>\n</header>\n" + verdict
        }
        return document(title: "\(name) · validation", generated: generated, body: body)
    }

    private static func verdictSection(_ r: ValidationReport) -> String {
        var html = ""
        let verdict = r.passed ? "Validated" : "Rejected"
        let tone = r.passed ? "pos" : "neg"
        html += "<section class=\"card\"><div class=\"head\"><h2>Verdict: <span class=\"\(tone)\">\(verdict)</span></h2>"
        html += "<div class=\"legend\"><span>mode \(escape(r.mode.rawValue)) · \(r.symbolsPassed) of \(r.symbols.count) symbols passed, "
        html += "\(r.symbolsNeeded) needed · \(grouped(r.lifetimeTrials)) trials in the knowledge base, \(grouped(r.runTrials)) this run</span></div></div>\n"
        if let f = r.failure {
            html += "<p class=\"reason\"><b>\(escape(f.check.code.rawValue))</b> — \(escape((r.symbols.count > 1 ? "\(f.symbol): " : "") + f.check.message))</p>\n"
        }
        if !r.chosen.isEmpty {
            let chosen = r.chosen.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            html += "<p class=\"note\">parameters chosen on the walk-forward validation window: <code>\(escape(chosen))</code></p>\n"
        }
        html += "<div class=\"scroll\"><table class=\"trades verdict\"><thead><tr><th class=\"l\">Symbol</th><th class=\"l\">Stage</th>"
        html += "<th class=\"l\">Result</th><th class=\"l\">Measured (threshold)</th></tr></thead><tbody>\n"
        for s in r.symbols {
            for stage in s.stages {
                let measured = stage.checks.map(\.summary).joined(separator: " · ")
                let result = stage.passed ? "<span class=\"pill long\">pass</span>" : "<span class=\"pill short\">fail</span>"
                html += "<tr><td class=\"l\">\(escape(s.symbol))</td><td class=\"l\">\(escape(stage.stage.title))</td><td class=\"l\">\(result)</td>"
                html += "<td class=\"l\">\(escape(measured))"
                if let f = stage.failure { html += "<br><span class=\"dim\">\(escape(f.message))</span>" }
                html += "</td></tr>\n"
            }
            for stage in s.notRun {
                html += "<tr><td class=\"l\">\(escape(s.symbol))</td><td class=\"l\">\(escape(stage.title))</td><td class=\"l dim\">not run</td><td></td></tr>\n"
            }
        }
        html += "</tbody></table></div></section>\n"
        return html
    }

    /// Each rolling window's test Sharpe as a bar over its test span, green when the window made money.
    private static func rollingSection(_ windows: [RollingWindow], bars: Bars, result: BacktestResult) -> String {
        guard !windows.isEmpty else { return "" }
        let data = ReportData(bars: bars, result: result)
        let sharpes = windows.map { $0.testSharpe.isFinite ? $0.testSharpe : 0 }
        let positive = windows.filter { $0.testReturn > 0 }.count
        var legend = "<span><i style=\"background:\(Palette.gain)\"></i>test window made money</span>"
        legend += "<span><i style=\"background:\(Palette.loss)\"></i>lost</span>"
        legend += "<span>\(positive) of \(windows.count) positive</span>"
        let axis = NiceAxis(lo: min(sharpes.min() ?? 0, 0), hi: max(sharpes.max() ?? 0, 0.5), target: 4)
        var frame = Frame(width: 1100, height: 200, t0: data.t0, t1: data.t1, axis: axis)
        frame.left = 70
        var svg = frame.open(label: "Rolling windows: test Sharpe per window")
        svg += frame.grid(axis: axis, format: { axis.label($0) }, spacing: data.spacing)
        let zero = frame.y(0)
        for (w, sharpe) in zip(windows, sharpes) {
            guard w.test.upperBound <= bars.time.count else { continue }
            let x0 = frame.x(bars.time[w.test.lowerBound]), x1 = frame.x(bars.time[w.test.upperBound - 1])
            let y = frame.y(sharpe)
            guard x0.isFinite, x1.isFinite, y.isFinite else { continue }
            let color = w.testReturn > 0 ? Palette.gain : Palette.loss
            svg += "<rect x=\"\(c(x0))\" y=\"\(c(min(y, zero)))\" width=\"\(c(max(x1 - x0 - 1, 0.8)))\" height=\"\(c(abs(zero - y)))\" "
            svg += "fill=\"\(color)\" fill-opacity=\"0.75\"><title>test Sharpe \(trimmed(sharpe, 2)) (train \(trimmed(w.trainSharpe, 2))) · "
            svg += "\(w.testTrades) trades · \(escape(w.parameters))</title></rect>"
        }
        svg += "</svg>\n"
        return sectionHead("Rolling windows: test Sharpe", legend: legend) + svg + "</section>\n"
    }
}
