#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The numbers a backtest is judged by (DESIGN.md section 4). Ratios that have no value (no
/// trades, no losing day) are NaN, never a made-up 0.
public struct BacktestMetrics: Sendable, Equatable, Codable {
    public var totalReturn = Double.nan
    /// Compound annual growth over the span's calendar time (365.25-day years).
    public var cagr = Double.nan
    /// Headline Sharpe: daily (UTC) equity returns, mean / std (ddof 1) × √365.
    public var sharpe = Double.nan
    /// Daily returns, mean / downside deviation × √365 (downside deviation over all days).
    public var sortino = Double.nan
    /// Bar-level Sharpe, annualized by bars per year; labelled apart because it is not comparable
    /// across intervals.
    public var barSharpe = Double.nan
    /// Largest fall from a running peak, as a positive fraction.
    public var maxDrawdown = 0.0
    /// Longest time below a previous peak, in bars and in days: bars whose equity is under the
    /// peak (vectorbt counts peak to recovery, one bar more).
    public var maxDrawdownBars = 0
    public var maxDrawdownDays = 0.0
    public var calmar = Double.nan
    public var trades = 0
    public var winRate = Double.nan
    /// Gross profit of winning trades / gross loss of losing trades (net of costs).
    public var profitFactor = Double.nan
    /// Mean net return per trade, as a fraction of entry notional, after fees and funding.
    public var averageEdge = Double.nan
    /// Fraction of bars with a position.
    public var exposure = 0.0
    /// Traded notional per year, in multiples of mean equity.
    public var turnover = 0.0
    public var pricePnL = 0.0
    /// Fees as P&L (≤ 0).
    public var feePnL = 0.0
    public var fundingPnL = 0.0
    /// The per-side fee at which price and funding P&L would be eaten by fees.
    public var breakevenFee = Double.nan
    public var days = 0.0

    public init() {}

    /// Computes every metric from a result.
    /// - Complexity: O(bars + trades).
    public static func compute(_ r: BacktestResult) -> BacktestMetrics {
        var m = BacktestMetrics()
        let n = r.equity.count
        let initial = r.config.initialCash
        guard n > 0 else { return m }
        let final = r.equity[n - 1]
        m.totalReturn = final / initial - 1
        let spacing = n > 1 ? medianSpacing(r.time) : 86_400_000
        let spanMs = (r.time[n - 1] - r.time[0]) + spacing
        m.days = spanMs / 86_400_000
        let years = m.days / 365.25
        m.cagr = final <= 0 ? -1 : pow(final / initial, 1 / years) - 1

        let daily = dailyReturns(r).returns
        if daily.count >= 2 {
            let mean = daily.reduce(0, +) / Double(daily.count)
            let variance = daily.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(daily.count - 1)
            if variance > 0 { m.sharpe = mean / variance.squareRoot() * 365.0.squareRoot() }
            let downside = (daily.reduce(0) { $0 + min($1, 0) * min($1, 0) } / Double(daily.count)).squareRoot()
            if downside > 0 { m.sortino = mean / downside * 365.0.squareRoot() }
        }
        // Bar-level Sharpe.
        if n >= 3 {
            var returns = [Double](repeating: 0, count: n)
            var prev = initial
            for (k, v) in r.equity.enumerated() {
                returns[k] = prev > 0 ? v / prev - 1 : 0
                prev = v
            }
            let mean = returns.reduce(0, +) / Double(n)
            let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)   // two-pass: no cancellation
            if variance > 0 { m.barSharpe = mean / variance.squareRoot() * (365.25 * 86_400_000 / spacing).squareRoot() }
        }
        // Drawdown depth and duration.
        var peak = initial, peakIndex = -1, longest = 0
        for (k, v) in r.equity.enumerated() {
            if v >= peak {
                peak = v
                peakIndex = k
            } else {
                m.maxDrawdown = max(m.maxDrawdown, 1 - v / peak)
                longest = max(longest, k - peakIndex)
            }
        }
        m.maxDrawdownBars = longest
        m.maxDrawdownDays = Double(longest) * spacing / 86_400_000
        if m.maxDrawdown > 0 { m.calmar = m.cagr / m.maxDrawdown }

        m.trades = r.trades.count
        if !r.trades.isEmpty {
            let nets = r.trades.map(\.netPnL)
            m.winRate = Double(nets.filter { $0 > 0 }.count) / Double(nets.count)
            let wins = nets.filter { $0 > 0 }.reduce(0, +)
            let losses = -nets.filter { $0 < 0 }.reduce(0, +)
            m.profitFactor = losses > 0 ? wins / losses : (wins > 0 ? .infinity : .nan)
            m.averageEdge = r.trades.map(\.returnFraction).reduce(0, +) / Double(r.trades.count)
        }
        m.exposure = Double(r.position.filter { $0 != 0 }.count) / Double(n)
        let meanEquity = r.equity.reduce(0, +) / Double(n)
        if meanEquity > 0, years > 0 { m.turnover = r.tradedNotional / meanEquity / years }
        m.pricePnL = r.pricePnL
        m.feePnL = -r.feesPaid
        m.fundingPnL = r.fundingPnL
        if r.tradedNotional > 0 { m.breakevenFee = (r.pricePnL + r.fundingPnL) / r.tradedNotional }
        return m
    }

    /// Returns of each UTC day from its last equity, the first day against the initial cash;
    /// `days` holds each day's number (ms since 1970 / 86,400,000, floored). Strategies and
    /// windows are compared on these: two runs' days line up whatever their bars.
    /// - Complexity: O(bars).
    public static func dailyReturns(_ r: BacktestResult) -> (days: [Int], returns: [Double]) {
        var days: [Int] = [], returns: [Double] = []
        let n = r.equity.count
        var previous = r.config.initialCash
        var i = 0
        while i < n {
            let day = (r.time[i] / 86_400_000).rounded(.down)
            var j = i
            while j + 1 < n, (r.time[j + 1] / 86_400_000).rounded(.down) == day { j += 1 }
            let value = r.equity[j]
            days.append(Int(day))
            returns.append(previous > 0 ? value / previous - 1 : 0)
            previous = value
            i = j + 1
        }
        return (days, returns)
    }

    /// The median gap between bar times (of the first 1000), for data whose interval name says nothing.
    package static func medianSpacing(_ time: [Double]) -> Double {
        let sample = stride(from: 1, to: min(time.count, 1001), by: 1).map { time[$0] - time[$0 - 1] }.sorted()
        return sample.isEmpty ? 86_400_000 : sample[sample.count / 2]
    }
}
