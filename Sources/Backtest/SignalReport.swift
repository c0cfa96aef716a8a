/// The signal layer's report: how the entries a hypothesis signals behave, before any position
/// management (DESIGN.md section 5, stage 2).
///
/// A signal is a bar where an entry mask turns true (its rising edge). Its outcome is measured from
/// the fill at the next bar's open to the close `horizon` bars after the signal, in the signal's
/// direction, minus a round trip of fees and slippage.
public struct SignalReport: Sendable, Equatable {
    public var signals = 0
    public var longSignals = 0
    public var shortSignals = 0
    public var perThousandBars = 0.0
    /// Bars the outcome is measured over (the strategy's max_hold, else 24).
    public var horizon = 24
    public var winRate = Double.nan
    public var profitFactor = Double.nan
    /// Mean outcome per signal after costs, as a fraction.
    public var averageEdge = Double.nan
    /// Mean outcome before costs at 1...48 bars after the signal (index 0 is 1 bar).
    public var decay: [Double] = []
    /// Bars after the peak of `decay` until it falls to half the peak; nil when it never does or
    /// there is no positive edge.
    public var halfLife: Int? = nil

    public init() {}

    /// - Parameters:
    ///   - longEntries, shortEntries: masks (1 = true), either may be nil.
    ///   - roundTripCost: fees and slippage of entry plus exit, as a fraction of price.
    /// - Complexity: O(signals × 48).
    public static func compute(longEntries: [Double]?, shortEntries: [Double]?, open: [Double], close: [Double],
                               horizon: Int, roundTripCost: Double, maxDecay: Int = 48) -> SignalReport {
        var report = SignalReport()
        let n = close.count
        report.horizon = horizon
        var events: [(bar: Int, direction: Double)] = []
        for (mask, direction) in [(longEntries, 1.0), (shortEntries, -1.0)] {
            guard let mask else { continue }
            for t in 0..<n where mask[t] != 0 && !mask[t].isNaN && (t == 0 || mask[t - 1] == 0 || mask[t - 1].isNaN) {
                events.append((t, direction))
            }
        }
        report.signals = events.count
        report.longSignals = events.filter { $0.direction > 0 }.count
        report.shortSignals = events.count - report.longSignals
        report.perThousandBars = n > 0 ? Double(events.count) * 1000 / Double(n) : 0
        var sums = [Double](repeating: 0, count: maxDecay), counts = [Int](repeating: 0, count: maxDecay)
        var outcomes: [Double] = []
        for event in events {
            let entryBar = event.bar + 1
            guard entryBar < n, open[entryBar] > 0 else { continue }
            for h in 1...maxDecay {
                let exitBar = event.bar + h
                guard exitBar < n else { break }
                let r = event.direction * (close[exitBar] / open[entryBar] - 1)
                guard r.isFinite else { continue }
                sums[h - 1] += r
                counts[h - 1] += 1
            }
            let exitBar = event.bar + horizon
            if exitBar < n {
                let r = event.direction * (close[exitBar] / open[entryBar] - 1) - roundTripCost
                if r.isFinite { outcomes.append(r) }
            }
        }
        report.decay = zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : .nan }
        if !outcomes.isEmpty {
            report.winRate = Double(outcomes.filter { $0 > 0 }.count) / Double(outcomes.count)
            let wins = outcomes.filter { $0 > 0 }.reduce(0, +), losses = -outcomes.filter { $0 < 0 }.reduce(0, +)
            report.profitFactor = losses > 0 ? wins / losses : (wins > 0 ? .infinity : .nan)
            report.averageEdge = outcomes.reduce(0, +) / Double(outcomes.count)
        }
        if let peak = report.decay.indices.filter({ !report.decay[$0].isNaN }).max(by: { report.decay[$0] < report.decay[$1] }),
           report.decay[peak] > 0 {
            let half = report.decay[peak] / 2
            if let fall = report.decay[(peak + 1)...].firstIndex(where: { !$0.isNaN && $0 <= half }) {
                report.halfLife = fall - peak
            }
        }
        return report
    }
}
