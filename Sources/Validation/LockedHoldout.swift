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
    /// - Throws: ``ValidatorError/spanTooShort(_:)`` when the requested span lies entirely in the holdout.
    public static func visible(_ full: Bars, fraction: Double, from: Double? = nil, to: Double? = nil) throws(ValidatorError) -> VisibleBars {
        let locked = fraction > 0 ? Int((Double(full.count) * fraction).rounded(.down)) : 0
        let cut = full.count - locked
        let holdoutFrom = locked > 0 ? full.time[cut] : nil
        var visible = full.slice(0..<cut)
        if from != nil || to != nil {
            if let from, let holdoutFrom, from >= holdoutFrom {
                throw .spanTooShort("\(full.symbol) \(full.interval): the requested span starts at \(TimeBound.format(from)), inside the locked "
                                    + "holdout (from \(TimeBound.format(holdoutFrom))); it opens only when a validated hypothesis is promoted "
                                    + "(hint: choose an earlier --from)")
            }
            visible = visible.slice(from: from, to: to)
        }
        return VisibleBars(bars: visible, holdoutFrom: holdoutFrom)
    }
}
