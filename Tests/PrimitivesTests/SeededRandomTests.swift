import Testing
@testable import Primitives

/// The reference outputs below come from Vigna's public-domain C code (xoshiro256starstar.c and
/// splitmix64.c at https://prng.di.unimi.it), compiled with gcc 12:
///
///     s = {1, 2, 3, 4}: next() x6                   (the rand_xoshiro crate's test vector)
///     x = 1234567: splitmix64() x5                  (SplitMix64's widely quoted vector)
///     x = 42; s[i] = splitmix64() for i in 0..<4: next() x6
@Suite("SeededRandom: xoshiro256** seeded by SplitMix64")
struct SeededRandomTests {
    @Test func matchesTheReferenceGeneratorFromARawState() {
        var rng = SeededRandom(state: (1, 2, 3, 4))
        let expected: [UInt64] = [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240,
                                  1_216_172_134_540_287_360, 607_988_272_756_665_600]
        #expect((0..<6).map { _ in rng.next() } == expected)
    }

    @Test func splitMix64MatchesTheReference() {
        var state: UInt64 = 1_234_567
        let expected: [UInt64] = [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                                  4_593_380_528_125_082_431, 16_408_922_859_458_223_821]
        #expect((0..<5).map { _ in SeededRandom.splitMix64(&state) } == expected)
    }

    @Test func seedingMatchesTheReference() {
        var rng = SeededRandom(seed: 42)
        let expected: [UInt64] = [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1,
                                  0xecb8_ad47_03b3_60a1, 0xfde6_dc7f_e2ec_5e64, 0xc50d_a531_0179_5238]
        #expect((0..<6).map { _ in rng.next() } == expected)
    }

    @Test func sameSeedSameSequenceDifferentSeedDifferentSequence() {
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7), c = SeededRandom(seed: 8)
        let sa = (0..<100).map { _ in a.next() }
        #expect(sa == (0..<100).map { _ in b.next() })
        #expect(zip(sa, (0..<100).map { _ in c.next() }).allSatisfy { $0 != $1 })
    }

    @Test func uniformHasTheMomentsOfU01() {
        var rng = SeededRandom(seed: 1)
        let n = 100_000
        var sum = 0.0, sumSquares = 0.0, inRange = true
        for _ in 0..<n {
            let u = rng.uniform()
            inRange = inRange && u >= 0 && u < 1
            sum += u
            sumSquares += u * u
        }
        let mean = sum / Double(n), variance = sumSquares / Double(n) - mean * mean
        #expect(inRange)
        #expect(abs(mean - 0.5) < 0.005)  // sd of the mean: 0.0009
        #expect(abs(variance - 1.0 / 12) < 0.002)
    }

    @Test func normalHasTheMomentsOfN01() {
        var rng = SeededRandom(seed: 2)
        let n = 100_000
        var sum = 0.0, sumSquares = 0.0, withinOne = 0
        for _ in 0..<n {
            let z = rng.normal()
            sum += z
            sumSquares += z * z
            if abs(z) < 1 { withinOne += 1 }
        }
        let mean = sum / Double(n), variance = sumSquares / Double(n) - mean * mean
        #expect(abs(mean) < 0.02)  // sd 0.003
        #expect(abs(variance - 1) < 0.03)  // sd 0.0045
        #expect(abs(Double(withinOne) / Double(n) - 0.682_689_492) < 0.01)  // Φ(1) − Φ(−1)
    }

    @Test func truncatedNormalStaysInsideAndHasTheTruncatedMean() {
        var rng = SeededRandom(seed: 3)
        let n = 100_000
        var sum = 0.0, inside = true
        for _ in 0..<n {
            let x = rng.truncatedNormal(mean: 0, sd: 1, low: 0, high: 1)
            inside = inside && x >= 0 && x <= 1
            sum += x
        }
        #expect(inside)
        // scipy.stats.truncnorm.mean(0, 1) = 0.4598622292864266; sd of the estimate 0.0009.
        #expect(abs(sum / Double(n) - 0.459_862_229) < 0.005)
    }

    @Test func indexIsUniformOverItsRange() {
        var rng = SeededRandom(seed: 4)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.index(below: 7)] += 1 }
        // 10 000 expected per bin, sd 93.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
        #expect(rng.index(below: 1) == 0)
    }
}
