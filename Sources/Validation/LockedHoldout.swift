public import MarketData

/// The locked holdout: the most recent share of a symbol's bars (`validation.honesty.holdout`,
/// 20% by default), cut off before any script sees the data in `validate`, the optimizer or
/// research, and opened only by promotion, once (``StrategyPromoter``).
///
/// The cut is made on everything loaded for the symbol, before `--from/--to` apply, so a
/// narrower or later span cannot pull locked bars into view; the bars after the cut never reach
/// a VM during validation.
public enum LockedHoldout {
    /// The visible bars of `full` inside `from...to` (ms, either optional) and the first locked bar's time.
    /// - Parameter cut: lock from this open time instead of the symbol's own share (validating
    ///   several symbols locks them all from the same time).
    /// - Throws: ``ValidatorError/spanTooShort(_:)`` when the requested span lies entirely in the holdout.
    public static func visible(_ full: Bars, fraction: Double, from: Double? = nil, to: Double? = nil,
                               cut: Double? = nil) throws(ValidatorError) -> VisibleBars {
        let holdoutFrom = cut ?? start(of: full, fraction: fraction)
        let end = holdoutFrom.map { full.index(atOrAfter: $0) } ?? full.count
        var visible = full.slice(0..<end)
        if from != nil || to != nil {
            if let from, let holdoutFrom, from >= holdoutFrom {
                throw .spanTooShort("\(full.symbol) \(full.interval): the requested span starts at \(TimeBound.format(from)), inside the locked "
                                    + "holdout (from \(TimeBound.format(holdoutFrom))); it opens only when a validated hypothesis is promoted "
                                    + "(hint: choose an earlier --from)")
            }
            visible = visible.slice(from: from, to: to)
        }
        var days = 0.0
        if end < full.count, let last = full.time.last {
            let spacing = Interval.milliseconds(full.interval) ?? 0
            days = (last - full.time[end] + spacing) / 86_400_000
        }
        return VisibleBars(bars: visible, holdoutFrom: holdoutFrom, holdoutDays: days)
    }

    /// Several symbols with one cut: the earliest of their own, so no symbol shows a bar from a
    /// time another one keeps locked (correlated markets would leak it).
    public static func visible(_ fulls: [Bars], fraction: Double, from: Double? = nil, to: Double? = nil) throws(ValidatorError) -> [VisibleBars] {
        let cut = fulls.compactMap { start(of: $0, fraction: fraction) }.min()
        var out: [VisibleBars] = []
        for full in fulls { out.append(try visible(full, fraction: fraction, from: from, to: to, cut: cut)) }
        return out
    }

    /// The open time of a series' first locked bar; nil when nothing is locked.
    static func start(of full: Bars, fraction: Double) -> Double? {
        let locked = fraction > 0 ? Int((Double(full.count) * fraction).rounded(.down)) : 0
        return locked > 0 ? full.time[full.count - locked] : nil
    }
}
