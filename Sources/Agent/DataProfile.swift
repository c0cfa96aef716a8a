import Foundation
public import MarketData
import Primitives

/// A statistical profile of the loaded data, computed by the primitives on the walk-forward
/// training bars only (never the validation, test or holdout bars): the seed's "data analysis"
/// source. The offline generator leans towards the families it favours; a language model reads
/// ``summary``.
public struct DataProfile: Sendable, Equatable {
    public var symbol: String
    public var interval: String
    public var bars: Int
    public var from: Double
    public var to: Double
    /// Columns a script can read beyond prices and volume (`funding`, `open_interest`, ...).
    public var columns: Set<String>
    /// Correlation of one return with the next at 1, 4 and 24 bars (non-overlapping blocks).
    public var returnAutocorrelation: [Int: Double]
    /// Autocorrelation of absolute 1-bar returns at lag 1 and 24: volatility clustering.
    public var volatilityClustering: [Int: Double]
    /// Annualized volatility of 1-bar log returns over the profiled bars, and over their last tenth.
    public var volatility: Double
    public var recentVolatility: Double
    /// Annualized mean 1-bar log return over the profiled bars, and over their last tenth: the
    /// recent regime against the whole span.
    public var drift: Double
    public var recentDrift: Double
    /// Mean funding rate, its mean absolute value, the share of positive readings, and its
    /// autocorrelation over 8 bars; nil without funding.
    public var funding: (mean: Double, meanAbsolute: Double, positiveShare: Double, persistence: Double)?
    /// Autocorrelation of open-interest changes at lag 1; nil without open interest.
    public var openInterestPersistence: Double?

    public static func == (a: DataProfile, b: DataProfile) -> Bool {
        a.symbol == b.symbol && a.bars == b.bars && a.from == b.from && a.to == b.to && a.columns == b.columns
    }

    /// Profiles `bars` (the caller passes the training bars).
    public init(bars: Bars) {
        symbol = bars.symbol
        interval = bars.interval
        self.bars = bars.count
        from = bars.time.first ?? 0
        to = bars.time.last ?? 0
        columns = Self.columns(of: bars)
        let close = bars.close
        returnAutocorrelation = Dictionary(uniqueKeysWithValues: [1, 4, 24].map { ($0, Autocorrelation.ofReturns(close: close, horizon: $0)) })
        var returns = [Double](repeating: .nan, count: close.count)
        for t in 1..<max(1, close.count) where close[t] > 0 && close[t - 1] > 0 { returns[t] = log(close[t] / close[t - 1]) }
        let absolute = returns.map { $0.isFinite ? abs($0) : .nan }
        volatilityClustering = [1: Autocorrelation.at(absolute, lag: 1), 24: Autocorrelation.at(absolute, lag: 24)]
        let perYear = 365 * 86_400_000 / (Interval.milliseconds(bars.interval) ?? 3_600_000)
        func annualized(_ r: ArraySlice<Double>) -> Double {
            let x = r.filter(\.isFinite)
            guard x.count > 2 else { return .nan }
            let mean = x.reduce(0, +) / Double(x.count)
            return (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)).squareRoot() * perYear.squareRoot()
        }
        volatility = annualized(returns[...])
        recentVolatility = annualized(returns[(returns.count - returns.count / 10)...])
        func meanPerYear(_ r: ArraySlice<Double>) -> Double {
            let x = r.filter(\.isFinite)
            return x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) * perYear
        }
        drift = meanPerYear(returns[...])
        recentDrift = meanPerYear(returns[(returns.count - returns.count / 10)...])
        if columns.contains("funding"), let f = bars.extra("funding")?.filter(\.isFinite), !f.isEmpty {
            funding = (f.reduce(0, +) / Double(f.count), f.map(abs).reduce(0, +) / Double(f.count),
                       Double(f.filter { $0 > 0 }.count) / Double(f.count), Autocorrelation.at(f, lag: 8))
        } else {
            funding = nil
        }
        if columns.contains("open_interest"), let oi = bars.extra("open_interest") {
            var changes = [Double](repeating: .nan, count: oi.count)
            for t in 1..<max(1, oi.count) where oi[t] > 0 && oi[t - 1] > 0 { changes[t] = oi[t] / oi[t - 1] - 1 }
            openInterestPersistence = Autocorrelation.at(changes, lag: 1)
        } else {
            openInterestPersistence = nil
        }
    }

    /// The extra columns of `bars` that hold data (finite, not all zero).
    public static func columns(of bars: Bars) -> Set<String> {
        Set(bars.extra.map(\.name)).filter { name in bars.extra(name)!.contains { $0.isFinite && $0 != 0 } }
    }

    /// The categories this data can serve (funding needs `d.funding`, open interest `d.open_interest`).
    public var servedCategories: [ResearchCategory] {
        ResearchCategory.allCases.filter { c in c.requiredColumn.map(columns.contains) ?? true }
    }

    /// How strongly the data argues for each category (1 is neutral): trending returns favour
    /// momentum and breakouts, reverting ones mean reversion, clustered volatility the volatility
    /// family, persistent and lopsided funding the funding family.
    public var categoryWeights: [ResearchCategory: Double] {
        func v(_ x: Double?) -> Double { x.flatMap { $0.isFinite ? $0 : nil } ?? 0 }
        let trend = v(returnAutocorrelation[24]) + v(returnAutocorrelation[4])
        let revert = -(v(returnAutocorrelation[1]) + v(returnAutocorrelation[4]))
        var w: [ResearchCategory: Double] = [:]
        w[.momentum] = 1 + 4 * max(0, trend)
        w[.breakout] = 1 + 3 * max(0, trend)
        w[.meanReversion] = 1 + 4 * max(0, revert)
        w[.volatility] = 1 + 2 * max(0, v(volatilityClustering[1]) - 0.1)
        w[.volume] = 1
        if let f = funding { w[.funding] = 1 + 2 * max(0, f.persistence) + (f.positiveShare > 0.7 || f.positiveShare < 0.3 ? 0.5 : 0) }
        if let p = openInterestPersistence { w[.openInterest] = 1 + 2 * max(0, p) }
        return w.filter { served($0.key) }
    }

    private func served(_ c: ResearchCategory) -> Bool { c.requiredColumn.map(columns.contains) ?? true }

    /// The profile in a few lines, for the run header and a model's prompt.
    public var summary: String {
        func f(_ x: Double?, _ digits: Int = 3) -> String {
            guard let x, x.isFinite else { return "n/a" }
            return String(format: "%+.\(digits)f", x)
        }
        var lines = [
            "\(symbol) \(interval), \(bars) training bars \(TimeBound.format(from)) → \(TimeBound.format(to)) (validation, test and holdout bars not profiled)",
            "return autocorrelation: 1 bar \(f(returnAutocorrelation[1])), 4 bars \(f(returnAutocorrelation[4])), 24 bars \(f(returnAutocorrelation[24]))",
            "volatility clustering (|r| autocorrelation): lag 1 \(f(volatilityClustering[1])), lag 24 \(f(volatilityClustering[24])); "
                + "annualized volatility \(String(format: "%.0f%%", volatility * 100)), last tenth \(String(format: "%.0f%%", recentVolatility * 100))",
            "recent regime: annualized drift \(String(format: "%+.0f%%", recentDrift * 100)) over the last tenth against "
                + "\(String(format: "%+.0f%%", drift * 100)) over the whole span",
        ]
        if let fu = funding {
            lines.append("funding: mean \(String(format: "%+.4f%%", fu.mean * 100)), mean |f| \(String(format: "%.4f%%", fu.meanAbsolute * 100)), "
                         + "\(String(format: "%.0f%%", fu.positiveShare * 100)) positive, 8-bar persistence \(f(fu.persistence, 2))")
        } else {
            lines.append("funding: not loaded")
        }
        lines.append(openInterestPersistence.map { "open interest: change persistence \(f($0, 2))" } ?? "open interest: not loaded")
        return lines.joined(separator: "\n")
    }
}
