import SIMDKernelsC
// Rolling variance, standard deviation, z-score, covariance, correlation and beta.
//
// TA-Lib accumulates plain Σx and Σx² and subtracts; on prices near 1e5 that loses most digits of
// a small variance and drifts over long series. Here the sums are of deviations from a reference
// value `k` that is re-anchored to the window mean every so often (and whenever the mean wanders
// far from `k` relative to the spread), so the subtraction never cancels more than a few bits and
// the drift is reset. A run of `window` identical values is detected exactly, so a constant window
// gives a variance of exactly 0 (not 1e-17), which the z-score/correlation NaN rules rely on.

/// How often (in outputs) the sums are recomputed from scratch at the latest; the cost is O(window)
/// per re-anchor, so the period grows with the window to keep it O(1) amortised.
@inline(__always)
private func reanchorPeriod(_ w: Int) -> Int { Swift.max(1024, 4 * w) }

/// Outputs per block of `Rolling.univariate`'s two phases: the block's intermediates stay in L1.
private let momentBlock = 256

enum UnivariateOutput {
    case variance, standardDeviation, zScore
    /// Bollinger bands: `out` gets upper, `second` middle, `third` lower, at `deviations` std.
    case bands(deviations: Double)
}

private enum BivariateOutput {
    case covariance, correlation, beta
}

extension Rolling {
    /// Population variance (ddof = 0) of the last `window` values (TA-Lib `VAR`, nbdev 1).
    ///
    /// Lookback `window - 1`. A NaN or ±infinity gives NaN for every window holding it; the sums
    /// restart after it. A constant window gives exactly 0; rounding never gives a negative value.
    /// Computed on shifted data, so it stays exact where TA-Lib's Σx² formula loses digits.
    /// - Complexity: O(n) amortised, allocates an 8 KB scratch block.
    package static func variance(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                 into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        univariate(x, window: w, into: out, out, out, output: .variance)
    }

    /// Population standard deviation (ddof = 0) of the last `window` values (TA-Lib `STDDEV`,
    /// nbdev 1).
    ///
    /// Lookback `window - 1`; NaN handling as `variance`. A constant window gives 0. Unlike
    /// TA-Lib, a variance below 1e-8 is not flushed to 0 (TA-Lib's absolute threshold would zero
    /// the deviation of small-scale series such as returns).
    /// - Complexity: O(n) amortised, allocates an 8 KB scratch block.
    package static func standardDeviation(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                          into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        univariate(x, window: w, into: out, out, out, output: .standardDeviation)
    }

    /// `(x - mean) / std` over the last `window` values, population std.
    ///
    /// Lookback `window - 1`; NaN handling as `variance`. NaN where the window's std is 0
    /// (a constant window), never ±infinity.
    /// - Complexity: O(n) amortised, allocates an 8 KB scratch block.
    package static func zScore(_ x: UnsafeBufferPointer<Double>, window w: Int,
                               into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        univariate(x, window: w, into: out, out, out, output: .zScore)
    }

    /// Population covariance (ddof = 0) of `a` and `b` over the last `window` bars.
    ///
    /// Lookback `window - 1`. NaN for every window where either input has a NaN or ±infinity; the
    /// sums restart after it. Exactly 0 when either series is constant over the window.
    /// - Complexity: O(n) amortised, no allocation.
    package static func covariance(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                                   window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && a.count == b.count && out.count == a.count)
        bivariate(a, b, window: w, into: out, output: .covariance)
    }

    /// Pearson correlation of `a` and `b` over the last `window` bars (TA-Lib `CORREL`).
    ///
    /// Lookback `window - 1`; NaN handling as `covariance`. NaN where either series has zero
    /// variance over the window (TA-Lib writes 0 there). Clamped to [-1, 1] against rounding.
    /// - Complexity: O(n) amortised, no allocation.
    package static func correlation(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                                    window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && a.count == b.count && out.count == a.count)
        bivariate(a, b, window: w, into: out, output: .correlation)
    }

    /// Beta of `y` on `x` over the last `window` bars: cov(y, x) / var(x), population moments.
    ///
    /// Lookback `window - 1`; NaN handling as `covariance`. NaN where `x` has zero variance over
    /// the window.
    /// - Complexity: O(n) amortised, no allocation.
    package static func beta(_ y: UnsafeBufferPointer<Double>, on x: UnsafeBufferPointer<Double>,
                             window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && x.count == y.count && out.count == x.count)
        bivariate(x, y, window: w, into: out, output: .beta)
    }

    // MARK: - Shared sliding moments

    /// Sliding mean/variance over each finite run of `x`; `output` is a literal at every call site,
    /// so the switches fold away after inlining. `second`/`third` are written only for `.bands`.
    ///
    /// The first output of a run is computed on its own; the rest go in blocks of at most
    /// `momentBlock` bars, each in two phases, and a block never crosses a scheduled re-anchor.
    /// The re-anchor test of the block's first bar is made before the block. Phase A is the
    /// sequential part: the running sums, the latest change and the raw sum, parked per bar in an
    /// L1-resident scratch (bound by the sums' addition latency and its own instruction count).
    /// Phase B (`llma_moments`, four bars a step in the AVX2 build) has no loop-carried value:
    /// mean, variance, the constant-window test, the square roots and the outputs, and the early
    /// re-anchor test for the next bar. That test rarely fires; when it does at bar t, the block
    /// is cut after t, the state is taken from the scratch at t, and the next block starts by
    /// re-anchoring at t + 1, exactly where a bar-by-bar loop re-anchors. Every bar gets the same
    /// operations in the same order as in that loop (`moments_bar` in C), so the
    /// outputs are bit-identical to it.
    @inline(__always)
    static func univariate(_ x: UnsafeBufferPointer<Double>, window w: Int,
                           into out: UnsafeMutableBufferPointer<Double>,
                           _ second: UnsafeMutableBufferPointer<Double>,
                           _ third: UnsafeMutableBufferPointer<Double>,
                           output: UnivariateOutput) {
        // Scratch per block: the sums s1, s2 (interleaved), the latest change (as a Double, exact
        // below 2^53) and the raw sum. One small allocation per call (a closure-scoped stack
        // allocation was not specialised on `output`).
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: 5 * momentBlock)
        defer { scratch.deallocate() }
        let sums = UnsafeMutableBufferPointer(rebasing: scratch[0 ..< 2 * momentBlock])
        let changes = UnsafeMutableBufferPointer(rebasing: scratch[2 * momentBlock ..< 3 * momentBlock])
        let raws = UnsafeMutableBufferPointer(rebasing: scratch[3 * momentBlock ..< 4 * momentBlock])
        let rawErrors = UnsafeMutableBufferPointer(rebasing: scratch[4 * momentBlock ..< 5 * momentBlock])
        let n = x.count
        let inverse = 1.0 / Double(w)
        // A window of one value has variance 0 and never needs re-anchoring.
        let period = w > 1 ? reanchorPeriod(w) : n + 1
        let driftAfter = w > 1 ? w : n + 1

        /// Phase B over bars `start ..< start + count`, whose sums and changes are in the scratch
        /// from index 0 (the middle band already in `second`); returns the first bar to redo
        /// after an early re-anchor, or start + count.
        @inline(__always)
        func secondPhase(_ start: Int, _ count: Int, shift k: Double, driftCheckFrom: Int) -> Int {
            var block = llma_moments_block()
            block.sums = UnsafePointer(sums.baseAddress)
            block.changes = UnsafePointer(changes.baseAddress)
            block.x = x.baseAddress! + start
            block.out = out.baseAddress! + start
            block.count = count
            block.drift_check_from = Swift.max(0, driftCheckFrom &- start)
            block.inverse = inverse
            block.shift = k
            block.constant_threshold = Double(start &- (w &- 1))
            switch output {
            case .variance: block.kind = Int32(LLMA_MOMENTS_VARIANCE)
            case .standardDeviation: block.kind = Int32(LLMA_MOMENTS_DEVIATION)
            case .zScore: block.kind = Int32(LLMA_MOMENTS_ZSCORE)
            case .bands(let deviations):
                block.kind = Int32(LLMA_MOMENTS_BANDS)
                block.deviations = deviations
                block.middle = UnsafePointer(second.baseAddress! + start)
                block.lower = third.baseAddress! + start
            }
            return start &+ llma_moments(&block)
        }

        @inline(__always)
        func writeNaNs(_ lo: Int, _ hi: Int) {
            writeNaN(out, lo, hi)
            if case .bands = output {
                writeNaN(second, lo, hi)
                writeNaN(third, lo, hi)
            }
        }

        // A run of finite bars is found block by block: each block is checked for NaN/±infinity
        // just before phase A reads it, while it is in L1 (a scan of the whole run first was a
        // second pass over memory at n = 1M). The blocks are the same as with the run's end known
        // in advance, so the outputs are too.
        var pos = 0
        while pos < n {
            var lo = pos
            while lo < n && !x[lo].isFinite { lo += 1 }
            let first = lo + w - 1
            // The first window needs w finite values from lo; a shorter run gives only NaN.
            let warm = Runs.finiteEnd(x, from: lo, to: Swift.min(lo + w, n))
            guard warm == lo + w else {
                writeNaNs(pos, warm)
                pos = warm
                continue
            }
            writeNaNs(pos, first)

            // Sums of x - k over the window. `lastChange` is the latest bar t > lo with
            // x[t] != x[t-1] (lo if none): the window ending at i is constant exactly when
            // lastChange <= i - (w - 1).
            var k = x[lo]
            var s1 = 0.0, s2 = 0.0
            var lastChange = lo
            var previous = k
            var raw = CompensatedSum()    // the middle band's sum, compensated as the SMA's
            for i in lo...first {
                let v = x[i]
                let d = v - k
                s1 += d
                s2 += d * d
                if v != previous { lastChange = i }
                previous = v
                if case .bands = output { raw.add(v) }
            }
            var m = s1 * inverse
            var variance = Swift.max(s2 * inverse - m * m, 0)
            if lastChange <= first &- (w &- 1) { variance = 0 }
            // The run's first output through the same phase B as every later one.
            store2(SIMD2(s1, s2), sums, 0)
            changes[0] = Double(lastChange)
            if case .bands = output { second[first] = raw.value / Double(w) }
            _ = secondPhase(first, 1, shift: k, driftCheckFrom: first + driftAfter)

            var nextAnchor = first + period      // scheduled re-anchor
            var driftCheckFrom = first + driftAfter
            var runEnd = n                       // lowered to the first unusable bar once seen
            var blockStart = first + 1
            while blockStart < runEnd {
                // Re-anchor on schedule, or early (at most once per window) when the mean has
                // moved more than 32 standard deviations from k and the subtraction starts to
                // cancel.
                if blockStart >= nextAnchor || (blockStart >= driftCheckFrom && m * m > 1024 * variance) {
                    k += m
                    s1 = 0
                    s2 = 0
                    for j in (blockStart - w)..<blockStart {
                        let e = x[j] - k
                        s1 += e
                        s2 += e * e
                    }
                    nextAnchor = blockStart + period
                    driftCheckFrom = blockStart + driftAfter
                }
                let limit = Swift.min(blockStart + momentBlock, runEnd, nextAnchor)
                let blockEnd = Runs.finiteEnd(x, from: blockStart, to: limit)
                if blockEnd < limit { runEnd = blockEnd }
                guard blockEnd > blockStart else { break }

                // Phase A. Index arithmetic wraps (`&-`): every index is within the run, and the
                // overflow checks were a tenth of the loop.
                for i in blockStart..<blockEnd {
                    // Adding the difference of the entering and leaving terms keeps one addition
                    // per sum on the loop-carried path.
                    let v = x[i], leaving = x[i &- w]
                    let d = v - k, old = leaving - k
                    s1 += d - old
                    s2 += d * d - old * old
                    lastChange = v != previous ? i : lastChange
                    previous = v
                    let o = i &- blockStart
                    store2(SIMD2(s1, s2), sums, 2 &* o)
                    changes[o] = Double(lastChange)
                    if case .bands = output {
                        raw.slide(entering: v, leaving: leaving)
                        raws[o] = raw.total
                        rawErrors[o] = raw.error
                    }
                }
                // The middle band for the whole block at once, the sums' values divided correctly
                // rounded, as the SMA's (see `bollingerBands` for when the two are equal).
                if case .bands = output {
                    llma_compensated_mean_block(second.baseAddress! + blockStart, raws.baseAddress, rawErrors.baseAddress,
                                                blockEnd - blockStart, Double(w))
                }

                // Phase B, in SIMDKernelsC (four bars a step). `stop` is the first bar to redo
                // after an early re-anchor.
                let stop = secondPhase(blockStart, blockEnd &- blockStart, shift: k, driftCheckFrom: driftCheckFrom)
                let last = stop &- 1
                let o = last &- blockStart
                s1 = sums[2 &* o]
                s2 = sums[2 &* o &+ 1]
                lastChange = Int(changes[o])
                previous = x[last]
                if case .bands = output { raw = CompensatedSum(total: raws[o], error: rawErrors[o]) }
                m = s1 * inverse
                variance = Swift.max(s2 * inverse - m * m, 0)
                if lastChange <= last &- (w &- 1) { variance = 0 }
                blockStart = stop
            }
            pos = runEnd
        }
    }

    /// Sliding first and second moments of a pair; `x` is the regressor for `.beta`.
    @inline(__always)
    private static func bivariate(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>,
                                  window w: Int, into out: UnsafeMutableBufferPointer<Double>,
                                  output: BivariateOutput) {
        let n = x.count
        let inverse = 1.0 / Double(w)
        let period = reanchorPeriod(w)
        var pos = 0
        while pos < n {
            let run = Runs.finite(x, y, from: pos)
            let first = run.lo + w - 1
            writeNaN(out, pos, Swift.min(first, run.hi))
            pos = run.hi
            guard first < run.hi else { continue }

            var kx = x[run.lo], ky = y[run.lo]
            var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
            var sameX = 0, sameY = 0
            var previousX = kx, previousY = ky
            for i in run.lo...first {
                let vx = x[i], vy = y[i]
                let dx = vx - kx, dy = vy - ky
                sx += dx; sy += dy
                sxx += dx * dx; syy += dy * dy; sxy += dx * dy
                sameX = vx == previousX ? sameX + 1 : 1
                sameY = vy == previousY ? sameY + 1 : 1
                previousX = vx; previousY = vy
            }
            var sinceAnchor = 0
            var i = first
            while true {
                let mx = sx * inverse, my = sy * inverse
                var varX = sxx * inverse - mx * mx
                var varY = syy * inverse - my * my
                if sameX >= w || varX < 0 { varX = 0 }
                if sameY >= w || varY < 0 { varY = 0 }
                let constant = varX == 0 || varY == 0
                let cov = constant ? 0 : sxy * inverse - mx * my
                switch output {
                case .covariance:
                    out[i] = cov
                case .correlation:
                    if constant {
                        out[i] = .nan
                    } else {
                        let r = cov / (varX * varY).squareRoot()
                        out[i] = r > 1 ? 1 : (r < -1 ? -1 : r)
                    }
                case .beta:
                    out[i] = varX > 0 ? cov / varX : .nan
                }
                i += 1
                if i >= run.hi { break }
                sinceAnchor += 1
                if w > 1 && (sinceAnchor >= period
                             || (sinceAnchor >= w && (mx * mx > 1024 * varX || my * my > 1024 * varY))) {
                    kx += mx
                    ky += my
                    sx = 0; sy = 0; sxx = 0; syy = 0; sxy = 0
                    for j in (i - w)..<i {
                        let ex = x[j] - kx, ey = y[j] - ky
                        sx += ex; sy += ey
                        sxx += ex * ex; syy += ey * ey; sxy += ex * ey
                    }
                    sinceAnchor = 0
                }
                let vx = x[i], vy = y[i]
                let dx = vx - kx, dy = vy - ky
                let oldX = x[i - w] - kx, oldY = y[i - w] - ky
                sx += dx - oldX; sy += dy - oldY
                sxx += dx * dx - oldX * oldX
                syy += dy * dy - oldY * oldY
                sxy += dx * dy - oldX * oldY
                sameX = vx == previousX ? sameX + 1 : 1
                sameY = vy == previousY ? sameY + 1 : 1
                previousX = vx; previousY = vy
            }
        }
    }
}
