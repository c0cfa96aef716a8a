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
    // The scans test 16 bars per step without branches, on the bit patterns: a double is NaN or
    // ±infinity exactly when its exponent field is all ones, and adding one exponent unit to that
    // field carries into the sign bit only then. OR-ing those sums over a block is integer work
    // that vectorises; the scans then finish bar by bar. (A bar-by-bar `isFinite` loop costs
    // about as much as a whole SMA; a `v - v == 0` test per bar compiles to a branch per bar.)
    private static let block = 16
    private static let exponentMask: UInt64 = 0x7FF0_0000_0000_0000
    private static let exponentUnit: UInt64 = 0x0010_0000_0000_0000
    private static let magnitudeMask: UInt64 = 0x7FFF_FFFF_FFFF_FFFF

    @inline(__always)
    private static func allFinite(_ a: UnsafeBufferPointer<Double>, _ i: Int) -> Bool {
        assertInBounds(a, i, block)
        let p = a.baseAddress.unsafelyUnwrapped + i
        var carry: UInt64 = 0
        for j in 0..<block { carry |= (p[j].bitPattern & exponentMask) &+ exponentUnit }
        return carry >> 63 == 0
    }

    @inline(__always)
    private static func allNonNaN(_ a: UnsafeBufferPointer<Double>, _ i: Int) -> Bool {
        assertInBounds(a, i, block)
        let p = a.baseAddress.unsafelyUnwrapped + i
        // NaN: magnitude above infinity's pattern, so magnitude + (exponentUnit - 1) reaches bit 63.
        var carry: UInt64 = 0
        for j in 0..<block { carry |= (p[j].bitPattern & magnitudeMask) &+ (exponentUnit - 1) }
        return carry >> 63 == 0
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

    /// The first index in `start..<limit` where `a` is not finite, or `limit`. Scanning an
    /// L1-sized block just before computing it costs no extra pass over memory (see below).
    @inline(__always)
    static func finiteEnd(_ a: UnsafeBufferPointer<Double>, from start: Int, to limit: Int) -> Int {
        var i = start
        while i + block <= limit && allFinite(a, i) { i += block }
        while i < limit && a[i].isFinite { i += 1 }
        return i
    }

    /// The first index in `start..<limit` where any of `a`, `b`, `c` is not finite, or `limit`.
    /// For kernels that check an L1-sized block just before (or just after) computing it, instead
    /// of scanning the whole run first: at n = 1M the inputs do not stay in cache between a full
    /// scan and the compute loop.
    @inline(__always)
    static func finiteEnd(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                          _ c: UnsafeBufferPointer<Double>, from start: Int, to limit: Int) -> Int {
        var i = start
        while i + block <= limit && allFinite(a, i) && allFinite(b, i) && allFinite(c, i) { i += block }
        while i < limit && a[i].isFinite && b[i].isFinite && c[i].isFinite { i += 1 }
        return i
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

/// Traps in debug builds unless `a[i ..< i + count]` is in bounds; nothing in release. For the
/// few loops that read through `baseAddress` instead of the (debug-checked) subscript.
@inline(__always)
func assertInBounds<T>(_ a: UnsafeBufferPointer<T>, _ i: Int, _ count: Int) {
    #if DEBUG
    precondition(i >= 0 && count >= 0 && i + count <= a.count, "index range out of bounds")
    #endif
}

/// TA-Lib's `TA_IS_ZERO` (ta_utility.h, TA-Lib 0.4/0.6): an absolute 1e-8 band, not a relative one.
@inline(__always)
func taIsZero(_ v: Double) -> Bool { -0.00000001 < v && v < 0.00000001 }

/// Two adjacent elements `a[i]`, `a[i + 1]` as one SIMD value (one unaligned load).
@inline(__always)
func load2(_ a: UnsafeBufferPointer<Double>, _ i: Int) -> SIMD2<Double> {
    assertInBounds(a, i, 2)
    return UnsafeRawPointer(a.baseAddress.unsafelyUnwrapped + i).loadUnaligned(as: SIMD2<Double>.self)
}

@inline(__always)
func load2(_ a: UnsafeMutableBufferPointer<Double>, _ i: Int) -> SIMD2<Double> {
    load2(UnsafeBufferPointer(a), i)
}

/// Stores `v` to `a[i]`, `a[i + 1]` (one unaligned store).
@inline(__always)
func store2(_ v: SIMD2<Double>, _ a: UnsafeMutableBufferPointer<Double>, _ i: Int) {
    assertInBounds(UnsafeBufferPointer(a), i, 2)
    UnsafeMutableRawPointer(a.baseAddress.unsafelyUnwrapped + i).storeBytes(of: v, as: SIMD2<Double>.self)
}

/// Powers of the decay `a` of a first-order recursion `y[t] = a·y[t-1] + b[t]`, for `recurse4`.
struct DecayPowers {
    let a: Double
    let a4: SIMD2<Double>       // (a⁴, a⁴)
    let low: SIMD2<Double>      // (a, a²)
    let high: SIMD2<Double>     // (a³, a⁴)

    init(_ a: Double) {
        let a2 = a * a, a3 = a2 * a, a4 = a2 * a2
        self.a = a
        self.a4 = SIMD2(repeating: a4)
        low = SIMD2(a, a2)
        high = SIMD2(a3, a4)
    }
}

/// Four steps of `y[t] = a·y[t-1] + b[t]`: `y[j...j+3]` as two pairs from `previous` = y[j-1]
/// (in both lanes) and `b01` = (b[j], b[j+1]), `b23` = (b[j+2], b[j+3]); `next` is y[j+3] in both
/// lanes.
///
/// With c = a·c + b running over the four inputs (c₀ = b[j]), y[j+m] = a^(m+1)·y[j-1] + c_m: the
/// only loop-carried work is one multiply and one add per four bars (a bar-by-bar recursion has
/// one of each per bar, a two-bar step one per two). The c's do not depend on `previous`, so the
/// out-of-order core overlaps them with the previous group. The state is kept in both lanes and
/// updated by its own multiply-add: returned as a scalar, the compiler took it from the output
/// vector and added a broadcast and an extract to the loop-carried path. Rounding differs from
/// the bar-by-bar form by a few ulps (the powers and the c's are rounded); the recursion damps old
/// errors.
@inline(__always)
func recurse4(_ previous: SIMD2<Double>, _ b01: SIMD2<Double>, _ b23: SIMD2<Double>, _ p: DecayPowers)
    -> (y01: SIMD2<Double>, y23: SIMD2<Double>, next: SIMD2<Double>) {
    let c1 = b01[0] * p.a + b01[1]
    let c2 = c1 * p.a + b23[0]
    let c3 = c2 * p.a + b23[1]
    return (previous * p.low + SIMD2(b01[0], c1),
            previous * p.high + SIMD2(c2, c3),
            previous * p.a4 + SIMD2(repeating: c3))
}

@inline(__always) func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) func libmExp(_ x: Double) -> Double { exp(x) }

/// A running sum that carries its rounding error (TwoSum, as Neumaier's compensated summation):
/// a moving sum of prices with a few decimals stays their exact sum rounded once, instead of
/// drifting by an ulp a bar, so two moving averages that are equal in exact arithmetic compare
/// equal (pandas compensates its rolling sums too; the drift made `crossover` fire a bar early).
/// The running total is still one addition per bar on the loop-carried path; the error terms
/// are independent work beside it.
struct CompensatedSum {
    var total = 0.0
    var error = 0.0

    /// TwoSum: exact whatever the magnitudes.
    @inline(__always) mutating func add(_ v: Double) {
        let t = total + v
        let back = t - total
        error += (total - (t - back)) + (v - back)
        total = t
    }

    /// Fast2Sum: exact when |total| >= |v|, as in a moving sum of positive values (prices,
    /// volumes), whose total holds the leaving value; otherwise a little less accurate, never worse
    /// than not compensating.
    @inline(__always) mutating func addSmaller(_ v: Double) {
        let t = total + v
        error += v - (t - total)
        total = t
    }

    /// Adds `entering - leaving`. The difference itself is exact when the two are within a
    /// factor of two of each other (Sterbenz), as neighbouring prices are; only the running
    /// total's rounding needs carrying, which keeps the compensation to four additions a bar.
    @inline(__always) mutating func slide(entering a: Double, leaving b: Double) {
        addSmaller(a - b)
    }

    /// An overflowed total stays ±infinity (its error term is NaN by then).
    @inline(__always) var value: Double { total.isFinite ? total + error : total }
}

/// Simple moving average (or sum) over `src[lo..<hi]`, writing `dst[lo + w - 1 ..< hi]` and leaving
/// the warm-up untouched; `src` may be a scratch buffer.
///
/// TA-Lib adds the new value and then subtracts the trailing one, two dependent additions per bar;
/// adding their (compensated) difference keeps one addition on the loop-carried path. The average
/// divides by w, as pandas does, so equal exact sums give equal averages. Within a few ulps of
/// TA-Lib, whose sums drift.
@inline(__always)
func movingSum(_ src: UnsafeBufferPointer<Double>, _ lo: Int, _ hi: Int, _ w: Int,
               into dst: UnsafeMutableBufferPointer<Double>, average: Bool) {
    guard hi - lo >= w else { return }
    let divisor = average ? Double(w) : 1.0
    var sum = CompensatedSum()
    var i = lo
    while i < lo + w { sum.add(src[i]); i += 1 }
    dst[lo + w - 1] = sum.value / divisor
    while i < hi {
        sum.slide(entering: src[i], leaving: src[i - w])
        dst[i] = sum.value / divisor
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
