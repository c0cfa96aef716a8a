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
    /// - Complexity: O(n) amortised, no allocation.
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
    /// - Complexity: O(n) amortised, no allocation.
    package static func standardDeviation(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                          into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        univariate(x, window: w, into: out, out, out, output: .standardDeviation)
    }

    /// `(x - mean) / std` over the last `window` values, population std.
    ///
    /// Lookback `window - 1`; NaN handling as `variance`. NaN where the window's std is 0
    /// (a constant window), never ±infinity.
    /// - Complexity: O(n) amortised, no allocation.
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
    /// so the switch in the loop folds away after inlining. `second`/`third` are written only for
    /// `.bands`.
    @inline(__always)
    static func univariate(_ x: UnsafeBufferPointer<Double>, window w: Int,
                           into out: UnsafeMutableBufferPointer<Double>,
                           _ second: UnsafeMutableBufferPointer<Double>,
                           _ third: UnsafeMutableBufferPointer<Double>,
                           output: UnivariateOutput) {
        let n = x.count
        let inverse = 1.0 / Double(w)
        let period = reanchorPeriod(w)
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

            var k = x[run.lo]
            var s1 = 0.0, s2 = 0.0
            var same = 0                  // length of the trailing run of identical values
            var previous = k
            var raw = 0.0                 // plain running sum: the middle band is the SMA's value
            for i in run.lo...first {
                let v = x[i]
                let d = v - k
                s1 += d
                s2 += d * d
                same = v == previous ? same + 1 : 1
                previous = v
                if case .bands = output { raw += v }
            }
            var sinceAnchor = 0
            var i = first
            while true {
                let m = s1 * inverse
                var variance = s2 * inverse - m * m
                if same >= w || variance < 0 { variance = 0 }
                switch output {
                case .variance:
                    out[i] = variance
                case .standardDeviation:
                    out[i] = variance.squareRoot()
                case .zScore:
                    let sd = variance.squareRoot()
                    out[i] = sd > 0 ? ((previous - k) - m) / sd : .nan
                case .bands(let deviations):
                    let spread = variance.squareRoot() * deviations
                    let centre = raw * inverse
                    out[i] = centre + spread
                    second[i] = centre
                    third[i] = centre - spread
                }
                i += 1
                if i >= run.hi { break }
                sinceAnchor += 1
                // Re-anchor on schedule, or early (at most once per window) when the mean has moved
                // more than 32 standard deviations from k and the subtraction starts to cancel.
                if w > 1 && (sinceAnchor >= period || (sinceAnchor >= w && m * m > 1024 * variance)) {
                    k += m
                    s1 = 0
                    s2 = 0
                    for j in (i - w)..<i {
                        let e = x[j] - k
                        s1 += e
                        s2 += e * e
                    }
                    sinceAnchor = 0
                }
                // Adding the difference of the entering and leaving terms keeps one addition per
                // sum on the loop-carried path.
                let v = x[i]
                let d = v - k, old = x[i - w] - k
                s1 += d - old
                s2 += d * d - old * old
                same = v == previous ? same + 1 : 1
                previous = v
                if case .bands = output { raw += v - x[i - w] }
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
