#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The values of a sliding window kept in ascending order, for the rolling median, quantile and
/// percentile rank of windows up to a few hundred bars.
///
/// A slide is two branch-free binary searches and one `memmove` of the values between where the
/// leaving value was and where the entering one goes: O(log w) compares and a move that is short
/// for prices, whose new value sits near the old ones. The bound is the searches' dependent loads
/// (about 7 L1 hits each at w = 100), not the move. NaN must never enter (callers split at NaN).
/// Owns its buffer: call `deallocate()` once.
struct SortedWindow {
    private let values: UnsafeMutablePointer<Double>
    private let capacity: Int
    private(set) var count = 0
    /// How many values are `<=` the one inserted last, itself included: its rank from the top of
    /// ties, which is what pandas' `rank(method="max")` counts.
    private(set) var atMostEntered = 0

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 1)
        values = .allocate(capacity: self.capacity)
    }

    func deallocate() { values.deallocate() }

    mutating func removeAll() { count = 0 }

    /// The `k`-th smallest value (0-based).
    @inline(__always) func smallest(_ k: Int) -> Double {
        assert(k >= 0 && k < count)
        return values[k]
    }

    /// Adds `v` to a window that is not full.
    @inline(__always) mutating func insert(_ v: Double) {
        precondition(count < capacity, "SortedWindow is full")
        let q = countAtMost(v)
        memmove(values + q + 1, values + q, (count - q) * MemoryLayout<Double>.stride)
        values[q] = v
        count += 1
        atMostEntered = q + 1
    }

    /// Removes one value equal to `leaving` (it must be in the window) and adds `entering`.
    @inline(__always) mutating func replace(leaving: Double, entering: Double) {
        let (p, q) = countBelowAndAtMost(leaving, entering)   // values[p] == leaving
        assert(p < count && values[p] == leaving)
        if q > p {                           // entering >= leaving: close the gap to the right
            memmove(values + p, values + p + 1, (q - 1 - p) * MemoryLayout<Double>.stride)
            values[q - 1] = entering
            atMostEntered = q
        } else {                             // entering < leaving: open a slot at q
            memmove(values + q + 1, values + q, (p - q) * MemoryLayout<Double>.stride)
            values[q] = entering
            atMostEntered = q + 1
        }
    }

    /// Number of values `<= v`. Halving by a compare mask instead of a branch: which half a
    /// price falls in is a coin flip the predictor misses half the time (written as `?:`, the
    /// compiler chose a branch, and mispredictions were most of the cost).
    @inline(__always) private func countAtMost(_ v: Double) -> Int {
        guard count > 0 else { return 0 }
        var base = 0, length = count
        while length > 1 {
            let half = length >> 1
            base &+= half & atMostMask(values[base + half], v)
            length -= half
        }
        return base &+ (1 & atMostMask(values[base], v))
    }

    /// Number of values `< a` and number `<= b`: both searches in one loop (they halve the same
    /// lengths), so their load chains overlap instead of running one after the other.
    @inline(__always) private func countBelowAndAtMost(_ a: Double, _ b: Double) -> (Int, Int) {
        guard count > 0 else { return (0, 0) }
        var baseA = 0, baseB = 0, length = count
        while length > 1 {
            let half = length >> 1
            baseA &+= half & belowMask(values[baseA + half], a)
            baseB &+= half & atMostMask(values[baseB + half], b)
            length -= half
        }
        return (baseA &+ (1 & belowMask(values[baseA], a)), baseB &+ (1 & atMostMask(values[baseB], b)))
    }
}

/// All ones when `x <= y`, else 0 (false for NaN), without a branch.
@inline(__always) func atMostMask(_ x: Double, _ y: Double) -> Int {
    #if arch(x86_64)
    return Int(_mm_cvtsi128_si64(_mm_castpd_si128(_mm_cmple_sd(SIMD2(x, 0), SIMD2(y, 0)))))
    #else
    return x <= y ? -1 : 0
    #endif
}

/// All ones when `x < y`, else 0 (false for NaN), without a branch.
@inline(__always) func belowMask(_ x: Double, _ y: Double) -> Int {
    #if arch(x86_64)
    return Int(_mm_cvtsi128_si64(_mm_castpd_si128(_mm_cmplt_sd(SIMD2(x, 0), SIMD2(y, 0)))))
    #else
    return x < y ? -1 : 0
    #endif
}
