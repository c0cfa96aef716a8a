#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Small helpers shared by the kernels: runs of usable bars, NaN filling, TA-Lib's zero tests,
// libm entry points and a monotonic deque. The unsafe code stays here and in RadixSort.swift.

/// A half-open range `lo..<hi` of consecutive bars on which every input of a kernel is usable.
///
/// Recursive and running-sum kernels process each run as if the series started at `lo`, which is
/// what TA-Lib's Python wrapper does for leading NaNs and what DESIGN §3.1 asks for after an
/// interior NaN. `lo == count` means there is no further run.
struct BarRun {
    var lo: Int
    var hi: Int
}

enum Runs {
    // The scans test 16 bars per step without branches (`v - v == 0` holds exactly for finite v,
    // `v == v` for non-NaN v; both vectorise), then finish bar by bar: a bar-by-bar `isFinite`
    // loop alone costs about as much as a whole SMA.
    private static let block = 16

    @inline(__always)
    private static func allFinite(_ a: UnsafeBufferPointer<Double>, _ i: Int) -> Bool {
        var ok: UInt8 = 1
        for j in i..<(i + block) { let v = a[j]; ok &= (v - v == 0) ? 1 : 0 }
        return ok != 0
    }

    @inline(__always)
    private static func allNonNaN(_ a: UnsafeBufferPointer<Double>, _ i: Int) -> Bool {
        var ok: UInt8 = 1
        for j in i..<(i + block) { let v = a[j]; ok &= (v == v) ? 1 : 0 }
        return ok != 0
    }

    /// The next run of finite values of `a` at or after `start`.
    @inline(__always)
    static func finite(_ a: UnsafeBufferPointer<Double>, from start: Int) -> BarRun {
        let n = a.count
        var lo = start
        while lo < n && !a[lo].isFinite { lo += 1 }
        var hi = lo
        while hi + block <= n && allFinite(a, hi) { hi += block }
        while hi < n && a[hi].isFinite { hi += 1 }
        return BarRun(lo: lo, hi: hi)
    }

    /// The next run where both inputs are finite.
    @inline(__always)
    static func finite(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                       from start: Int) -> BarRun {
        let n = a.count
        var lo = start
        while lo < n && !(a[lo].isFinite && b[lo].isFinite) { lo += 1 }
        var hi = lo
        while hi + block <= n && allFinite(a, hi) && allFinite(b, hi) { hi += block }
        while hi < n && a[hi].isFinite && b[hi].isFinite { hi += 1 }
        return BarRun(lo: lo, hi: hi)
    }

    /// The next run where all three inputs are finite.
    @inline(__always)
    static func finite(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                       _ c: UnsafeBufferPointer<Double>, from start: Int) -> BarRun {
        let n = a.count
        var lo = start
        while lo < n && !(a[lo].isFinite && b[lo].isFinite && c[lo].isFinite) { lo += 1 }
        var hi = lo
        while hi + block <= n && allFinite(a, hi) && allFinite(b, hi) && allFinite(c, hi) { hi += block }
        while hi < n && a[hi].isFinite && b[hi].isFinite && c[hi].isFinite { hi += 1 }
        return BarRun(lo: lo, hi: hi)
    }

    /// The next run where all four inputs are finite.
    @inline(__always)
    static func finite(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                       _ c: UnsafeBufferPointer<Double>, _ d: UnsafeBufferPointer<Double>,
                       from start: Int) -> BarRun {
        let n = a.count
        var lo = start
        while lo < n && !(a[lo].isFinite && b[lo].isFinite && c[lo].isFinite && d[lo].isFinite) {
            lo += 1
        }
        var hi = lo
        while hi + block <= n && allFinite(a, hi) && allFinite(b, hi) && allFinite(c, hi) && allFinite(d, hi) {
            hi += block
        }
        while hi < n && a[hi].isFinite && b[hi].isFinite && c[hi].isFinite && d[hi].isFinite {
            hi += 1
        }
        return BarRun(lo: lo, hi: hi)
    }

    /// The next run of non-NaN values (order statistics accept ±infinity as ordinary values).
    @inline(__always)
    static func nonNaN(_ a: UnsafeBufferPointer<Double>, from start: Int) -> BarRun {
        let n = a.count
        var lo = start
        while lo < n && a[lo].isNaN { lo += 1 }
        var hi = lo
        while hi + block <= n && allNonNaN(a, hi) { hi += block }
        while hi < n && !a[hi].isNaN { hi += 1 }
        return BarRun(lo: lo, hi: hi)
    }
}

/// Writes NaN to `out[lo..<hi]` (nothing when the range is empty).
@inline(__always)
func writeNaN(_ out: UnsafeMutableBufferPointer<Double>, _ lo: Int, _ hi: Int) {
    guard lo < hi else { return }
    UnsafeMutableBufferPointer(rebasing: out[lo..<hi]).update(repeating: .nan)
}

/// TA-Lib's `TA_IS_ZERO` (ta_utility.h, TA-Lib 0.4/0.6): an absolute 1e-8 band, not a relative one.
@inline(__always)
func taIsZero(_ v: Double) -> Bool { -0.00000001 < v && v < 0.00000001 }

@inline(__always) func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) func libmExp(_ x: Double) -> Double { exp(x) }

/// Simple moving average (or sum) over `src[lo..<hi]`, writing `dst[lo + w - 1 ..< hi]` and leaving
/// the warm-up untouched; `src` may be a scratch buffer.
///
/// TA-Lib adds the new value and then subtracts the trailing one, two dependent additions per bar;
/// adding their difference halves the loop-carried latency, and multiplying by 1/w replaces the
/// divide. Results stay within a few ulps of TA-Lib's (both drift alike over long series).
@inline(__always)
func movingSum(_ src: UnsafeBufferPointer<Double>, _ lo: Int, _ hi: Int, _ w: Int,
               into dst: UnsafeMutableBufferPointer<Double>, average: Bool) {
    guard hi - lo >= w else { return }
    let scale = average ? 1.0 / Double(w) : 1.0
    var total = 0.0
    var i = lo
    while i < lo + w { total += src[i]; i += 1 }
    dst[lo + w - 1] = total * scale
    while i < hi {
        total += src[i] - src[i - w]
        dst[i] = total * scale
        i += 1
    }
}

/// Rolling maximum (or minimum) of `src[lo..<hi]` by van Herk / Gil-Werman, writing
/// `dst[lo + w - 1 ..< hi]`.
///
/// Bars are cut into blocks of `w`. A window ending at bar i spans the tail of the previous block
/// and the head of the current one, so it is `extreme(suffix of previous block, prefix of current
/// block)`. The prefix is a running value; the previous block's suffixes sit in `scratch` (at least
/// `w` elements). Branch-free and O(1) per bar for any window, where a monotonic deque mispredicts
/// on every pop. No NaN may occur in the range (callers split at NaN).
@inline(__always)
func rollingExtreme(_ src: UnsafeBufferPointer<Double>, _ lo: Int, _ hi: Int, _ w: Int,
                    scratch suffix: UnsafeMutableBufferPointer<Double>,
                    into dst: UnsafeMutableBufferPointer<Double>, maximum: Bool) {
    guard hi - lo >= w else { return }
    @inline(__always) func pick(_ a: Double, _ b: Double) -> Double {
        maximum ? (a > b ? a : b) : (a < b ? a : b)
    }
    @inline(__always) func loadSuffixes(_ start: Int) {
        var running = src[start + w - 1]
        suffix[w - 1] = running
        var j = w - 2
        while j >= 0 {
            running = pick(src[start + j], running)
            suffix[j] = running
            j -= 1
        }
    }
    loadSuffixes(lo)
    dst[lo + w - 1] = suffix[0]
    var blockStart = lo + w
    while blockStart < hi {
        let blockEnd = Swift.min(blockStart + w, hi)
        var running = src[blockStart]
        var i = blockStart
        while true {
            let offset = i - blockStart + 1       // window start, relative to the previous block
            dst[i] = offset < w ? pick(suffix[offset], running) : running
            i += 1
            if i == blockEnd { break }
            running = pick(src[i], running)
        }
        if blockEnd < hi { loadSuffixes(blockStart) }
        blockStart = blockEnd
    }
}
