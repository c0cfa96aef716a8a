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
    /// - Complexity: O(n) amortised, allocates a 2 KB scratch block.
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
    /// - Complexity: O(n) amortised, allocates a 2 KB scratch block.
    package static func standardDeviation(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                          into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        univariate(x, window: w, into: out, out, out, output: .standardDeviation)
    }

    /// `(x - mean) / std` over the last `window` values, population std.
    ///
    /// Lookback `window - 1`; NaN handling as `variance`. NaN where the window's std is 0
    /// (a constant window), never ±infinity.
    /// - Complexity: O(n) amortised, allocates a 2 KB scratch block.
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
    /// Two phases per block of `momentBlock` outputs. Phase 1 is the sequential part: the running
    /// sums, the re-anchoring and the constant-window test; it parks the variance (and the
    /// z-score's deviation, the bands' centre) in the outputs or in an L1-resident scratch block.
    /// Phase 2 takes the square roots two at a time (`squareRoots`) and divides, with no
    /// loop-carried value. Fused into one loop, a bar's square root and divide ended up on the
    /// loop-carried path (the compiler merged a select with `k`): about 60 cycles a bar.
    @inline(__always)
    static func univariate(_ x: UnsafeBufferPointer<Double>, window w: Int,
                           into out: UnsafeMutableBufferPointer<Double>,
                           _ second: UnsafeMutableBufferPointer<Double>,
                           _ third: UnsafeMutableBufferPointer<Double>,
                           output: UnivariateOutput) {
        // One small allocation per call (a closure-scoped stack allocation was not specialised
        // on `output`).
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: momentBlock)
        defer { scratch.deallocate() }
        let n = x.count
        let inverse = 1.0 / Double(w)
        // A window of one value has variance 0 and never needs re-anchoring.
        let period = w > 1 ? reanchorPeriod(w) : n + 1
        let driftAfter = w > 1 ? w : n + 1
        var pos = 0
        while pos < n {
            let run = Runs.finite(x, from: pos)
            let first = run.lo + w - 1
            writeNaN(out, pos, Swift.min(first, run.hi))
            if case .bands = output {
                writeNaN(second, pos, Swift.min(first, run.hi))
                writeNaN(third, pos, Swift.min(first, run.hi))
            }
            pos = run.hi
            guard first < run.hi else { continue }

            // Sums of x - k over the window. `lastChange` is the latest bar t > run.lo with
            // x[t] != x[t-1] (run.lo if none): the window ending at i is constant exactly when
            // lastChange <= i - (w - 1).
            var k = x[run.lo]
            var s1 = 0.0, s2 = 0.0
            var lastChange = run.lo
            var previous = k
            var raw = 0.0                 // plain running sum: the middle band is the SMA's value
            for i in run.lo...first {
                let v = x[i]
                let d = v - k
                s1 += d
                s2 += d * d
                if v != previous { lastChange = i }
                previous = v
                if case .bands = output { raw += v }
            }
            var m = 0.0, variance = 0.0
            var nextAnchor = first + period      // scheduled re-anchor
            var driftCheckFrom = first + driftAfter
            var blockStart = first
            while blockStart < run.hi {
                let blockEnd = Swift.min(blockStart + momentBlock, run.hi)
                // Phase 1.
                // Index arithmetic wraps (`&-`): every index is within the run, and the overflow
                // checks were a tenth of the loop.
                for i in blockStart..<blockEnd {
                    if i != first {
                        // Re-anchor on schedule, or early (at most once per window) when the mean
                        // has moved more than 32 standard deviations from k and the subtraction
                        // starts to cancel.
                        if i >= nextAnchor || (i >= driftCheckFrom && m * m > 1024 * variance) {
                            k += m
                            s1 = 0
                            s2 = 0
                            for j in (i - w)..<i {
                                let e = x[j] - k
                                s1 += e
                                s2 += e * e
                            }
                            nextAnchor = i + period
                            driftCheckFrom = i + driftAfter
                        }
                        // Adding the difference of the entering and leaving terms keeps one
                        // addition per sum on the loop-carried path.
                        let v = x[i], leaving = x[i &- w]
                        let d = v - k, old = leaving - k
                        s1 += d - old
                        s2 += d * d - old * old
                        lastChange = v != previous ? i : lastChange
                        previous = v
                        if case .bands = output { raw += v - leaving }
                    }
                    m = s1 * inverse
                    variance = Swift.max(s2 * inverse - m * m, 0)
                    if lastChange <= i &- (w &- 1) { variance = 0 }
                    switch output {
                    case .variance, .standardDeviation:
                        out[i] = variance
                    case .zScore:
                        out[i] = (previous - k) - m
                        scratch[i &- blockStart] = variance
                    case .bands:
                        second[i] = raw * inverse
                        out[i] = variance
                    }
                }
                // Phase 2.
                var i = blockStart
                switch output {
                case .variance:
                    break
                case .standardDeviation:
                    while i + 1 < blockEnd {
                        store2(squareRoots(load2(out, i)), out, i)
                        i += 2
                    }
                    if i < blockEnd { out[i] = out[i].squareRoot() }
                case .zScore:
                    // A zero deviation gives NaN, never ±infinity.
                    let nan = SIMD2<Double>(repeating: .nan)
                    while i + 1 < blockEnd {
                        let sd = squareRoots(load2(scratch, i &- blockStart))
                        store2(nan.replacing(with: load2(out, i) / sd, where: sd .> 0), out, i)
                        i += 2
                    }
                    if i < blockEnd {
                        let sd = scratch[i &- blockStart].squareRoot()
                        out[i] = sd > 0 ? out[i] / sd : .nan
                    }
                case .bands(let deviations):
                    while i + 1 < blockEnd {
                        let spread = squareRoots(load2(out, i)) * deviations
                        let centre = load2(second, i)
                        store2(centre + spread, out, i)
                        store2(centre - spread, third, i)
                        i += 2
                    }
                    if i < blockEnd {
                        let spread = out[i].squareRoot() * deviations
                        out[i] = second[i] + spread
                        third[i] = second[i] - spread
                    }
                }
                blockStart = blockEnd
            }
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
