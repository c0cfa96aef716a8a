import SIMDKernelsC
/// Technical indicators (DESIGN §3.2 "Indicators"). Where TA-Lib has the function, the seeding,
/// lookback and zero rules are TA-Lib's (read from ta_func/*.c). ADX keeps TA-Lib's exact
/// operation order; the recursions of MACD, RSI and ATR are rearranged for speed (several bars per
/// step) and stay within a few ulps of the price level (MACD's line is a difference of nearly
/// equal EMAs, so there the bound is absolute, about 1e-15 of the price). Leading
/// NaNs are skipped as TA-Lib's Python wrapper does; an interior NaN or ±infinity in a recursive
/// indicator gives NaN at that bar and restarts it after the gap.
package enum Indicators {}

extension Indicators {
    /// Relative Strength Index with Wilder smoothing (TA-Lib `RSI`).
    ///
    /// Lookback `window`: the first value is at index `window` (0-based), from the average gain and
    /// loss of the first `window` changes (TA-Lib's sums), then `avg = avg·(n-1)/n + change/n`,
    /// equal to TA-Lib's `(avg·(n-1) + change)/n` up to a few ulps. When average gain + average loss
    /// is within TA-Lib's 1e-8 of zero (a flat market) the value is 0, as in TA-Lib.
    /// NaN/±infinity: NaN at that bar, and the recursion restarts after it (another `window` bars
    /// of warm-up).
    /// - Complexity: O(n); allocates a 2 KB scratch block.
    package static func rsi(_ x: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        let n = x.count
        let reciprocal = 1.0 / Double(w), halfReciprocal = 0.5 * reciprocal
        let a = Double(w - 1) * reciprocal, a2 = a * a
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: rsiBlock)
        defer { scratch.deallocate() }
        var pos = 0
        while pos < n {
            var lo = pos
            while lo < n && !x[lo].isFinite { lo += 1 }
            // The seed needs w + 1 finite values from lo; a shorter run gives only NaN.
            let first = lo + w
            let warm = Runs.finiteEnd(x, from: lo, to: Swift.min(first + 1, n))
            guard warm == first + 1 else {
                writeNaN(out, pos, warm)
                pos = warm
                continue
            }
            writeNaN(out, pos, first)
            var gain = 0.0, loss = 0.0
            for i in (lo + 1)...first {
                let change = x[i] - x[i - 1]
                // Selects, not branches: the sign of a price change is a coin flip.
                let falling = change < 0
                loss -= falling ? change : 0
                gain += falling ? 0 : change
            }
            loss *= reciprocal
            gain *= reciprocal
            out[first] = rsiValue(gain, loss)
            // Blocks of `rsiBlock` bars in two phases: phase 1 runs the recursions and parks the
            // averages (gain in `out`, loss in `scratch`); phase 2 turns them into RSI two bars at
            // a time, so the divide is a packed `divpd` off the loop-carried path. Each block is
            // checked for NaN/±infinity just before phase 1 reads it, while it is in L1 (a scan
            // of the whole run first was a second pass over memory at n = 1M). Blocks have even
            // length (except the run's last), so the pairing of bars matches one long loop.
            var i = first + 1
            var runEnd = n                      // lowered to the first unusable bar once seen
            while i < runEnd {
                let blockStart = i
                let limit = Swift.min(blockStart + rsiBlock, n)
                let blockEnd = Runs.finiteEnd(x, from: blockStart, to: limit)
                if blockEnd < limit { runEnd = blockEnd }
                // Phase 1, two bars per step (see `Rolling.ema`): one multiply-add per two bars on
                // each loop-carried path.
                while i + 1 < blockEnd {
                    let c0 = x[i] - x[i &- 1], c1 = x[i &+ 1] - x[i]
                    // (c + |c|)·(r/2) is exactly max(c, 0)·r (doubling and halving are exact) and
                    // needs no branch; likewise (|c| - c)·(r/2) for the loss.
                    let up0 = (c0 + c0.magnitude) * halfReciprocal, down0 = (c0.magnitude - c0) * halfReciprocal
                    let up1 = (c1 + c1.magnitude) * halfReciprocal, down1 = (c1.magnitude - c1) * halfReciprocal
                    out[i] = gain * a + up0
                    scratch[i &- blockStart] = loss * a + down0
                    gain = gain * a2 + (up0 * a + up1)
                    loss = loss * a2 + (down0 * a + down1)
                    out[i &+ 1] = gain
                    scratch[i &+ 1 &- blockStart] = loss
                    i += 2
                }
                if i < blockEnd {            // the run's last bar
                    let c = x[i] - x[i &- 1]
                    out[i] = gain * a + (c + c.magnitude) * halfReciprocal
                    scratch[i &- blockStart] = loss * a + (c.magnitude - c) * halfReciprocal
                    i += 1
                }
                // Phase 2.
                var j = blockStart
                while j + 1 < blockEnd {
                    store2(rsiValues(load2(out, j), load2(scratch, j &- blockStart)), out, j)
                    j += 2
                }
                if j < blockEnd { out[j] = rsiValue(out[j], scratch[j &- blockStart]) }
            }
            pos = runEnd
        }
    }

    /// Bars per block of `rsi`'s two phases (even; the scratch stays in L1).
    private static let rsiBlock = 256

    /// `rsiValue` of two lanes.
    @inline(__always)
    private static func rsiValues(_ gain: SIMD2<Double>, _ loss: SIMD2<Double>) -> SIMD2<Double> {
        let total = gain + loss
        let flat = (total .> -0.00000001) .& (total .< 0.00000001)    // taIsZero
        return (100 * (gain / total)).replacing(with: 0, where: flat)
    }

    @inline(__always)
    private static func rsiValue(_ gain: Double, _ loss: Double) -> Double {
        let total = gain + loss
        return taIsZero(total) ? 0 : 100 * (gain / total)
    }

    /// Moving Average Convergence/Divergence (TA-Lib `MACD`): line = EMA(fast) − EMA(slow),
    /// signal = EMA(signal) of the line, histogram = line − signal.
    ///
    /// Lookback `(slow - 1) + (signal - 1)` (33 for 12/26/9) for all three outputs, as TA-Lib
    /// (the line is NaN until the signal exists). TA-Lib seeding: both price EMAs are seeded with
    /// SMAs whose windows end on the same bar (`slow - 1`), the signal EMA with the SMA of the first
    /// `signal` line values. If `fast > slow` the two are swapped, as TA-Lib does.
    /// NaN/±infinity: NaN at that bar, then everything restarts after it.
    /// - Complexity: O(n), no allocation.
    package static func macd(_ x: UnsafeBufferPointer<Double>, fast: Int, slow: Int, signal: Int,
                             macd line: UnsafeMutableBufferPointer<Double>,
                             signalLine: UnsafeMutableBufferPointer<Double>,
                             histogram: UnsafeMutableBufferPointer<Double>) {
        precondition(fast >= 1 && slow >= 1 && signal >= 1)
        precondition(line.count == x.count && signalLine.count == x.count && histogram.count == x.count)
        let fastPeriod = Swift.min(fast, slow), slowPeriod = Swift.max(fast, slow)
        let fastK = 2.0 / Double(fastPeriod + 1)
        let slowK = 2.0 / Double(slowPeriod + 1)
        let signalK = 2.0 / Double(signal + 1)
        let n = x.count
        var pos = 0
        while pos < n {
            let run = Runs.finite(x, from: pos)
            let lineStart = run.lo + slowPeriod - 1          // first bar where both EMAs exist
            let first = lineStart + signal - 1               // first output
            let warmEnd = Swift.min(first, run.hi)
            writeNaN(line, pos, warmEnd)
            writeNaN(signalLine, pos, warmEnd)
            writeNaN(histogram, pos, warmEnd)
            pos = run.hi
            guard first < run.hi else { continue }

            var slowSum = 0.0, fastSum = 0.0
            var i = run.lo
            while i < run.lo + slowPeriod - fastPeriod { slowSum += x[i]; i += 1 }
            while i <= lineStart { fastSum += x[i]; slowSum += x[i]; i += 1 }
            var prevSlow = slowSum / Double(slowPeriod)
            var prevFast = fastSum / Double(fastPeriod)
            var value = prevFast - prevSlow
            var prevSignal = 0.0
            prevSignal += value
            while i <= first {
                let v = x[i]
                prevFast = (v - prevFast) * fastK + prevFast
                prevSlow = (v - prevSlow) * slowK + prevSlow
                value = prevFast - prevSlow
                prevSignal += value
                i += 1
            }
            prevSignal = prevSignal / Double(signal)
            line[first] = value
            signalLine[first] = prevSignal
            histogram[first] = value - prevSignal
            // Four bars per step on all three EMAs (see `recurse4`), as `(1-k)·y + k·x`: TA-Lib's
            // `y + (x - y)·k` has three dependent operations per bar on each path. The difference
            // is a few ulps of the price EMAs (about 1e-15 of the price level on random series),
            // far inside the reference tests' absolute floor for MACD (about 1e-9 on the fixture).
            // The two price EMAs share the input, so they run in the two lanes of one vector,
            // lane 0 fast and lane 1 slow, the state being the fourth output (no extract on the
            // loop-carried path); written as two `recurse4` calls, the compiler packed them into
            // lanes anyway, with a shuffle for every value. The signal's inputs are the line
            // values of the same step.
            let decay = SIMD2(1 - fastK, 1 - slowK), gains = SIMD2(fastK, slowK)
            let decay2 = decay * decay
            let decay3 = decay2 * decay, decay4 = decay2 * decay2
            let signalPowers = DecayPowers(1 - signalK)
            var emas = SIMD2(prevFast, prevSlow)
            var signalState = SIMD2(repeating: prevSignal)
            while i &+ 3 < run.hi {
                let b0 = gains * x[i], b1 = gains * x[i &+ 1]
                let b2 = gains * x[i &+ 2], b3 = gains * x[i &+ 3]
                let c1 = decay * b0 + b1
                let c2 = decay * c1 + b2
                let c3 = decay * c2 + b3
                let y0 = decay * emas + b0, y1 = decay2 * emas + c1
                let y2 = decay3 * emas + c2, y3 = decay4 * emas + c3
                emas = y3
                let v01 = SIMD2(y0[0], y1[0]) - SIMD2(y0[1], y1[1])
                let v23 = SIMD2(y2[0], y3[0]) - SIMD2(y2[1], y3[1])
                let g = recurse4(signalState, v01 * signalK, v23 * signalK, signalPowers)
                signalState = g.next
                store2(v01, line, i)
                store2(v23, line, i &+ 2)
                store2(g.y01, signalLine, i)
                store2(g.y23, signalLine, i &+ 2)
                store2(v01 - g.y01, histogram, i)
                store2(v23 - g.y23, histogram, i &+ 2)
                i &+= 4
            }
            prevFast = emas[0]
            prevSlow = emas[1]
            prevSignal = signalState[0]
            while i < run.hi {
                let v = x[i]
                prevFast = (v - prevFast) * fastK + prevFast
                prevSlow = (v - prevSlow) * slowK + prevSlow
                value = prevFast - prevSlow
                prevSignal = (value - prevSignal) * signalK + prevSignal
                line[i] = value
                signalLine[i] = prevSignal
                histogram[i] = value - prevSignal
                i += 1
            }
        }
    }

    /// True range: the larger of `high - low`, `|previousClose - high|`, `|previousClose - low|`.
    /// Written as `max(high, previousClose) - min(low, previousClose)`, the same number for any bar
    /// with `high >= low` (each case subtracts the same two operands as TA-Lib) but two branch-free
    /// min/max instead of compare-and-replace chains that the compiler turns into branches.
    @inline(__always)
    private static func trueRange(_ high: Double, _ low: Double, _ previousClose: Double) -> Double {
        let top = high > previousClose ? high : previousClose
        let bottom = low < previousClose ? low : previousClose
        return top - bottom
    }

    /// Average True Range with Wilder smoothing (TA-Lib `ATR`).
    ///
    /// Lookback `window`: the first true range is at index 1, the first ATR (the SMA of `window`
    /// true ranges) at index `window`, then `atr = atr·(n-1)/n + tr/n` four bars at a time
    /// (`llma_wilder_true_range`), equal to TA-Lib's `(atr·(n-1) + tr)/n` up to a few ulps. NaN/±infinity in
    /// any input: NaN at that bar and a restart after it.
    /// - Complexity: O(n), no allocation.
    package static func atr(high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>,
                            close: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && high.count == low.count && low.count == close.count && out.count == close.count)
        let n = close.count
        let period = Double(w), reciprocal = 1.0 / Double(w)
        let a = Double(w - 1) * reciprocal
        var pos = 0
        while pos < n {
            var lo = pos
            while lo < n && !(high[lo].isFinite && low[lo].isFinite && close[lo].isFinite) { lo += 1 }
            let first = lo + w
            let seeded = Runs.finiteEnd(high, low, close, from: lo, to: Swift.min(first + 1, n))
            guard seeded > first else {             // the run ends before its first ATR
                writeNaN(out, pos, seeded)
                pos = seeded                        // n, or the bar that ends the run
                continue
            }
            writeNaN(out, pos, first)
            var total = 0.0
            for i in (lo + 1)...first { total += trueRange(high[i], low[i], close[i - 1]) }
            var previous = total / period
            out[first] = previous
            // The run is not scanned ahead: each block of `atrBlock` bars is computed on the
            // assumption that it is finite while the sum of everything it reads is accumulated; a
            // NaN or ±infinity makes that sum non-finite, and only then is the block scanned and
            // recomputed up to the bad bar (a finite overflow also lands there and recomputes the
            // same values). A separate scan read the three inputs from memory twice. Groups of
            // four bars start at `first + 1` on both paths, so the values do not depend on where
            // a block starts; the run's last few bars go one at a time.
            var i = first + 1
            var state = previous
            while i < n {
                let blockEnd = Swift.min(i + atrBlock, n)
                let start = i, saved = state
                var groups = (blockEnd &- i) / 4
                let sum = llma_wilder_true_range(out.baseAddress! + i, high.baseAddress! + i, low.baseAddress! + i,
                                                 close.baseAddress! + i, groups, a, reciprocal, &state)
                i &+= 4 &* groups
                var end = blockEnd
                if !sum.isFinite || !close[i &- 1].isFinite {
                    end = Runs.finiteEnd(high, low, close, from: start, to: blockEnd)
                    state = saved
                    groups = (end &- start) / 4
                    _ = llma_wilder_true_range(out.baseAddress! + start, high.baseAddress! + start, low.baseAddress! + start,
                                               close.baseAddress! + start, groups, a, reciprocal, &state)
                    i = start &+ 4 &* groups
                } else if i < blockEnd {
                    end = Runs.finiteEnd(high, low, close, from: i, to: blockEnd)
                }
                previous = state
                while i < end {
                    previous = previous * a + trueRange(high[i], low[i], close[i &- 1]) * reciprocal
                    out[i] = previous
                    i += 1
                }
                if end < blockEnd { break }
            }
            pos = i
        }
    }

    /// Bars per block of `atr` (a multiple of 4): the inputs are still in L1 when a block with a
    /// NaN is recomputed.
    private static let atrBlock = 512

    /// Bollinger Bands (TA-Lib `BBANDS`, matype SMA, nbdevup = nbdevdn = `k`): middle = SMA,
    /// upper/lower = middle ± k·std with the population std.
    ///
    /// Lookback `window - 1`. One pass of the shifted-data moments behind
    /// `Rolling.standardDeviation`: exact on prices near 1e5 where TA-Lib's Σx² loses digits, and
    /// a variance under 1e-8 is not flushed to 0; the middle band is a compensated moving sum
    /// divided correctly rounded, as `Rolling.mean`: the same value wherever each bar's entering
    /// minus leaving value is exact (neighbouring prices are, by Sterbenz), else within an ulp.
    /// A constant window gives three equal bands. NaN/±infinity: NaN for every window holding it.
    /// - Complexity: O(n) amortised, allocates a 2 KB scratch block.
    package static func bollingerBands(_ x: UnsafeBufferPointer<Double>, window w: Int, deviations k: Double,
                                       upper: UnsafeMutableBufferPointer<Double>,
                                       middle: UnsafeMutableBufferPointer<Double>,
                                       lower: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && upper.count == x.count && middle.count == x.count && lower.count == x.count)
        Rolling.univariate(x, window: w, into: upper, middle, lower, output: .bands(deviations: k))
    }

    /// Slow stochastic oscillator (TA-Lib `STOCH`, both smoothings SMA).
    ///
    /// fast %K = 100·(close − lowest low)/(highest high − lowest low) over `fastK` bars, 0 when the
    /// range is 0 (TA-Lib); `k` = SMA(`slowK`) of fast %K; `d` = SMA(`slowD`) of `k`.
    /// Lookback `(fastK - 1) + (slowK - 1) + (slowD - 1)` for both outputs, as TA-Lib.
    /// NaN/±infinity in any input: NaN at that bar and a restart after it.
    /// - Complexity: O(n) for any `fastK`; allocates O(fastK) scratch.
    package static func stochastic(high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>,
                                   close: UnsafeBufferPointer<Double>, fastK: Int, slowK: Int, slowD: Int,
                                   k: UnsafeMutableBufferPointer<Double>, d: UnsafeMutableBufferPointer<Double>) {
        precondition(fastK >= 1 && slowK >= 1 && slowD >= 1)
        precondition(high.count == low.count && low.count == close.count
                     && k.count == close.count && d.count == close.count)
        let n = close.count
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: fastK)
        defer { scratch.deallocate() }
        let lookback = (fastK - 1) + (slowK - 1) + (slowD - 1)
        var pos = 0
        while pos < n {
            let run = Runs.finite(high, low, close, from: pos)
            let first = run.lo + lookback
            writeNaN(k, pos, Swift.min(first, run.hi))
            writeNaN(d, pos, Swift.min(first, run.hi))
            pos = run.hi
            guard first < run.hi else { continue }
            // The two outputs are the only scratch: highest high → k, lowest low → d, fast %K → k,
            // slow %K → d, %D → k, then one swap puts each line in its place.
            let fastStart = run.lo + fastK - 1
            rollingExtreme(high, run.lo, run.hi, fastK, scratch: scratch, into: k, maximum: true)
            rollingExtreme(low, run.lo, run.hi, fastK, scratch: scratch, into: d, maximum: false)
            for i in fastStart..<run.hi {
                let lowestLow = d[i]
                // TA-Lib divides by (range / 100) rather than multiplying by 100; kept for parity.
                let range = (k[i] - lowestLow) / 100.0
                k[i] = range != 0 ? (close[i] - lowestLow) / range : 0
            }
            movingSum(UnsafeBufferPointer(k), fastStart, run.hi, slowK, into: d, average: true)
            movingSum(UnsafeBufferPointer(d), fastStart + slowK - 1, run.hi, slowD, into: k, average: true)
            for i in first..<run.hi {
                let slowD = k[i]
                k[i] = d[i]
                d[i] = slowD
            }
            writeNaN(k, run.lo, first)
            writeNaN(d, run.lo, first)
        }
    }

    /// Average Directional Movement Index (TA-Lib `ADX`).
    ///
    /// Lookback `2·window - 1`. Directional movement and true range are Wilder-summed over
    /// `window - 1` bars, the first ADX is the mean of the next `window` DX values, Wilder smoothing
    /// after. As in TA-Lib, a DX is skipped (the ADX carries over, or adds 0 during seeding) when the
    /// true-range sum or +DI + −DI is within 1e-8 of zero. NaN/±infinity in any input: NaN at that
    /// bar and a restart after it.
    /// - Complexity: O(n), no allocation.
    package static func adx(high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>,
                            close: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && high.count == low.count && low.count == close.count && out.count == close.count)
        let n = close.count
        let period = Double(w), periodLess1 = Double(w - 1)
        var pos = 0
        while pos < n {
            let run = Runs.finite(high, low, close, from: pos)
            let first = run.lo + 2 * w - 1
            writeNaN(out, pos, Swift.min(first, run.hi))
            pos = run.hi
            guard first < run.hi else { continue }

            var today = run.lo
            var prevHigh = high[today], prevLow = low[today], prevClose = close[today]
            var plusDM = 0.0, minusDM = 0.0, trSum = 0.0
            for _ in 0..<(w - 1) {
                today += 1
                let h = high[today], l = low[today]
                let diffP = h - prevHigh, diffM = prevLow - l
                prevHigh = h
                prevLow = l
                if diffM > 0 && diffP < diffM {
                    minusDM += diffM
                } else if diffP > 0 && diffP > diffM {
                    plusDM += diffP
                }
                trSum += trueRange(prevHigh, prevLow, prevClose)
                prevClose = close[today]
            }
            var sumDX = 0.0
            var adx = 0.0
            var writing = false
            while today < run.hi - 1 {
                today += 1
                let h = high[today], l = low[today]
                let diffP = h - prevHigh, diffM = prevLow - l
                prevHigh = h
                prevLow = l
                minusDM -= minusDM / period
                plusDM -= plusDM / period
                if diffM > 0 && diffP < diffM {
                    minusDM += diffM
                } else if diffP > 0 && diffP > diffM {
                    plusDM += diffP
                }
                trSum = trSum - trSum / period + trueRange(prevHigh, prevLow, prevClose)
                prevClose = close[today]
                var dx = 0.0, hasDX = false
                if !taIsZero(trSum) {
                    let minusDI = 100.0 * (minusDM / trSum)
                    let plusDI = 100.0 * (plusDM / trSum)
                    let sumDI = minusDI + plusDI
                    if !taIsZero(sumDI) {
                        dx = 100.0 * ((minusDI - plusDI).magnitude / sumDI)
                        hasDX = true
                    }
                }
                if writing {
                    if hasDX { adx = (adx * periodLess1 + dx) / period }
                    out[today] = adx
                } else {
                    sumDX += dx
                    if today == first {
                        adx = sumDX / period
                        out[today] = adx
                        writing = true
                    }
                }
            }
        }
    }

    /// On-Balance Volume (TA-Lib `OBV`): starts at the first volume, then adds the volume on an
    /// up close and subtracts it on a down close.
    ///
    /// Lookback 0. NaN/±infinity in either input: NaN at that bar, and the running total restarts
    /// from the next usable bar's volume.
    /// - Complexity: O(n), no allocation.
    package static func obv(close: UnsafeBufferPointer<Double>, volume: UnsafeBufferPointer<Double>,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(close.count == volume.count && out.count == close.count)
        let n = close.count
        var pos = 0
        while pos < n {
            let run = Runs.finite(close, volume, from: pos)
            writeNaN(out, pos, run.lo)
            pos = run.hi
            guard run.lo < run.hi else { continue }
            var total = volume[run.lo]
            var previous = close[run.lo]
            for i in run.lo..<run.hi {
                let c = close[i]
                if c > previous { total += volume[i] } else if c < previous { total -= volume[i] }
                out[i] = total
                previous = c
            }
        }
    }

    /// Rolling volume-weighted average price: Σ(tp·volume) / Σ volume over the last `window` bars,
    /// tp = (high + low + close) / 3.
    ///
    /// Lookback `window - 1`. NaN where the window's volume is all zero (counted exactly, so drift
    /// in the running sums cannot fake a tiny denominator). NaN/±infinity in any input: NaN for
    /// every window holding it; the sums restart after it and are re-summed periodically.
    /// - Complexity: O(n) amortised, no allocation.
    package static func vwap(high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>,
                             close: UnsafeBufferPointer<Double>, volume: UnsafeBufferPointer<Double>,
                             window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && high.count == low.count && low.count == close.count
                     && close.count == volume.count && out.count == close.count)
        let n = close.count
        let resumEvery = Swift.max(1024, 4 * w)
        var pos = 0
        while pos < n {
            let run = Runs.finite(high, low, close, volume, from: pos)
            let first = run.lo + w - 1
            writeNaN(out, pos, Swift.min(first, run.hi))
            pos = run.hi
            guard first < run.hi else { continue }
            var priceVolume = 0.0, volumeSum = 0.0
            var traded = 0                               // bars with nonzero volume in the window
            var sinceResum = 0
            for i in run.lo..<run.hi {
                let v = volume[i]
                priceVolume += (high[i] + low[i] + close[i]) / 3 * v
                volumeSum += v
                if v != 0 { traded += 1 }
                guard i >= first else { continue }
                out[i] = traded > 0 ? priceVolume / volumeSum : .nan
                let j = i - w + 1
                let old = volume[j]
                priceVolume -= (high[j] + low[j] + close[j]) / 3 * old
                volumeSum -= old
                if old != 0 { traded -= 1 }
                sinceResum += 1
                if sinceResum >= resumEvery && w > 1 {
                    priceVolume = 0
                    volumeSum = 0
                    for t in (j + 1)...i {
                        priceVolume += (high[t] + low[t] + close[t]) / 3 * volume[t]
                        volumeSum += volume[t]
                    }
                    sinceResum = 0
                }
            }
        }
    }

    /// Rate of change in percent (TA-Lib `ROC`): `(x / x[t-n] - 1) · 100`.
    ///
    /// Lookback `window`. 0 where `x[t-n] == 0` (TA-Lib) unless `x[t]` is NaN; NaN where either
    /// value is NaN.
    /// - Complexity: O(n), no allocation.
    package static func roc(_ x: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 0 && out.count == x.count)
        let n = x.count
        writeNaN(out, 0, Swift.min(w, n))
        guard w < n else { return }
        for i in w..<n {
            let previous = x[i - w], current = x[i]
            out[i] = previous != 0 ? (current / previous - 1.0) * 100.0 : (current.isNaN ? .nan : 0)
        }
    }

    /// Percent change as a fraction (pandas `pct_change(periods, fill_method=None)`):
    /// `x / x[t-periods] - 1`.
    ///
    /// Lookback `periods`. IEEE arithmetic, as pandas: ±infinity where `x[t-periods] == 0` and
    /// NaN for 0/0 or a NaN on either side.
    /// - Complexity: O(n), no allocation.
    package static func pctChange(_ x: UnsafeBufferPointer<Double>, periods p: Int,
                                  into out: UnsafeMutableBufferPointer<Double>) {
        precondition(p >= 0 && out.count == x.count)
        let n = x.count
        writeNaN(out, 0, Swift.min(p, n))
        guard p < n else { return }
        // Bound by division throughput: the AVX2 build divides four lanes where SSE2 divides two.
        llma_lagged_ratio_minus_one(out.baseAddress, x.baseAddress, n, p)
    }

    /// Log return `log(x / x[t-periods])`.
    ///
    /// Lookback `periods`. IEEE/libm: NaN for a negative ratio or a NaN input, −infinity when
    /// `x[t]` is 0, +infinity when `x[t-periods]` is 0.
    /// - Complexity: O(n), no allocation.
    package static func logReturn(_ x: UnsafeBufferPointer<Double>, periods p: Int,
                                  into out: UnsafeMutableBufferPointer<Double>) {
        precondition(p >= 0 && out.count == x.count)
        let n = x.count
        writeNaN(out, 0, Swift.min(p, n))
        guard p < n else { return }
        for i in p..<n { out[i] = libmLog(x[i] / x[i - p]) }
    }
}
