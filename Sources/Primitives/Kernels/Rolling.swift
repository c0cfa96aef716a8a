import SIMDKernelsC

/// Rolling-window and moving-average kernels (DESIGN §3.2 "Moving and rolling").
///
/// Every kernel reads `UnsafeBufferPointer<Double>` inputs and writes an output of the same
/// length that the caller allocated. Arguments were validated by the binding; the preconditions
/// only catch programmer errors.
package enum Rolling {}

extension Rolling {
    /// Simple moving average over the last `window` values (TA-Lib `SMA`).
    ///
    /// Lookback `window - 1`. A NaN or ±infinity gives NaN for every window that holds it, and the
    /// running sum restarts after it (as if the series began there), so one bad bar never poisons
    /// later windows. The sum is compensated and the average divides by w (see `movingSum`):
    /// averages equal in exact arithmetic are equal here, as in pandas; within a few ulps of TA-Lib.
    /// - Complexity: O(n), no allocation.
    package static func mean(_ x: UnsafeBufferPointer<Double>, window w: Int,
                             into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        runningSum(x, window: w, into: out, divide: true)
    }

    /// Sum of the last `window` values (TA-Lib `SUM`).
    ///
    /// Lookback `window - 1`; NaN/±infinity handling as `mean`.
    /// - Complexity: O(n), no allocation.
    package static func sum(_ x: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        runningSum(x, window: w, into: out, divide: false)
    }

    /// Bars per block of `runningSum`. Each block is checked for NaN/±infinity just before it is
    /// summed, while it sits in L1: a scan of the whole series first was a second pass over memory
    /// at n = 1M.
    private static let sumBlock = 1024

    /// Moving sum (or average) over each finite run, as if the series began at the run's start.
    ///
    /// A sliding compensated sum is bound by the latency of its total's addition (one dependent
    /// add a bar). Each block of `sumBlock` bars is therefore cut in two halves summed in one loop:
    /// the first continues the running sum, the second starts afresh from the w values before its
    /// first bar, as a run's first window does. Where each bar's entering minus leaving value is
    /// exact (neighbouring prices: Sterbenz) both give the window's exact sum rounded once (the
    /// compensation carries every other rounding error), so where a window's average comes from
    /// does not change it; elsewhere the sliding sum drifts by ulps and the restart resets that. Windows too long for a
    /// fresh start to pay (over a quarter of the block) keep one sum.
    @inline(__always)
    private static func runningSum(_ x: UnsafeBufferPointer<Double>, window w: Int,
                                   into out: UnsafeMutableBufferPointer<Double>, divide: Bool) {
        let n = x.count
        let divisor = divide ? Double(w) : 1.0
        var pos = 0
        while pos < n {
            var lo = pos
            while lo < n && !x[lo].isFinite { lo += 1 }
            // The first window needs w finite values from lo; a shorter run gives only NaN.
            let warm = Runs.finiteEnd(x, from: lo, to: Swift.min(lo + w, n))
            guard warm == lo + w else {
                writeNaN(out, pos, warm)
                pos = warm
                continue
            }
            writeNaN(out, pos, lo + w - 1)
            var sum = CompensatedSum()
            for i in lo..<(lo + w) { sum.add(x[i]) }
            out[lo + w - 1] = sum.value
            var i = lo + w
            while true {
                let limit = Swift.min(i + sumBlock, n)
                // Index arithmetic wraps (`&-`): i - w >= lo inside a run. The block is summed on
                // the assumption that it is finite: a NaN or ±infinity leaves a total non-finite
                // for good, and only then is the block scanned and summed again up to the bad bar
                // (an overflow of finite values lands there too and recomputes the same values).
                // Scanning every block first cost a fifth of the time.
                let blockStart = i, saved = sum
                var end = limit
                let half = (limit &- i) / 2
                var finite: Bool
                if half >= 32 && w <= half / 2 {
                    let middle = i &+ half              // the second half's first bar
                    var second = CompensatedSum()
                    for j in (middle &- w &+ 1)...middle { second.add(x[j]) }
                    out[middle] = second.value
                    var j = middle &+ 1
                    while j < limit {
                        sum.slide(entering: x[i], leaving: x[i &- w])
                        second.slide(entering: x[j], leaving: x[j &- w])
                        out[i] = sum.value
                        out[j] = second.value
                        i &+= 1
                        j &+= 1
                    }
                    while i < middle {
                        sum.slide(entering: x[i], leaving: x[i &- w])
                        out[i] = sum.value
                        i &+= 1
                    }
                    finite = sum.total.isFinite && second.total.isFinite
                    sum = second
                } else {
                    while i < limit {
                        sum.slide(entering: x[i], leaving: x[i &- w])
                        out[i] = sum.value
                        i &+= 1
                    }
                    finite = sum.total.isFinite
                }
                i = limit
                if !finite {
                    end = Runs.finiteEnd(x, from: blockStart, to: limit)
                    sum = saved
                    i = blockStart
                    while i < end {
                        sum.slide(entering: x[i], leaving: x[i &- w])
                        out[i] = sum.value
                        i &+= 1
                    }
                }
                // The divisions four at a time while the block is in L1: a divide a bar would
                // cost more than the sums (throughput, not latency).
                if divide {
                    let first = blockStart == lo + w ? blockStart - 1 : blockStart   // the run's first window too
                    llma_compensated_mean_block(out.baseAddress! + first, out.baseAddress! + first, nil, end - first, divisor)
                }
                if end < limit || end == n { break }
            }
            pos = i
        }
    }

    /// Exponential moving average (TA-Lib `EMA`, k = 2 / (window + 1)).
    ///
    /// Lookback `window - 1`: seeded with the simple average of the first `window` values (the
    /// same sum and divide as TA-Lib), then `y = (1 - k)·y + k·x`, equal to TA-Lib's
    /// `y + (x - y)·k` up to rounding (a few ulps; the recursion damps errors). A NaN or ±infinity
    /// gives NaN at that bar and restarts the recursion after it, so the output resumes
    /// `window - 1` bars after the next usable value.
    /// - Complexity: O(n), no allocation.
    package static func ema(_ x: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        let n = x.count
        let k = 2.0 / Double(w + 1)
        var pos = 0
        while pos < n {
            let run = Runs.finite(x, from: pos)
            let first = run.lo + w - 1
            writeNaN(out, pos, Swift.min(first, run.hi))
            pos = run.hi
            guard first < run.hi else { continue }
            var seed = 0.0
            for i in run.lo...first { seed += x[i] }
            let average = seed / Double(w)
            out[first] = average
            // Two bars per step: y[i+1] = a²·y[i-1] + (a·b[i] + b[i+1]) keeps one multiply-add on
            // the loop-carried path per two bars; y[i] itself comes off that path.
            let a = 1 - k, a2 = a * a
            var y = average
            var i = first + 1
            while i + 1 < run.hi {
                let b0 = k * x[i], b1 = k * x[i + 1]
                out[i] = y * a + b0
                y = y * a2 + (b0 * a + b1)
                out[i + 1] = y
                i += 2
            }
            if i < run.hi { out[i] = y * a + k * x[i] }
        }
    }

    /// Linearly weighted moving average, weights 1...window with the newest bar heaviest
    /// (TA-Lib `WMA`).
    ///
    /// Lookback `window - 1`. NaN/±infinity: NaN for every window holding it; the running sums
    /// restart after it. TA-Lib's running-sum algorithm and operation order.
    /// - Complexity: O(n), no allocation.
    package static func wma(_ x: UnsafeBufferPointer<Double>, window w: Int,
                            into out: UnsafeMutableBufferPointer<Double>) {
        precondition(w >= 1 && out.count == x.count)
        let n = x.count
        let divider = Double(w * (w + 1) / 2)
        let weight = Double(w)
        var pos = 0
        while pos < n {
            let run = Runs.finite(x, from: pos)
            let first = run.lo + w - 1
            writeNaN(out, pos, Swift.min(first, run.hi))
            pos = run.hi
            guard first < run.hi else { continue }
            if w == 1 {
                for i in run.lo..<run.hi { out[i] = x[i] }
                continue
            }
            // periodSum holds Σ weight·x over the window; periodSub the plain sum, which is what
            // drops out of periodSum when every weight decreases by one.
            var periodSum = 0.0, periodSub = 0.0
            for i in run.lo..<first {
                let v = x[i]
                periodSub += v
                periodSum += v * Double(i - run.lo + 1)
            }
            var trailingValue = 0.0
            var trailing = run.lo
            var i = first
            while i < run.hi {
                let v = x[i]
                periodSub += v
                periodSub -= trailingValue
                periodSum += v * weight
                trailingValue = x[trailing]
                trailing += 1
                out[i] = periodSum / divider
                periodSum -= periodSub
                i += 1
            }
        }
    }
}
