// SIMDKernelsC promises the same bits from its AVX2 and its baseline build. The reference tests
// check each build against TA-Lib and pandas at their tolerances; this checks the two builds
// against each other bit for bit, on inputs the references do not have: every length from 0 to
// 40 (the four-lane tails), NaN, ±infinity, ±0, zero prices and constant stretches.

import SIMDKernelsC
import Testing

@testable import Primitives

@Suite("The AVX2 and baseline builds of the SIMD loops agree bit for bit")
struct SIMDBuildTests {
    /// Runs `kernel` on the calling thread with the CPU's best build and with the baseline build.
    private func bothBuilds(_ kernel: () -> [[Double]]) -> (best: [[Double]], baseline: [[Double]]) {
        let best = kernel()
        llma_simd_use_baseline(1)
        defer { llma_simd_use_baseline(0) }
        return (best, kernel())
    }

    private static func series(_ n: Int, seed: UInt64, specials: Bool) -> [Double] {
        var state = seed
        var price = 100.0
        return (0..<n).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let pick = state >> 59
            if specials {
                switch pick {
                case 0: return .nan
                case 1: return .infinity
                case 2: return -.infinity
                case 3: return 0
                case 4: return -0.0
                case 5: return price     // a repeat: constant stretches
                default: break
                }
            }
            price *= 1 + (Double((state >> 11) & 0xFFFF) / 65_536 - 0.5) * 0.05
            return price
        }
    }

    private func expectSameBits(_ got: (best: [[Double]], baseline: [[Double]]), _ what: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        for (a, b) in zip(got.best, got.baseline) {
            let first = a.indices.first { a[$0].bitPattern != b[$0].bitPattern && !(a[$0].isNaN && b[$0].isNaN) }
            #expect(first == nil, "\(what): bar \(first ?? 0): \(first.map { a[$0] } ?? 0) vs \(first.map { b[$0] } ?? 0)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test("Every length 0...40 and 2,000 bars, with and without NaN, infinities and zeros", arguments: [false, true])
    func streamsMomentsAveragesAndATR(specials: Bool) {
        for n in Array(0...40) + [2_000] {
            let x = Self.series(n, seed: UInt64(n) &+ 1, specials: specials)
            let y = Self.series(n, seed: UInt64(n) &+ 99, specials: specials)
            let high = x.map { $0 * 1.01 }, low = x.map { $0 * 0.99 }
            for above in [true, false] {
                expectSameBits(bothBuilds {
                    [Kernel.run(x, y) { above ? Events.crossover($0, .series($1), into: $2) : Events.crossunder($0, .series($1), into: $2) },
                     Kernel.run(x) { above ? Events.crossover($0, .scalar(100), into: $1) : Events.crossunder($0, .scalar(100), into: $1) }]
                }, "cross n\(n)")
            }
            for w in [1, 2, 3, 5, 20] {
                expectSameBits(bothBuilds {
                    [Kernel.run(x) { Indicators.pctChange($0, periods: w, into: $1) },
                     Kernel.run(x) { Rolling.mean($0, window: w, into: $1) },
                     Kernel.run(x) { Rolling.sum($0, window: w, into: $1) },
                     Kernel.run(x) { Rolling.variance($0, window: w, into: $1) },
                     Kernel.run(x) { Rolling.standardDeviation($0, window: w, into: $1) },
                     Kernel.run(x) { Rolling.zScore($0, window: w, into: $1) },
                     TALibReferenceTests.bollinger(x, window: w).upper,
                     TALibReferenceTests.bollinger(x, window: w).middle,
                     TALibReferenceTests.bollinger(x, window: w).lower,
                     Kernel.run(high, low, x) { Indicators.atr(high: $0, low: $1, close: $2, window: w, into: $3) }]
                }, "window \(w) n\(n)")
            }
        }
    }
}
