#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How one factor series ranks forward returns at one horizon: the numbers the validation layer
/// judges a hypothesis by.
///
/// ```swift
/// let forward = FactorStatistics.forwardReturns(close: close, horizon: 24)   // once per slice
/// let stats = FactorStatistics.compute(factor: f, forward: forward, horizon: 24, periodBars: 720)
/// if stats.pValue < 0.01 && stats.informationRatio > 0.5 { ... }
/// ```
///
/// **Valid pairs.** Everything except the rank autocorrelation uses only the bars t where both
/// `factor[t]` and `forward[t]` are non-NaN (±∞ are ordinary, rankable values); ranks are taken
/// over those pairs.
///
/// **Degenerate inputs.** With fewer than 3 valid pairs, or a factor that is constant over them,
/// the IC, the HAC t and p, the quantile means and the monotonicity are NaN and `periodICs` is
/// empty (so `informationRatio` is NaN). For a constant factor pandas' `qcut(rank(method="first"))`
/// would still cut the bars into bins by time order; we return NaN instead on purpose, because
/// those bins would report the market's trend as the factor's monotonicity. Constant forward
/// returns make the IC, t and p NaN (0/0).
///
/// ## Topics
/// - ``compute(factor:forward:horizon:periodBars:quantiles:turnoverLag:hacLags:)``
/// - ``compute(factor:close:horizons:periodBars:quantiles:turnoverLag:hacLags:)``
/// - ``SortedSeries``
/// - ``forwardReturns(close:horizon:)``
/// - ``defaultHACLags(observations:horizon:)``
package struct FactorStatistics: Sendable {
    /// Forward-return horizon h in bars.
    package let horizon: Int
    /// Valid pairs: bars where both the factor and the forward return are non-NaN.
    package let observations: Int
    /// Rank IC: Spearman's ρ between factor and forward return over the valid pairs (average
    /// ranks for ties; scipy `spearmanr`, ``Stats/spearman(_:_:)``).
    package let ic: Double
    /// Newey–West t-statistic of the slope of `rank(forward) ~ 1 + rank(factor)` (see
    /// ``compute(factor:forward:horizon:periodBars:quantiles:turnoverLag:hacLags:)``).
    package let hacT: Double
    /// Two-sided p-value of ``hacT`` under the standard normal: `2 Φ(-|t|)`.
    package let pValue: Double
    /// Bartlett-kernel lags used for ``hacT``.
    package let hacLags: Int
    /// The IC of each period of `periodBars` bars that has enough valid pairs, in time order.
    package let periodICs: [Double]
    /// `mean(periodICs) / std(periodICs, ddof = 1)`; NaN with fewer than 2 periods or zero std.
    package let informationRatio: Double
    /// Mean forward return per factor quantile bin, lowest factor first (`quantiles` entries;
    /// NaN for an empty bin).
    package let quantileMeans: [Double]
    /// Spearman's ρ between the bin index 0..<q and ``quantileMeans``: +1 when higher factor
    /// bins earn strictly more. NaN when a bin is empty or every mean is equal.
    package let monotonicity: Double
    /// Spearman's ρ between `factor[t]` and `factor[t - turnoverLag]` over the bars where both are
    /// non-NaN (the factor alone; forward returns play no part). NaN with fewer than 3 such bars
    /// or a constant factor.
    package let rankAutocorrelation: Double

    /// `1 - rankAutocorrelation`: how much the factor's ranking reshuffles every `turnoverLag`
    /// bars, 0 for a ranking that never changes. Not a backtest's turnover, which counts trades.
    package var rankTurnover: Double { 1 - rankAutocorrelation }

    /// The default Newey–West lag count: `max(h - 1, floor(4 (n / 100)^(2/9)))`.
    ///
    /// h - 1 covers the overlap of h-bar forward returns (an MA(h - 1) error under the null); the
    /// second term is the usual Newey–West (1994) rule, which is also statsmodels' default.
    /// - Complexity: O(1).
    package static func defaultHACLags(observations n: Int, horizon h: Int) -> Int {
        let rule = n > 0 ? Int(floor(4 * pow(Double(n) / 100, 2.0 / 9.0))) : 0
        return Swift.max(h - 1, rule)
    }

    /// Forward returns `close[t + h] / close[t] - 1` (``Stats/forwardReturn(_:horizon:into:)``).
    ///
    /// **LOOKS AHEAD**: the research target only. NaN for the last `h` bars (all of them when
    /// `h >= close.count`) and wherever either price is NaN.
    /// - Complexity: O(n); allocates the result.
    package static func forwardReturns(close: [Double], horizon h: Int) -> [Double] {
        precondition(h >= 1, "horizon must be at least 1 bar, got \(h)")
        return [Double](unsafeUninitializedCapacity: close.count) { out, initialized in
            close.withUnsafeBufferPointer { Stats.forwardReturn($0, horizon: h, into: out) }
            initialized = close.count
        }
    }

    /// Statistics of `factor` at each horizon, forward returns made from `close`.
    ///
    /// A convenience over ``compute(factor:forward:horizon:periodBars:quantiles:turnoverLag:hacLags:)``
    /// for one factor; to test many factors on one slice, make the forward returns once with
    /// ``forwardReturns(close:horizon:)`` and call that directly. A horizon >= `close.count`
    /// gives 0 observations and NaN statistics.
    /// - Complexity: O(n·L) per horizon; the factor is sorted, and its rank autocorrelation
    ///   computed, once for all horizons.
    package static func compute(factor: [Double], close: [Double], horizons: [Int] = [1, 4, 24],
                                periodBars: Int, quantiles: Int = 5, turnoverLag: Int = 1,
                                hacLags: Int? = nil) -> [FactorStatistics] {
        precondition(factor.count == close.count, "factor and close differ in length")
        precondition(turnoverLag >= 1, "turnoverLag must be at least 1, got \(turnoverLag)")
        let sortedFactor = SortedSeries(factor)
        let autocorrelation = rankAutocorrelation(sortedFactor, lag: turnoverLag)
        return horizons.map { h in
            compute(factor: sortedFactor, forward: SortedSeries(forwardReturns(close: close, horizon: h)),
                    horizon: h, periodBars: periodBars, quantiles: quantiles,
                    turnoverLag: turnoverLag, hacLags: hacLags, rankAutocorrelation: autocorrelation)
        }
    }

    /// Statistics of one factor against precomputed forward returns at horizon `horizon`.
    ///
    /// - **IC**: Spearman's ρ over the valid pairs.
    /// - **HAC t and p**: the OLS slope of `rank(forward) ~ 1 + rank(factor)` (average ranks over
    ///   the valid pairs), with a Newey–West covariance, Bartlett weights `1 - l / (L + 1)` for
    ///   lags l = 1...L. This matches statsmodels 0.15
    ///   `sm.OLS(ry, sm.add_constant(rx)).fit(cov_type="HAC", cov_kwds={"maxlags": L})`:
    ///   through `fit`, `use_correction` defaults to **False** (no n / (n - k) factor; only the
    ///   direct `cov_hac_simple` defaults it to True), and `use_t` is False, so the p-value uses
    ///   the **normal** distribution, not Student's t. For a simple regression the slope's
    ///   sandwich variance is `Σ_l w_l Σ_t g_t g_{t-l} / Sxx²` (w₀ = 1, both signs of l) with
    ///   `g_t = (x_t - x̄) u_t`, computed here in that closed form. Lags beyond n - 1 add
    ///   nothing, as in statsmodels.
    /// - **Period ICs and IR**: period k covers the original bar indices
    ///   `k·periodBars ..< (k+1)·periodBars`; its IC (ranks within the period) counts when it has
    ///   at least `max(10, periodBars / 4)` valid pairs (integer division) and a non-NaN IC, i.e.
    ///   neither side is constant within it. IR = mean / std (ddof = 1) of those ICs.
    /// - **Quantiles**: pandas `pd.qcut(f.rank(method="first"), quantiles, labels=False)` over the
    ///   valid pairs: with ordinal ranks r = 1...m (ties in time order), bin 0 takes r = 1 and
    ///   otherwise bin = ceil(q (r - 1) / (m - 1)) - 1, the right-closed bins between the linear
    ///   quantiles `1 + k (m - 1) / q` in exact integer arithmetic. (pandas nudges the quantile
    ///   levels up by one ulp so that its float edges agree with these exact ones.)
    /// - **Rank autocorrelation**: Spearman of `factor[t]` with `factor[t - turnoverLag]`.
    ///
    /// - Parameters:
    ///   - factor: The factor, one value per bar; NaN where unknown.
    ///   - forward: Forward returns at `horizon` for the same bars (``forwardReturns(close:horizon:)``).
    ///   - horizon: h >= 1; sets the default lag count and is reported back.
    ///   - periodBars: Bars per period for the period ICs, >= 1.
    ///   - quantiles: Number of quantile bins q >= 2.
    ///   - turnoverLag: Lag in bars for the rank autocorrelation, >= 1.
    ///   - hacLags: Newey–West lags L >= 0; nil for ``defaultHACLags(observations:horizon:)``.
    /// - Complexity: O(n·L): two radix sorts (factor and forward returns; pass ``SortedSeries``
    ///   to the other overload to sort each series once across calls) plus linear passes. The
    ///   periods and the rank autocorrelation filter those sorts instead of sorting again.
    package static func compute(factor: [Double], forward: [Double], horizon: Int, periodBars: Int,
                                quantiles: Int = 5, turnoverLag: Int = 1,
                                hacLags: Int? = nil) -> FactorStatistics {
        precondition(factor.count == forward.count, "factor and forward returns differ in length")
        return compute(factor: SortedSeries(factor), forward: SortedSeries(forward), horizon: horizon,
                       periodBars: periodBars, quantiles: quantiles, turnoverLag: turnoverLag,
                       hacLags: hacLags)
    }

    /// The `[Double]` overload on series sorted beforehand: the same results, without sorting.
    /// Sort the forward returns once per data slice and each factor once, then call this for
    /// every (factor, horizon).
    /// - Complexity: O(n·L), no sort (the rank autocorrelation filters the factor's order).
    package static func compute(factor: SortedSeries, forward: SortedSeries, horizon: Int,
                                periodBars: Int, quantiles: Int = 5, turnoverLag: Int = 1,
                                hacLags: Int? = nil) -> FactorStatistics {
        compute(factor: factor, forward: forward, horizon: horizon, periodBars: periodBars,
                quantiles: quantiles, turnoverLag: turnoverLag, hacLags: hacLags,
                rankAutocorrelation: nil)
    }

    /// The work of both overloads; `known` is the factor's rank autocorrelation at `turnoverLag`
    /// when the caller already has it (it does not depend on the horizon).
    private static func compute(factor: SortedSeries, forward: SortedSeries, horizon: Int,
                                periodBars: Int, quantiles: Int, turnoverLag: Int, hacLags: Int?,
                                rankAutocorrelation known: Double?) -> FactorStatistics {
        let n = factor.values.count
        precondition(forward.values.count == n, "factor and forward returns differ in length")
        precondition(horizon >= 1, "horizon must be at least 1 bar, got \(horizon)")
        precondition(periodBars >= 1, "periodBars must be at least 1, got \(periodBars)")
        precondition(quantiles >= 2, "quantiles must be at least 2, got \(quantiles)")
        precondition(turnoverLag >= 1, "turnoverLag must be at least 1, got \(turnoverLag)")
        precondition(hacLags.map { $0 >= 0 } ?? true, "hacLags must be >= 0")

        let autocorrelation = known ?? rankAutocorrelation(factor, lag: turnoverLag)
        // 5 Int32 and 9 Double buffers of at most n elements, below.
        var arena = ScratchArena(bytes: n * (5 * 4 + 9 * 8), buffers: 14)

        // The valid pairs in time order: pair j is bar bars[j]; compact[t] is j, or -1.
        let compact = arena.take(Int32.self, n)
        var m = 0
        factor.values.withUnsafeBufferPointer { f in
            forward.values.withUnsafeBufferPointer { r in
                for t in 0..<n {
                    let valid = !f[t].isNaN && !r[t].isNaN
                    compact[t] = valid ? Int32(truncatingIfNeeded: m) : -1
                    if valid { m += 1 }
                }
            }
        }
        let bars = arena.take(Int32.self, m)
        let returns = arena.take(Double.self, m)
        forward.values.withUnsafeBufferPointer { r in
            for t in 0..<n where compact[t] >= 0 {
                let j = Int(compact[t])
                bars[j] = Int32(truncatingIfNeeded: t)
                returns[j] = r[t]
            }
        }

        let lags = hacLags ?? defaultHACLags(observations: m, horizon: horizon)
        let empty = FactorStatistics(horizon: horizon, observations: m, ic: .nan, hacT: .nan,
                                     pValue: .nan, hacLags: lags, periodICs: [],
                                     informationRatio: .nan,
                                     quantileMeans: [Double](repeating: .nan, count: quantiles),
                                     monotonicity: .nan, rankAutocorrelation: autocorrelation)
        guard m >= 3 else { return empty }

        // Periods: start[p] ..< start[p + 1] are the pairs of the p-th non-empty period.
        var start: [Int] = [0]
        let periodOf = arena.take(Int32.self, m)
        var boundary = (Int(bars[0]) / periodBars + 1) * periodBars
        for j in 0..<m {
            let t = Int(bars[j])
            if t >= boundary {
                start.append(j)
                boundary = (t / periodBars + 1) * periodBars
            }
            periodOf[j] = Int32(truncatingIfNeeded: start.count - 1)
        }
        start.append(m)

        // Each side: average ranks over all pairs and within each period (work space shared).
        let work = RankWork(slots: arena.take(Int32.self, m), sorted: arena.take(Double.self, m),
                            periodSlots: arena.take(Int32.self, m), periodSorted: arena.take(Double.self, m))
        let factorRanks = arena.take(Double.self, m)
        let factorPeriodRanks = arena.take(Double.self, m)
        let forwardRanks = arena.take(Double.self, m)
        let forwardPeriodRanks = arena.take(Double.self, m)
        let bins = arena.take(Double.self, m)   // the factor's ordinal rank - 1, as a double
        let varies = rank(factor, compact: compact, periodOf: periodOf, start: start, work: work,
                          ranks: factorRanks, periodRanks: factorPeriodRanks, ordinal: bins)
        guard varies else { return empty }
        _ = rank(forward, compact: compact, periodOf: periodOf, start: start, work: work,
                 ranks: forwardRanks, periodRanks: forwardPeriodRanks, ordinal: nil)

        let ic = rankCorrelation(UnsafeBufferPointer(factorRanks), UnsafeBufferPointer(forwardRanks), 0, m)
        let t = neweyWestSlopeT(x: UnsafeBufferPointer(factorRanks), y: UnsafeBufferPointer(forwardRanks),
                                lags: lags, scratch: arena.take(Double.self, m))
        let p = t.isNaN ? Double.nan : erfc(t.magnitude * 0.7071067811865476)

        let minimum = Swift.max(10, periodBars / 4)
        var periodICs: [Double] = []
        for k in 0..<(start.count - 1) where start[k + 1] - start[k] >= minimum {
            let periodIC = rankCorrelation(UnsafeBufferPointer(factorPeriodRanks),
                                           UnsafeBufferPointer(forwardPeriodRanks), start[k], start[k + 1])
            if !periodIC.isNaN { periodICs.append(periodIC) }
        }

        let means = quantileMeans(returns: UnsafeBufferPointer(returns), ordinal: UnsafeBufferPointer(bins),
                                  quantiles: quantiles)
        return FactorStatistics(horizon: horizon, observations: m, ic: ic, hacT: t, pValue: p,
                                hacLags: lags, periodICs: periodICs,
                                informationRatio: informationRatio(periodICs),
                                quantileMeans: means, monotonicity: monotonicity(means),
                                rankAutocorrelation: autocorrelation)
    }

    // MARK: - Pieces

    /// Work buffers of ``rank(_:compact:periodOf:start:work:ranks:periodRanks:ordinal:)``, m each.
    private struct RankWork {
        let slots: UnsafeMutableBufferPointer<Int32>
        let sorted: UnsafeMutableBufferPointer<Double>
        let periodSlots: UnsafeMutableBufferPointer<Int32>
        let periodSorted: UnsafeMutableBufferPointer<Double>
    }

    /// Ranks one side over the m valid pairs, read off its sort: `ranks[j]` over all pairs and
    /// `periodRanks[j]` within pair j's period (1-based average ranks), and when `ordinal` is
    /// given, pair j's 0-based position in value order (ties in time order: pandas
    /// `rank(method="first") - 1`). Returns false when the pairs' values are all equal.
    private static func rank(_ series: SortedSeries, compact: UnsafeMutableBufferPointer<Int32>,
                             periodOf: UnsafeMutableBufferPointer<Int32>, start: [Int], work: RankWork,
                             ranks: UnsafeMutableBufferPointer<Double>,
                             periodRanks: UnsafeMutableBufferPointer<Double>,
                             ordinal: UnsafeMutableBufferPointer<Double>?) -> Bool {
        let m = ranks.count
        // The series' order filtered to the valid pairs is their order.
        var k = 0
        series.order.withUnsafeBufferPointer { order in
            series.sorted.withUnsafeBufferPointer { values in
                for i in 0..<order.count {
                    let j = compact[Int(order[i])]
                    if j < 0 { continue }
                    work.slots[k] = j
                    work.sorted[k] = values[i]
                    k += 1
                }
            }
        }
        precondition(k == m, "valid pairs and sorted values disagree")
        if let ordinal { for k in 0..<m { ordinal[Int(work.slots[k])] = Double(k) } }
        let varies = writeAverageRanks(sorted: UnsafeBufferPointer(work.sorted),
                                       slot: UnsafeBufferPointer(work.slots), 0, m, into: ranks)
        // A stable bucket pass by period leaves each period's region in value order.
        var cursor = Array(start.dropLast())
        cursor.withUnsafeMutableBufferPointer { cursor in
            for k in 0..<m {
                let j = work.slots[k]
                let p = Int(periodOf[Int(j)])
                let c = cursor[p]
                work.periodSlots[c] = j
                work.periodSorted[c] = work.sorted[k]
                cursor[p] = c + 1
            }
        }
        for p in 0..<(start.count - 1) {
            _ = writeAverageRanks(sorted: UnsafeBufferPointer(work.periodSorted),
                                  slot: UnsafeBufferPointer(work.periodSlots), start[p], start[p + 1],
                                  into: periodRanks)
        }
        return varies
    }

    /// Spearman of `x[t]` with `x[t - lag]` over the bars where both are non-NaN, read off the
    /// series' sort: the two values of each pair keep their sorted order when other bars drop.
    private static func rankAutocorrelation(_ series: SortedSeries, lag: Int) -> Double {
        let n = series.values.count
        guard n > lag else { return .nan }
        // Pair slot j stands for (x[j + lag], x[j]), j in 0..<(n - lag).
        let pairs = n - lag
        let count = series.order.count
        var arena = ScratchArena(bytes: n + 2 * pairs * 8 + 2 * count * (8 + 4), buffers: 7)
        let known = arena.take(UInt8.self, n)
        let now = arena.take(Double.self, pairs)
        let before = arena.take(Double.self, pairs)
        let sortedNow = arena.take(Double.self, count), sortedBefore = arena.take(Double.self, count)
        let slotNow = arena.take(Int32.self, count), slotBefore = arena.take(Int32.self, count)
        // Membership is looked up in value order, i.e. at random bars: a byte per bar keeps
        // those lookups in cache where the doubles would not.
        series.values.withUnsafeBufferPointer { x in
            for t in 0..<n { known[t] = x[t].isNaN ? 0 : 1 }
        }
        now.update(repeating: .nan)
        var m = 0, mBefore = 0
        series.order.withUnsafeBufferPointer { order in
            series.sorted.withUnsafeBufferPointer { values in
                for k in 0..<count {
                    let i = Int(order[k])
                    // As the later value of pair i - lag, and as the earlier value of pair i.
                    if i >= lag && known[i - lag] != 0 {
                        sortedNow[m] = values[k]
                        slotNow[m] = Int32(truncatingIfNeeded: i - lag)
                        m += 1
                    }
                    if i < pairs && known[i + lag] != 0 {
                        sortedBefore[mBefore] = values[k]
                        slotBefore[mBefore] = Int32(truncatingIfNeeded: i)
                        mBefore += 1
                    }
                }
            }
        }
        precondition(m == mBefore)
        guard m >= 3,
              writeAverageRanks(sorted: UnsafeBufferPointer(sortedNow), slot: UnsafeBufferPointer(slotNow),
                                0, m, into: now),
              writeAverageRanks(sorted: UnsafeBufferPointer(sortedBefore),
                                slot: UnsafeBufferPointer(slotBefore), 0, m, into: before)
        else { return .nan }
        // Gather the pairs into the front of the buffers (slots without a pair hold NaN in
        // `now`; `before` was written at exactly the same slots).
        var k = 0
        for j in 0..<pairs where !now[j].isNaN {
            now[k] = now[j]
            before[k] = before[j]
            k += 1
        }
        return rankCorrelation(UnsafeBufferPointer(now), UnsafeBufferPointer(before), 0, m)
    }

    /// t of the OLS slope of y on 1 + x with a Bartlett-kernel Newey–West variance, no small
    /// sample correction. `x` and `y` are average ranks (mean exactly (m + 1) / 2); `g` is
    /// work space of m elements.
    private static func neweyWestSlopeT(x: UnsafeBufferPointer<Double>, y: UnsafeBufferPointer<Double>,
                                        lags: Int, scratch g: UnsafeMutableBufferPointer<Double>) -> Double {
        let m = x.count
        let mean = Double(m + 1) / 2
        var sxx = 0.0, sxy = 0.0
        for i in 0..<m {
            let dx = x[i] - mean
            sxx += dx * dx
            sxy += dx * (y[i] - mean)
        }
        guard sxx > 0 else { return .nan }
        let slope = sxy / sxx
        // g_t = (x_t - x̄) u_t: the slope's row of (X'X)⁻¹ applied to (1, x_t) u_t is
        // (x_t - x̄) u_t / Sxx for a simple regression.
        var s = 0.0
        for i in 0..<m {
            let dx = x[i] - mean
            let v = dx * ((y[i] - mean) - slope * dx)
            g[i] = v
            s += v * v
        }
        let maxLag = Swift.min(lags, m - 1)
        if maxLag >= 1 {
            let g = UnsafeBufferPointer(g)
            for l in 1...maxLag {
                // Four partial sums in two SIMD pairs: one running sum is bound by add latency
                // (the compiler may not reassociate floating-point adds).
                var c01 = SIMD2<Double>(), c23 = SIMD2<Double>()
                var i = l
                while i + 4 <= m {
                    c01 += load2(g, i) * load2(g, i - l)
                    c23 += load2(g, i + 2) * load2(g, i + 2 - l)
                    i += 4
                }
                var c = (c01[0] + c01[1]) + (c23[0] + c23[1])
                while i < m { c += g[i] * g[i - l]; i += 1 }
                s += 2 * (1 - Double(l) / Double(lags + 1)) * c
            }
        }
        guard s > 0 else { return .nan }
        return slope / (s.squareRoot() / sxx)
    }

    /// Mean forward return per pandas `qcut(rank(method="first"), q)` bin, summed in time order.
    /// `ordinal[j]` is pair j's 0-based position in factor order (r - 1 for ordinal rank r).
    private static func quantileMeans(returns: UnsafeBufferPointer<Double>, ordinal: UnsafeBufferPointer<Double>,
                                      quantiles q: Int) -> [Double] {
        let m = returns.count
        var sums = [Double](repeating: 0, count: q)
        var counts = [Int](repeating: 0, count: q)
        for j in 0..<m {
            // r - 1 = 0 is bin 0; otherwise bin ceil(q (r - 1) / (m - 1)) - 1.
            let k = Int(ordinal[j])
            let bin = k == 0 ? 0 : (q * k + m - 2) / (m - 1) - 1
            sums[bin] += returns[j]
            counts[bin] += 1
        }
        return (0..<q).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : .nan }
    }

    /// Spearman of 0..<q against `means` (average ranks for tied means); NaN if any is NaN.
    private static func monotonicity(_ means: [Double]) -> Double {
        let q = means.count
        if means.contains(where: \.isNaN) { return .nan }
        let center = Double(q + 1) / 2
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<q {
            var below = 0, equal = 0
            for v in means { if v < means[i] { below += 1 } else if v == means[i] { equal += 1 } }
            let rank = Double(below) + Double(equal + 1) / 2
            let da = Double(i + 1) - center, db = rank - center
            sab += da * db
            saa += da * da
            sbb += db * db
        }
        guard sbb > 0 else { return .nan }
        let r = sab / (saa * sbb).squareRoot()
        return r > 1 ? 1 : (r < -1 ? -1 : r)
    }

    private static func informationRatio(_ ics: [Double]) -> Double {
        let n = ics.count
        guard n >= 2 else { return .nan }
        var mean = 0.0
        for v in ics { mean += v }
        mean /= Double(n)
        var ss = 0.0
        for v in ics { ss += (v - mean) * (v - mean) }
        let std = (ss / Double(n - 1)).squareRoot()
        return std > 0 ? mean / std : .nan
    }
}
