/// A seeded pseudo-random generator: xoshiro256** (Blackman and Vigna, 2018) with its state filled
/// by SplitMix64 from a 64-bit seed, as the authors recommend.
///
/// The same seed gives the same sequence on every platform and Swift version: the helpers below
/// use only integer operations and ``PortableMath``, never the standard library's
/// `Double.random(in:using:)` or `Int.random(in:using:)`, whose algorithms may change.
///
/// ```swift
/// var rng = SeededRandom(seed: 42)
/// let u = rng.uniform()      // [0, 1)
/// let z = rng.normal()       // standard normal
/// let i = rng.index(below: 3) // 0, 1 or 2
/// ```
///
/// Reference: https://prng.di.unimi.it/xoshiro256starstar.c and splitmix64.c.
package struct SeededRandom: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Fills the 256-bit state with four outputs of SplitMix64 started at `seed`; never all zero.
    package init(seed: UInt64) {
        var splitMix = seed
        s0 = Self.splitMix64(&splitMix)
        s1 = Self.splitMix64(&splitMix)
        s2 = Self.splitMix64(&splitMix)
        s3 = Self.splitMix64(&splitMix)
    }

    /// Starts from a raw xoshiro256** state, for checking against the reference implementation.
    /// - Precondition: not all four words are zero (the generator would stay at zero).
    package init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** needs a non-zero state")
        (s0, s1, s2, s3) = state
    }

    /// The next 64 random bits.
    /// - Complexity: O(1).
    package mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(by: 45)
        return result
    }

    /// A uniform double in [0, 1): the top 53 bits of ``next()`` times 2⁻⁵³.
    /// - Complexity: O(1).
    package mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal draw by Marsaglia's polar method (one of the pair is dropped, so the
    /// generator keeps no cached value).
    /// - Complexity: O(1) expected: 4/π pairs of uniforms per draw on average.
    package mutating func normal() -> Double {
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let s = u * u + v * v
            if s < 1 && s > 0 {
                return u * (-2 * PortableMath.log(s) / s).squareRoot()
            }
        }
    }

    /// A draw from the normal distribution N(mean, sd²) conditioned on [low, high], by rejection.
    ///
    /// - Precondition: `low <= mean <= high` and `0 < sd <= high - low`, so at least 34 % of draws
    ///   are accepted (the worst case is a mean at an end and sd = high − low: Φ(1) − Φ(0)).
    /// - Complexity: O(1) expected.
    package mutating func truncatedNormal(mean: Double, sd: Double, low: Double, high: Double) -> Double {
        while true {
            let x = mean + sd * normal()
            if x >= low && x <= high { return x }
        }
    }

    /// A uniform index in `0..<count`, as ⌊u · count⌋ (bias below 2⁻⁵³ · count).
    /// - Precondition: `count >= 1`.
    /// - Complexity: O(1).
    package mutating func index(below count: Int) -> Int {
        precondition(count >= 1, "index(below:) needs a positive count, got \(count)")
        return Swift.min(Int(uniform() * Double(count)), count - 1)
    }

    /// SplitMix64 (Steele, Lea and Flood, 2014): advances `state` by the golden-ratio increment
    /// and mixes it.
    static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by k: UInt64) -> UInt64 {
        (self << k) | (self >> (64 &- k))
    }
}
