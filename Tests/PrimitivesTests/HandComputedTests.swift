// Small inputs whose outputs are worked out by hand in the comments, for the conventions that the
// reference fixtures exercise only in passing: ties, NaN inside and before the data, zero variance,
// touching-then-crossing, length < window, window = length, length 1, empty and all-NaN input.
//
// NaN conventions under test (DESIGN §3.1-3.2): warm-up NaN by TA-Lib lookback; leading NaN are
// skipped (the series starts at the first value); a window holding a NaN gives NaN; recursive
// kernels (ema, rsi, atr) give NaN at an interior NaN and restart after it as if the series began
// there, so they resume one full lookback later; zscore is NaN where std == 0; masks are 1.0/0.0.

import Foundation
import Testing

@testable import Primitives

private let nan = Double.nan

/// Compares with the reference tolerance (1e-9 relative; an expected 0 must come out as 0).
private func expectSeries(_ ours: [Double], _ expected: [Double], _ what: String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    expectMatches(ours, expected, column: what, sourceLocation: sourceLocation)
}

@Suite("Hand-computed kernel values")
struct HandComputedTests {
    // MARK: Rolling

    /// Prices in cents over 200,000 bars that swing between 100 and 90,000, then 60 bars at
    /// 29392.65: every average of those last bars is 29392.65, whatever its window. An
    /// uncompensated running sum drifts by an ulp a bar and gives each window its own error (the
    /// bundled data's sma(10) and sma(50) differed by 6.6e-11 where pandas gives 0, and
    /// crossover fired a bar early).
    @Test func movingAveragesOfEqualValuesAreEqualAfterALongHistory() {
        var x: [Double] = []
        var cents = 2_939_265
        var state: UInt64 = 12_345
        for _ in 0..<200_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            cents = Swift.min(9_000_000, Swift.max(10_000, cents + Int(state >> 52) - 2_048))
            x.append(Double(cents) / 100)
        }
        x += Array(repeating: 29392.65, count: 60)
        let averages = [10, 20, 50].map { w in Kernel.run(x) { Rolling.mean($0, window: w, into: $1) }.last! }
        #expect(averages == [29392.65, 29392.65, 29392.65], "\(averages.map { $0 - 29392.65 })")
        let bands = Kernel.run(x) { input, middle in
            var upper = [Double](repeating: 0, count: x.count), lower = upper
            upper.withUnsafeMutableBufferPointer { u in
                lower.withUnsafeMutableBufferPointer { l in
                    Indicators.bollingerBands(input, window: 50, deviations: 2, upper: u, middle: middle, lower: l)
                }
            }
        }
        #expect(bands.last == 29392.65)
    }

    /// The exact division and the compensated sum keep IEEE's edges: an overflowed sum stays
    /// infinite (not NaN from its error term), a subnormal average is correctly rounded.
    @Test func movingAverageEdges() {
        let huge = Kernel.run([1e308, 1e308, 1e308, 1e308, 1e308]) { Rolling.mean($0, window: 2, into: $1) }
        #expect(huge.dropFirst().allSatisfy { $0 == .infinity }, "\(huge)")
        let tiny = 5e-324 * 3
        let small = Kernel.run([Double](repeating: tiny, count: 8)) { Rolling.mean($0, window: 3, into: $1) }
        #expect(small.dropFirst(2).allSatisfy { $0 == tiny }, "\(small)")
    }

    @Test func percentRankCountsTiesAsBelowOrEqual() {
        // rank = (# of window values <= x[t]) / window, as pandas rank(method="max", pct=True).
        // [3,2,2,1,2], w=3: t2 {3,2,2} x=2 -> 2/3; t3 {2,2,1} x=1 -> 1/3; t4 {2,1,2} x=2 -> 3/3.
        expectSeries(Kernel.run([3, 2, 2, 1, 2]) { Rolling.percentRank($0, window: 3, into: $1) },
                     [nan, nan, 2.0 / 3, 1.0 / 3, 1], "rank w3 [3,2,2,1,2]")
        // [1,2,2,3,1], w=3: t2 {1,2,2} x=2 -> 1; t3 {2,2,3} x=3 -> 1; t4 {2,3,1} x=1 -> 1/3.
        expectSeries(Kernel.run([1, 2, 2, 3, 1]) { Rolling.percentRank($0, window: 3, into: $1) },
                     [nan, nan, 1, 1, 1.0 / 3], "rank w3 [1,2,2,3,1]")
        // [1,NaN,3,2,2], w=2: t1, t2 hold the NaN; t3 {3,2} x=2 -> 1/2; t4 {2,2} x=2 -> 1.
        expectSeries(Kernel.run([1, nan, 3, 2, 2]) { Rolling.percentRank($0, window: 2, into: $1) },
                     [nan, nan, nan, 0.5, 1], "rank w2 with NaN")
    }

    @Test func zScoreUsesPopulationStdAndIsNaNOnZeroVariance() {
        // [1,2,3,5,5,5,5], w=3, population std:
        // t2 {1,2,3}: mean 2, var 2/3, z = 1/sqrt(2/3) = sqrt(3/2)
        // t3 {2,3,5}: mean 10/3, devs -4/3 -1/3 5/3, var 42/27 = 14/9, z = (5/3)/(sqrt14/3) = 5/sqrt14
        // t4 {3,5,5}: mean 13/3, devs -4/3 2/3 2/3, var 24/27 = 8/9, z = (2/3)/(sqrt8/3) = 1/sqrt2
        // t5, t6 {5,5,5}: std 0 -> NaN (a window that became constant after varying)
        expectSeries(Kernel.run([1, 2, 3, 5, 5, 5, 5]) { Rolling.zScore($0, window: 3, into: $1) },
                     [nan, nan, (1.5).squareRoot(), 5 / (14.0).squareRoot(), 1 / (2.0).squareRoot(),
                      nan, nan], "zscore w3")
        expectSeries(Kernel.run([2, 2, 2, 2]) { Rolling.zScore($0, window: 3, into: $1) },
                     [nan, nan, nan, nan], "zscore w3 constant")
        // The variance of {5,5,5} is exactly 0, also after the window held other values.
        expectSeries(Kernel.run([1, 2, 3, 5, 5, 5, 5]) { Rolling.variance($0, window: 3, into: $1) },
                     [nan, nan, 2.0 / 3, 14.0 / 9, 8.0 / 9, 0, 0], "var w3")
    }

    @Test func covarianceCorrelationAndBeta() {
        // a = [1,2,3,4], b = [2,4,6,9], w=3, population moments.
        // t2: a {1,2,3} mean 2, b {2,4,6} mean 4: cov = (2 + 0 + 2)/3 = 4/3, var a = 2/3,
        //     var b = 8/3, corr = (4/3)/sqrt(16/9) = 1, beta(b on a) = (4/3)/(2/3) = 2.
        // t3: a {2,3,4} mean 3, b {4,6,9} mean 19/3: devs a -1 0 1, b -7/3 -1/3 8/3;
        //     cov = (7/3 + 8/3)/3 = 5/3, var b = (49+1+64)/27 = 38/9,
        //     corr^2 = (25/9)/((2/3)(38/9)) = 75/76, beta = (5/3)/(2/3) = 2.5.
        let a: [Double] = [1, 2, 3, 4], b: [Double] = [2, 4, 6, 9]
        expectSeries(Kernel.run(a, b) { Rolling.covariance($0, $1, window: 3, into: $2) },
                     [nan, nan, 4.0 / 3, 5.0 / 3], "cov w3")
        expectSeries(Kernel.run(a, b) { Rolling.correlation($0, $1, window: 3, into: $2) },
                     [nan, nan, 1, (75.0 / 76).squareRoot()], "corr w3")
        expectSeries(Kernel.run(b, a) { Rolling.beta($0, on: $1, window: 3, into: $2) },
                     [nan, nan, 2, 2.5], "beta w3")
    }

    @Test func maxAndMinWithTiesAndNaN() {
        // [3,1,3,2,NaN,5,4,4], w=3: windows ending at 4, 5, 6 hold the NaN.
        // max: t2 {3,1,3} 3; t3 {1,3,2} 3; t7 {5,4,4} 5.  min: t2 1; t3 1; t7 4.
        let x: [Double] = [3, 1, 3, 2, nan, 5, 4, 4]
        expectSeries(Kernel.run(x) { Rolling.max($0, window: 3, into: $1) },
                     [nan, nan, 3, 3, nan, nan, nan, 5], "max w3")
        expectSeries(Kernel.run(x) { Rolling.min($0, window: 3, into: $1) },
                     [nan, nan, 1, 1, nan, nan, nan, 4], "min w3")
    }

    @Test func medianAndLinearQuantile() {
        // [5,1,4,2,3], w=4: t3 sorted {1,2,4,5}, t4 sorted {1,2,3,4}.
        // median: (2+4)/2 = 3, (2+3)/2 = 2.5.  q=0.25: position 0.25*3 = 0.75 -> 1 + 0.75*(2-1)
        // = 1.75 both times.  q=0: the minimum, q=1: the maximum.
        let x: [Double] = [5, 1, 4, 2, 3]
        expectSeries(Kernel.run(x) { Rolling.median($0, window: 4, into: $1) },
                     [nan, nan, nan, 3, 2.5], "median w4")
        expectSeries(Kernel.run(x) { Rolling.quantile($0, window: 4, probability: 0.25, into: $1) },
                     [nan, nan, nan, 1.75, 1.75], "quantile w4 q0.25")
        expectSeries(Kernel.run(x) { Rolling.quantile($0, window: 4, probability: 0, into: $1) },
                     [nan, nan, nan, 1, 1], "quantile w4 q0")
        expectSeries(Kernel.run(x) { Rolling.quantile($0, window: 4, probability: 1, into: $1) },
                     [nan, nan, nan, 5, 4], "quantile w4 q1")
    }

    /// Median, quantile and rank against their definitions, each window sorted on its own: small
    /// integers (ties everywhere), ±infinity as ordinary values, NaN that cut the series into runs,
    /// for windows below, at and above the sorted-window limit (256) and one longer than a run.
    @Test func orderStatisticsMatchTheirDefinitions() {
        var state: UInt64 = 7
        let x: [Double] = (0..<1_500).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            if i == 700 || i == 701 || i == 1_200 { return nan }
            switch state >> 58 {
            case 0: return .infinity
            case 1: return -.infinity
            default: return Double((state >> 33) % 9) - 4
            }
        }
        for w in [1, 2, 3, 10, 100, 256, 257, 300, 600] {
            var median: [Double] = [], q30: [Double] = [], rank: [Double] = []
            for t in x.indices {
                let window = x[Swift.max(0, t - w + 1)...t]
                guard t >= w - 1, !window.contains(where: \.isNaN) else {
                    median.append(nan); q30.append(nan); rank.append(nan)
                    continue
                }
                let v = window.sorted()
                median.append(w % 2 == 1 ? v[w / 2] : (v[w / 2 - 1] + v[w / 2]) / 2)
                let h = 0.3 * Double(w - 1), j = Int(h)
                q30.append(h == Double(j) ? v[j] : v[j] + (v[j + 1] - v[j]) * (h - Double(j)))
                rank.append(Double(v.filter { $0 <= x[t] }.count) / Double(w))
            }
            for (name, ours, expected) in [
                ("median", Kernel.run(x) { Rolling.median($0, window: w, into: $1) }, median),
                ("quantile 0.3", Kernel.run(x) { Rolling.quantile($0, window: w, probability: 0.3, into: $1) }, q30),
                ("rank", Kernel.run(x) { Rolling.percentRank($0, window: w, into: $1) }, rank),
            ] {
                let first = ours.indices.first { !(ours[$0] == expected[$0] || (ours[$0].isNaN && expected[$0].isNaN)) }
                #expect(first == nil, "\(name) w\(w) differs at \(first ?? 0): \(first.map { ours[$0] } ?? 0) vs \(first.map { expected[$0] } ?? 0)")
            }
        }
    }

    // MARK: NaN inside and before the data

    @Test func smaIsNaNWhileTheWindowHoldsANaN() {
        // [1,2,3,NaN,5,6,7,8], w=3: t2 (1+2+3)/3 = 2; windows ending at 3, 4, 5 hold the NaN;
        // t6 (5+6+7)/3 = 6; t7 (6+7+8)/3 = 7.
        expectSeries(Kernel.run([1, 2, 3, nan, 5, 6, 7, 8]) { Rolling.mean($0, window: 3, into: $1) },
                     [nan, nan, 2, nan, nan, nan, 6, 7], "sma w3 interior NaN")
    }

    @Test func emaRestartsAfterAnInteriorNaN() {
        // w=3, k = 2/(3+1) = 0.5, seeded with the SMA of the first 3 values.
        // [1,2,3,4 | NaN | 10,20,30,40]: t2 seed (1+2+3)/3 = 2; t3 2 + 0.5*(4-2) = 3; t4 NaN;
        // restart at 5: lookback 2 -> first value at 7 = (10+20+30)/3 = 20; t8 20 + 0.5*20 = 30.
        expectSeries(Kernel.run([1, 2, 3, 4, nan, 10, 20, 30, 40]) { Rolling.ema($0, window: 3, into: $1) },
                     [nan, nan, 2, 3, nan, nan, nan, 20, 30], "ema w3 interior NaN")
    }

    @Test func rsiRestartsAfterAnInteriorNaN() {
        // Wilder RSI, w=2 (lookback 2): avg = (avg*(n-1) + move)/n after a plain mean seed.
        // [1,2,4,3 | NaN | 5,6,4,5]
        // t2: gains 1, 2 -> avgGain 1.5, avgLoss 0 -> 100*1.5/1.5 = 100
        // t3: move -1 -> avgGain (1.5+0)/2 = 0.75, avgLoss (0+1)/2 = 0.5 -> 100*0.75/1.25 = 60
        // t4 NaN; restart at 5: t7 moves +1, -2 -> 0.5 and 1.0 -> 100*0.5/1.5 = 100/3
        // t8: move +1 -> avgGain (0.5+1)/2 = 0.75, avgLoss (1+0)/2 = 0.5 -> 60
        expectSeries(Kernel.run([1, 2, 4, 3, nan, 5, 6, 4, 5]) { Indicators.rsi($0, window: 2, into: $1) },
                     [nan, nan, 100, 60, nan, nan, nan, 100.0 / 3, 60], "rsi w2 interior NaN")
    }

    @Test func atrRestartsAfterAnInteriorNaN() {
        // high = close + 1, low = close - 1, so TR[t] = max(2, |dc + 1|, |dc - 1|) = |dc| + 1 for
        // |dc| >= 1 (dc = close[t] - close[t-1]). ATR(2): lookback 2, first = mean(TR[1], TR[2]).
        // close [10,11,13,12 | NaN | 20,22,21,25]:
        // TR[1] = 2, TR[2] = 3, TR[3] = 2 -> t2 (2+3)/2 = 2.5; t3 (2.5*1 + 2)/2 = 2.25; t4 NaN;
        // restart at 5: TR[6] = 3, TR[7] = 2, TR[8] = 5 -> t7 (3+2)/2 = 2.5; t8 (2.5 + 5)/2 = 3.75.
        let close: [Double] = [10, 11, 13, 12, nan, 20, 22, 21, 25]
        let high = close.map { $0 + 1 }, low = close.map { $0 - 1 }
        expectSeries(Kernel.run(high, low, close) {
            Indicators.atr(high: $0, low: $1, close: $2, window: 2, into: $3)
        }, [nan, nan, 2.5, 2.25, nan, nan, nan, 2.5, 3.75], "atr w2 interior NaN")
    }

    /// Windows above 256 sort stretches of max(window, 4096) outputs with the window before them:
    /// long enough runs to cross stretch boundaries, with ties, and a NaN between two runs.
    @Test func largeWindowOrderStatisticsAcrossStretches() {
        var state: UInt64 = 5
        var x: [Double] = (0..<8_400).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double((state >> 33) % 500)
        }
        let whole = x
        x[6_000] = nan
        func definition(_ w: Int, _ statistic: (ArraySlice<Double>, Double) -> Double) -> [Double] {
            x.indices.map { t in
                guard t >= w - 1 else { return nan }
                let window = x[(t - w + 1)...t]
                return window.contains(where: \.isNaN) ? nan : statistic(window, x[t])
            }
        }
        func expectSame(_ ours: [Double], _ expected: [Double], _ what: String) {
            let first = ours.indices.first { !(ours[$0] == expected[$0] || (ours[$0].isNaN && expected[$0].isNaN)) }
            #expect(first == nil, "\(what) differs at \(first ?? 0)")
        }
        for w in [300] {
            expectSame(Kernel.run(x) { Rolling.median($0, window: w, into: $1) },
                       definition(w) { window, _ in
                           let v = window.sorted()
                           return w % 2 == 1 ? v[w / 2] : (v[w / 2 - 1] + v[w / 2]) / 2
                       }, "median w\(w)")
            expectSame(Kernel.run(x) { Rolling.percentRank($0, window: w, into: $1) },
                       definition(w) { window, v in Double(window.filter { $0 <= v }.count) / Double(w) }, "rank w\(w)")
        }
        x = whole    // one run of 8,400 bars: 4,301 outputs, two stretches of 4,100
        expectSame(Kernel.run(x) { Rolling.percentRank($0, window: 4_100, into: $1) },
                   definition(4_100) { window, v in Double(window.filter { $0 <= v }.count) / 4_100 }, "rank w4100")
    }

    /// The moving sum works in blocks of 1024 bars cut in two halves summed side by side, and finds
    /// NaN only after a block: a NaN in a block's first half, one in its second half, an infinity,
    /// and a run too short for a block. Each side of a bad bar must be the average of that side
    /// alone, and the two halves must give each window the exact sum rounded once: here every
    /// value is a multiple of 1/4 far below 2^50, so sums are exact and each average must equal
    /// the exact sum divided once.
    @Test func movingAverageAroundBadBarsEqualsTheAverageOfEachSide() {
        var state: UInt64 = 11
        var x: [Double] = (0..<5_000).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 40) / 4
        }
        let cuts = [1_300, 2_100, 2_140]     // block 2 (bars 1024+w-1...), first half; block 2's second half; a short run
        x[cuts[0]] = nan; x[cuts[1]] = .infinity; x[cuts[2]] = nan
        for w in [1, 5, 20, 300] {
            let ours = Kernel.run(x) { Rolling.mean($0, window: w, into: $1) }
            var start = 0
            for end in cuts + [x.count] {
                let side = Array(x[start..<end])
                var expected = [Double](repeating: nan, count: side.count)
                if side.count >= w {
                    for t in (w - 1)..<side.count { expected[t] = side[(t - w + 1)...t].reduce(0, +) / Double(w) }
                }
                let got = Array(ours[start..<end])
                let first = got.indices.first { !(got[$0] == expected[$0] || (got[$0].isNaN && expected[$0].isNaN)) }
                #expect(first == nil, "sma w\(w) bars \(start)..<\(end) differs at \(first.map { start + $0 } ?? 0)")
                if end < x.count { #expect(ours[end].isNaN) }
                start = end + 1
            }
        }
    }

    /// Long enough for the block path (512-bar blocks of four-bar groups): a NaN inside a block
    /// (bar 1_000), one just after a block boundary and one in the last partial group. Each side of
    /// a NaN must be the ATR of that side alone, as if the series began after it.
    @Test func atrAroundInteriorNaNEqualsTheAtrOfEachSide() {
        var state: UInt64 = 3
        var close: [Double] = [], price = 100.0
        for _ in 0..<2_600 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            price *= 1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.02
            close.append(price)
        }
        let high = close.map { $0 * 1.004 }, low = close.map { $0 * 0.996 }
        func atr(_ h: [Double], _ l: [Double], _ c: [Double]) -> [Double] {
            Kernel.run(h, l, c) { Indicators.atr(high: $0, low: $1, close: $2, window: 14, into: $3) }
        }
        let cuts = [1_000, 1_529, 2_598]
        var withGaps = close
        for cut in cuts { withGaps[cut] = nan }
        let ours = atr(high, low, withGaps)
        var start = 0
        for end in cuts + [close.count] {
            let side = atr(Array(high[start..<end]), Array(low[start..<end]), Array(close[start..<end]))
            expectSeries(Array(ours[start..<end]), side, "atr bars \(start)..<\(end)")
            if end < close.count { #expect(ours[end].isNaN) }
            start = end + 1
        }
    }

    @Test func leadingNaNAreSkipped() {
        // [NaN,NaN,1,2,3,4,5], EMA w=3: the series starts at index 2, so the first value is at
        // 2 + 3 - 1 = 4: seed (1+2+3)/3 = 2; then 2 + 0.5*(4-2) = 3; 3 + 0.5*(5-3) = 4.
        expectSeries(Kernel.run([nan, nan, 1, 2, 3, 4, 5]) { Rolling.ema($0, window: 3, into: $1) },
                     [nan, nan, nan, nan, 2, 3, 4], "ema w3 leading NaN")
        // [NaN,1,2,4,3], RSI w=2: starts at 1, first value at 1 + 2 = 3: 100, then 60 (as above).
        expectSeries(Kernel.run([nan, 1, 2, 4, 3]) { Indicators.rsi($0, window: 2, into: $1) },
                     [nan, nan, nan, 100, 60], "rsi w2 leading NaN")
    }

    // MARK: Lengths

    @Test func lengthBelowWindowIsAllNaN() {
        let x: [Double] = [1, 2, 3]
        for (name, out) in [
            ("sma", Kernel.run(x) { Rolling.mean($0, window: 5, into: $1) }),
            ("ema", Kernel.run(x) { Rolling.ema($0, window: 5, into: $1) }),
            ("wma", Kernel.run(x) { Rolling.wma($0, window: 5, into: $1) }),
            ("std", Kernel.run(x) { Rolling.standardDeviation($0, window: 5, into: $1) }),
            ("zscore", Kernel.run(x) { Rolling.zScore($0, window: 5, into: $1) }),
            ("max", Kernel.run(x) { Rolling.max($0, window: 5, into: $1) }),
            ("median", Kernel.run(x) { Rolling.median($0, window: 5, into: $1) }),
            ("rank", Kernel.run(x) { Rolling.percentRank($0, window: 5, into: $1) }),
            ("rsi", Kernel.run(x) { Indicators.rsi($0, window: 5, into: $1) }),
            // RSI's lookback is the window itself: 3 values are one short of RSI(3).
            ("rsi w=length", Kernel.run(x) { Indicators.rsi($0, window: 3, into: $1) }),
            ("lag", Kernel.run(x) { Transforms.lag($0, periods: 7, into: $1) }),
        ] {
            expectSeries(out, [nan, nan, nan], "\(name), length 3 < window")
        }
    }

    @Test func windowEqualToLength() {
        // [1,2,3,4], w=4: one output, at index 3.
        // sma 10/4 = 2.5; ema seed = sma = 2.5; wma (1*1+2*2+3*3+4*4)/10 = 3; sum 10; max 4;
        // population std sqrt(((1.5)^2+(0.5)^2)*2/4) = sqrt(1.25); median 2.5; rank 4/4 = 1;
        // quantile q=0.9: position 0.9*3 = 2.7 -> 3 + 0.7*(4-3) = 3.7.
        let x: [Double] = [1, 2, 3, 4]
        func last(_ v: Double) -> [Double] { [nan, nan, nan, v] }
        expectSeries(Kernel.run(x) { Rolling.mean($0, window: 4, into: $1) }, last(2.5), "sma w=n")
        expectSeries(Kernel.run(x) { Rolling.ema($0, window: 4, into: $1) }, last(2.5), "ema w=n")
        expectSeries(Kernel.run(x) { Rolling.wma($0, window: 4, into: $1) }, last(3), "wma w=n")
        expectSeries(Kernel.run(x) { Rolling.sum($0, window: 4, into: $1) }, last(10), "sum w=n")
        expectSeries(Kernel.run(x) { Rolling.max($0, window: 4, into: $1) }, last(4), "max w=n")
        expectSeries(Kernel.run(x) { Rolling.standardDeviation($0, window: 4, into: $1) },
                     last((1.25).squareRoot()), "std w=n")
        expectSeries(Kernel.run(x) { Rolling.median($0, window: 4, into: $1) }, last(2.5), "median w=n")
        expectSeries(Kernel.run(x) { Rolling.percentRank($0, window: 4, into: $1) }, last(1), "rank w=n")
        expectSeries(Kernel.run(x) { Rolling.quantile($0, window: 4, probability: 0.9, into: $1) },
                     last(3.7), "quantile w=n q0.9")
    }

    @Test func lengthOne() {
        // One value, window 1: it is its own mean, EMA (k = 1), max, median and rank (1/1);
        // std 0, so zscore NaN. RSI(2) and diff/lag need an earlier bar: NaN.
        let x: [Double] = [7]
        expectSeries(Kernel.run(x) { Rolling.mean($0, window: 1, into: $1) }, [7], "sma w1")
        expectSeries(Kernel.run(x) { Rolling.ema($0, window: 1, into: $1) }, [7], "ema w1")
        expectSeries(Kernel.run(x) { Rolling.max($0, window: 1, into: $1) }, [7], "max w1")
        expectSeries(Kernel.run(x) { Rolling.median($0, window: 1, into: $1) }, [7], "median w1")
        expectSeries(Kernel.run(x) { Rolling.percentRank($0, window: 1, into: $1) }, [1], "rank w1")
        expectSeries(Kernel.run(x) { Rolling.standardDeviation($0, window: 1, into: $1) }, [0], "std w1")
        expectSeries(Kernel.run(x) { Rolling.zScore($0, window: 1, into: $1) }, [nan], "zscore w1")
        expectSeries(Kernel.run(x) { Indicators.rsi($0, window: 2, into: $1) }, [nan], "rsi w2")
        expectSeries(Kernel.run(x) { Transforms.diff($0, periods: 1, into: $1) }, [nan], "diff 1")
        expectSeries(Kernel.run(x) { Transforms.lag($0, periods: 1, into: $1) }, [nan], "lag 1")
        expectSeries(Kernel.run(x) { Transforms.cumulativeSum($0, into: $1) }, [7], "cumsum")
        expectSeries(Kernel.run(x) { Stats.forwardReturn($0, horizon: 1, into: $1) }, [nan], "fwd 1")
    }

    @Test func emptyInputGivesEmptyOutput() {
        let x: [Double] = []
        #expect(Kernel.run(x) { Rolling.mean($0, window: 3, into: $1) }.isEmpty)
        #expect(Kernel.run(x) { Rolling.ema($0, window: 3, into: $1) }.isEmpty)
        #expect(Kernel.run(x) { Rolling.standardDeviation($0, window: 3, into: $1) }.isEmpty)
        #expect(Kernel.run(x) { Rolling.max($0, window: 3, into: $1) }.isEmpty)
        #expect(Kernel.run(x) { Rolling.percentRank($0, window: 3, into: $1) }.isEmpty)
        #expect(Kernel.run(x) { Indicators.rsi($0, window: 3, into: $1) }.isEmpty)
        #expect(Kernel.run(x) { Transforms.cumulativeSum($0, into: $1) }.isEmpty)
    }

    @Test func allNaNInputGivesAllNaN() {
        let x = [Double](repeating: nan, count: 6)
        for (name, out) in [
            ("sma", Kernel.run(x) { Rolling.mean($0, window: 2, into: $1) }),
            ("ema", Kernel.run(x) { Rolling.ema($0, window: 2, into: $1) }),
            ("wma", Kernel.run(x) { Rolling.wma($0, window: 2, into: $1) }),
            ("std", Kernel.run(x) { Rolling.standardDeviation($0, window: 2, into: $1) }),
            ("zscore", Kernel.run(x) { Rolling.zScore($0, window: 2, into: $1) }),
            ("max", Kernel.run(x) { Rolling.max($0, window: 2, into: $1) }),
            ("min", Kernel.run(x) { Rolling.min($0, window: 2, into: $1) }),
            ("median", Kernel.run(x) { Rolling.median($0, window: 2, into: $1) }),
            ("rank", Kernel.run(x) { Rolling.percentRank($0, window: 2, into: $1) }),
            ("rsi", Kernel.run(x) { Indicators.rsi($0, window: 2, into: $1) }),
            ("diff", Kernel.run(x) { Transforms.diff($0, periods: 1, into: $1) }),
            ("cumsum", Kernel.run(x) { Transforms.cumulativeSum($0, into: $1) }),
            ("cumprod", Kernel.run(x) { Transforms.cumulativeProduct($0, into: $1) }),
            ("ffill", Kernel.run(x) { Transforms.forwardFill($0, into: $1) }),
            ("corr", Kernel.run(x, x) { Rolling.correlation($0, $1, window: 2, into: $2) }),
        ] {
            expectSeries(out, x, "\(name) of all NaN")
        }
    }

    // MARK: Events

    @Test func crossingNeedsStrictlyAboveAfterAtOrBelow() {
        // b = 3. crossover at t: a[t] > 3 and a[t-1] <= 3, both non-NaN; index 0 has no prior bar.
        // a: 1  3  4  3  2  NaN 4  5  3  4
        // t2: 4 > 3 after touching 3 -> 1; t6: prior bar NaN -> 0; t7: was already above -> 0;
        // t9: 4 > 3 after 3 -> 1.  Touching (a == 3) is never a crossing.
        // crossunder (a[t] < 3 and a[t-1] >= 3): only t4 (2 after 3).
        let a: [Double] = [1, 3, 4, 3, 2, nan, 4, 5, 3, 4]
        expectSeries(Kernel.run(a) { Events.crossover($0, .scalar(3), into: $1) },
                     [0, 0, 1, 0, 0, 0, 0, 0, 0, 1], "crossover scalar 3")
        expectSeries(Kernel.run(a) { Events.crossunder($0, .scalar(3), into: $1) },
                     [0, 0, 0, 0, 1, 0, 0, 0, 0, 0], "crossunder scalar 3")
    }

    @Test func crossingAgainstASeriesWithANaN() {
        // a: 1 2 3 2 1 3 1;  b: 2 2 2 NaN 2 2 2
        // crossover: t1 2 > 2? no; t2 3 > 2 after 2 <= 2 -> 1; t3 and t4 see b's NaN -> 0;
        // t5 3 > 2 after 1 <= 2 -> 1.  crossunder: t4 would (1 < 2 after 2 >= NaN) but b[3] is
        // NaN -> 0; t6 1 < 2 after 3 >= 2 -> 1.
        let a: [Double] = [1, 2, 3, 2, 1, 3, 1], b: [Double] = [2, 2, 2, nan, 2, 2, 2]
        expectSeries(Kernel.run(a, b) { Events.crossover($0, .series($1), into: $2) },
                     [0, 0, 1, 0, 0, 1, 0], "crossover series")
        expectSeries(Kernel.run(a, b) { Events.crossunder($0, .series($1), into: $2) },
                     [0, 0, 0, 0, 0, 0, 1], "crossunder series")
    }

    @Test func barsSinceCountsFromTheLastTrueBar() {
        // mask 0 1 0 0 1 1 0 -> NaN before the first true, 0 on a true bar, +1 per bar after.
        expectSeries(Kernel.run([0, 1, 0, 0, 1, 1, 0]) { Events.barsSince($0, into: $1) },
                     [nan, 0, 1, 2, 0, 0, 1], "bars_since")
        expectSeries(Kernel.run([1, 0, 0]) { Events.barsSince($0, into: $1) }, [0, 1, 2],
                     "bars_since from 0")
        expectSeries(Kernel.run([0, 0]) { Events.barsSince($0, into: $1) }, [nan, nan], "bars_since never")
    }

    // MARK: Transforms

    @Test func lagAndDiff() {
        // x = [1,4,9,NaN,25]
        // lag 1: [NaN,1,4,9,NaN]; lag 2: [NaN,NaN,1,4,9]; lag 0: x itself.
        // diff 1: [NaN, 4-1, 9-4, NaN-9, 25-NaN] = [NaN,3,5,NaN,NaN]; diff 2: [NaN,NaN,9-1,NaN,25-9].
        let x: [Double] = [1, 4, 9, nan, 25]
        func lag(_ k: Int) -> [Double] { Kernel.run(x) { Transforms.lag($0, periods: k, into: $1) } }
        func diff(_ k: Int) -> [Double] { Kernel.run(x) { Transforms.diff($0, periods: k, into: $1) } }
        expectSeries(lag(1), [nan, 1, 4, 9, nan], "lag 1")
        expectSeries(lag(2), [nan, nan, 1, 4, 9], "lag 2")
        expectSeries(lag(0), x, "lag 0")
        expectSeries(diff(1), [nan, 3, 5, nan, nan], "diff 1")
        expectSeries(diff(2), [nan, nan, 8, nan, 16], "diff 2")
    }

    @Test func selectWithScalarAndSeriesOperands() {
        // mask 1 0 1 0 picks a where 1, b where 0.
        let mask: [Double] = [1, 0, 1, 0]
        let s: [Double] = [1, 2, 3, 4], t: [Double] = [10, 20, nan, 40]
        expectSeries(Kernel.run(mask, s) { Transforms.select($0, .scalar(5), .series($1), into: $2) },
                     [5, 2, 5, 4], "where(m, 5, s)")
        // A NaN in the picked operand passes through.
        expectSeries(Kernel.run(mask, t) { Transforms.select($0, .series($1), .scalar(-1), into: $2) },
                     [10, -1, nan, -1], "where(m, t, -1)")
        expectSeries(Kernel.run(mask) { Transforms.select($0, .scalar(7), .scalar(8), into: $1) },
                     [7, 8, 7, 8], "where(m, 7, 8)")
        expectSeries(Kernel.run(mask, s, [10, 20, 30, 40]) {
            Transforms.select($0, .series($2), .series($1), into: $3)
        }, [10, 2, 30, 4], "where(m, series, series)")
    }

    @Test func clipKeepsNaN() {
        // clip to [0, 5]: -5 -> 0, 0 -> 0, 3 -> 3, 10 -> 5, NaN stays NaN (numpy/pandas).
        expectSeries(Kernel.run([-5, 0, 3, 10, nan]) { Transforms.clip($0, lower: 0, upper: 5, into: $1) },
                     [0, 0, 3, 5, nan], "clip 0...5")
    }

    @Test func fillNaNAndForwardFill() {
        expectSeries(Kernel.run([nan, 1, nan, 3]) { Transforms.fillNaN($0, with: 0, into: $1) },
                     [0, 1, 0, 3], "fillna 0")
        // ffill: a leading NaN has nothing to carry; later NaN take the last value seen.
        expectSeries(Kernel.run([nan, 1, nan, nan, 4, nan]) { Transforms.forwardFill($0, into: $1) },
                     [nan, 1, 1, 1, 4, 4], "ffill")
    }

    @Test func cumulativeSumAndProductSkipNaN() {
        // pandas skipna: NaN stays NaN, the running total carries on past it.
        // cumsum [1,NaN,2,3] -> [1,NaN,3,6]; [NaN,1,2] -> [NaN,1,3]; cumprod [2,NaN,3,0.5] -> [2,NaN,6,3]
        expectSeries(Kernel.run([1, nan, 2, 3]) { Transforms.cumulativeSum($0, into: $1) },
                     [1, nan, 3, 6], "cumsum interior NaN")
        expectSeries(Kernel.run([nan, 1, 2]) { Transforms.cumulativeSum($0, into: $1) },
                     [nan, 1, 3], "cumsum leading NaN")
        expectSeries(Kernel.run([2, nan, 3, 0.5]) { Transforms.cumulativeProduct($0, into: $1) },
                     [2, nan, 6, 3], "cumprod interior NaN")
    }

    @Test func elementwiseMath() {
        // sign: -1/0/+1, NaN stays NaN (numpy.sign).
        expectSeries(Kernel.run([-2, 0, 3, nan]) { Transforms.sign($0, into: $1) }, [-1, 0, 1, nan], "sign")
        expectSeries(Kernel.run([-2, 0, nan]) { Transforms.absolute($0, into: $1) }, [2, 0, nan], "abs")
        expectSeries(Kernel.run([1, M_E]) { Transforms.log($0, into: $1) }, [0, 1], "log")
        expectSeries(Kernel.run([0, 1]) { Transforms.exp($0, into: $1) }, [1, M_E], "exp")
    }

    // MARK: Indicators

    @Test func returns() {
        // x = [100,125,100,50], one bar: pct_change 125/100-1 = 0.25, 100/125-1 = -0.2, 50/100-1 =
        // -0.5; log_return log(1.25), log(0.8), log(0.5); roc (TA-Lib, percent) 25, -20, -50.
        let x: [Double] = [100, 125, 100, 50]
        expectSeries(Kernel.run(x) { Indicators.pctChange($0, periods: 1, into: $1) },
                     [nan, 0.25, -0.2, -0.5], "pct_change 1")
        expectSeries(Kernel.run(x) { Indicators.logReturn($0, periods: 1, into: $1) },
                     [nan, log(1.25), log(0.8), log(0.5)], "log_return 1")
        expectSeries(Kernel.run(x) { Indicators.roc($0, window: 1, into: $1) },
                     [nan, 25, -20, -50], "roc 1")
        // pct_change 2: 100/100-1 = 0, 50/125-1 = -0.6.
        expectSeries(Kernel.run(x) { Indicators.pctChange($0, periods: 2, into: $1) },
                     [nan, nan, 0, -0.6], "pct_change 2")
    }

    @Test func forwardReturnLooksAhead() {
        // close [100,110,99,99], horizon 1: 110/100-1 = 0.1, 99/110-1 = -0.1, 99/99-1 = 0, then
        // no future bar -> NaN. With a NaN inside, every return touching it is NaN.
        expectSeries(Kernel.run([100, 110, 99, 99]) { Stats.forwardReturn($0, horizon: 1, into: $1) },
                     [0.1, -0.1, 0, nan], "forward_return 1")
        expectSeries(Kernel.run([100, nan, 120, 60]) { Stats.forwardReturn($0, horizon: 1, into: $1) },
                     [nan, nan, -0.5, nan], "forward_return 1 with NaN")
    }

    @Test func onBalanceVolume() {
        // TA-Lib OBV starts at volume[0]; +volume on an up close, -volume on a down close, 0 when
        // unchanged: close [10,11,11,9,12], volume [5,3,4,2,6] -> 5, 8, 8, 6, 12.
        expectSeries(Kernel.run([10, 11, 11, 9, 12], [5, 3, 4, 2, 6]) {
            Indicators.obv(close: $0, volume: $1, into: $2)
        }, [5, 8, 8, 6, 12], "obv")
    }

    @Test func rollingVWAP() {
        // typical = (h+l+c)/3 = 9, 12, 6 with volume 1, 2, 3; window 2:
        // t1 (9*1 + 12*2)/(1+2) = 33/3 = 11; t2 (12*2 + 6*3)/(2+3) = 42/5 = 8.4.
        expectSeries(Kernel.run([12, 15, 9], [6, 9, 3], [9, 12, 6], [1, 2, 3]) {
            Indicators.vwap(high: $0, low: $1, close: $2, volume: $3, window: 2, into: $4)
        }, [nan, 11, 8.4], "vwap w2")
    }

    // MARK: Stats

    @Test func spearmanAveragesTiedRanks() {
        // a = [1,2,2,3] -> ranks 1, 2.5, 2.5, 4;  b = [10,20,30,30] -> ranks 1, 2, 3.5, 3.5.
        // Pearson of the ranks (both mean 2.5): devs a -1.5 0 0 1.5, b -1.5 -0.5 1 1;
        // sum of products 2.25 + 1.5 = 3.75; sums of squares 4.5 and 4.5 -> 3.75/4.5 = 5/6.
        expectClose(spearman([1, 2, 2, 3], [10, 20, 30, 30]), 5.0 / 6, "spearman with ties")
        // Pairs with a NaN on either side are dropped first: the same four pairs remain.
        expectClose(spearman([1, nan, 2, 2, 3, 7], [10, 5, 20, 30, 30, nan]), 5.0 / 6,
                    "spearman dropping NaN pairs")
        // Monotone but non-linear: +1; reversed: -1.
        expectClose(spearman([1, 2, 3, 4], [1, 10, 100, 1000]), 1, "spearman monotone")
        expectClose(spearman([1, 2, 3, 4], [1000, 100, 10, 1]), -1, "spearman reversed")
    }

    @Test func spearmanIsNaNWithoutVariation() {
        // A constant side has no rank variation: undefined, NaN (scipy returns NaN as well).
        expectClose(spearman([1, 2, 3], [5, 5, 5]), nan, "spearman with a constant side")
    }

    @Test func timeOfBar() {
        // ms UTC: 2024-01-01 00:00 (a Monday), 23:59:59.999 the same day, 2024-01-02 00:00,
        // 1969-12-31 23:00 (a Wednesday; negative times floor, not truncate), 1970-01-01 00:00 (a
        // Thursday), NaN. day_of_week is pandas' (Monday = 0).
        let t: [Double] = [1_704_067_200_000, 1_704_153_599_999, 1_704_153_600_000, -3_600_000, 0, nan]
        expectSeries(Kernel.run(t) { Stats.hourOfDay($0, into: $1) }, [0, 23, 0, 23, 0, nan], "hour_of_day")
        expectSeries(Kernel.run(t) { Stats.dayOfWeek($0, into: $1) }, [0, 0, 1, 2, 3, nan], "day_of_week")
    }

    // MARK: Helpers

    private func spearman(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in Stats.spearman(a, b) } }
    }
}
