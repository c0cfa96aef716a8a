#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The probability of backtest overfitting (PBO) by combinatorially symmetric cross-validation
/// (Bailey, Borwein, López de Prado & Zhu 2015, "The Probability of Backtest Overfitting",
/// J. Computational Finance 20(4)).
///
/// Given the return series of N trials (parameter settings, variants) of one idea, CSCV asks: when
/// we pick the trial that looked best in-sample, how often is it below the median out of sample?
/// A PBO near 0.5 says the selection is worth nothing; near 0, the in-sample winner keeps winning.
///
/// ```swift
/// guard let cscv = BacktestOverfitting.cscv(returns: trialReturns, splits: 16) else { ... }
/// if cscv.pbo > 0.3 { reject("in-sample selection does not carry out of sample") }
/// ```
package enum BacktestOverfitting {
    /// What CSCV found. One entry per combination in each array, in the order the combinations
    /// are enumerated: ascending bitmask of the training blocks (bit b set = block b, counted from
    /// the earliest rows, is in the training set).
    package struct Result: Sendable {
        /// Fraction of combinations whose logit is <= 0: the in-sample best trial ranked at or
        /// below the median out of sample.
        package let pbo: Double
        /// λ = ln(ω / (1 - ω)) per combination, ω = (out-of-sample rank of the selected trial,
        /// 1 = worst ... N = best, average rank on ties) / (N + 1).
        package let logits: [Double]
        /// C(s, s/2), the number of train/test splits.
        package let combinations: Int
        /// n*, the trial with the best in-sample Sharpe ratio (lowest index on ties).
        package let selectedTrials: [Int]
        /// In-sample Sharpe ratio of n* (per row, not annualized).
        package let trainPerformance: [Double]
        /// Out-of-sample Sharpe ratio of n* (per row).
        package let testPerformance: [Double]
        /// Performance degradation: the OLS slope of ``testPerformance`` on ``trainPerformance``
        /// over the combinations where both are finite. Negative or near zero when in-sample
        /// excellence does not carry over. NaN with fewer than 2 such pairs or constant
        /// in-sample values.
        package let performanceDegradation: Double
        /// Fraction of combinations where n*'s out-of-sample Sharpe ratio is < 0.
        package let probabilityOfLoss: Double
    }

    /// CSCV on a T × N matrix given as N series `returns[j]` of T rows each.
    ///
    /// The first `T mod s` rows are dropped and the rest split into `s` contiguous blocks of equal
    /// size. Each of the C(s, s/2) ways to choose s/2 blocks is a training set, its complement the
    /// test set. Performance is the Sharpe ratio mean / std (ddof = 1) of a trial's rows in the
    /// set. A trial with zero (or undefined) variance in a set performs -∞ there: it is never
    /// selected unless all are, ranks below every other trial, and counts as a loss out of sample.
    /// NaN returns are treated as 0 (no position).
    ///
    /// Each block's mean and centred sum of squares is computed once per trial (two passes); a
    /// set's variance is then combined exactly from its blocks (Chan et al.'s pairwise update:
    /// Σ M2_b + rows per block · Σ (mean_b - mean)²), so a combination costs O(N·s), not O(N·T).
    ///
    /// - Parameters:
    ///   - returns: `returns[j]` is trial j's per-row returns; all of the same length T.
    ///   - s: Number of blocks, even, in 2...24 (C(24, 12) = 2,704,156 combinations).
    /// - Returns: nil when N < 2 or T < 2s (fewer than 2 rows per block).
    /// - Complexity: O(N·T + C(s, s/2)·N·s) time, O(N·s + C(s, s/2)) memory (four arrays of
    ///   C(s, s/2) entries: 12,870 at s = 16, 2.7 million at s = 24). N = 50, T = 5000, s = 16:
    ///   about 25 ms in release on the 2-core development VM.
    package static func cscv(returns: [[Double]], splits s: Int = 16) -> Result? {
        precondition(s >= 2 && s <= 24 && s % 2 == 0, "splits must be even and in 2...24, got \(s)")
        let trials = returns.count
        guard trials >= 2 else { return nil }
        let rows = returns[0].count
        precondition(returns.allSatisfy { $0.count == rows }, "every trial needs the same number of rows")
        guard rows >= 2 * s else { return nil }
        let blockRows = rows / s
        let skip = rows - blockRows * s

        // Per trial and block: mean and centred sum of squares, laid out [trial * s + block].
        var means = [Double](repeating: 0, count: trials * s)
        var squares = [Double](repeating: 0, count: trials * s)
        for j in 0..<trials {
            returns[j].withUnsafeBufferPointer { x in
                for b in 0..<s {
                    let lo = skip + b * blockRows, hi = lo + blockRows
                    var sum = 0.0
                    for i in lo..<hi where !x[i].isNaN { sum += x[i] }
                    let mean = sum / Double(blockRows)
                    var m2 = 0.0
                    for i in lo..<hi {
                        let d = (x[i].isNaN ? 0 : x[i]) - mean
                        m2 += d * d
                    }
                    means[j * s + b] = mean
                    squares[j * s + b] = m2
                }
            }
        }

        let blockMean = means, blockM2 = squares
        let half = s / 2
        let setRows = Double(blockRows * half)
        var combinations = 1   // C(s, s/2), exact at every step
        for k in 0..<half { combinations = combinations * (s - k) / (k + 1) }
        var logits: [Double] = [], selected: [Int] = []
        var train: [Double] = [], test: [Double] = []
        logits.reserveCapacity(combinations)
        selected.reserveCapacity(combinations)
        train.reserveCapacity(combinations)
        test.reserveCapacity(combinations)
        var trainBlocks = [Int](repeating: 0, count: half), testBlocks = [Int](repeating: 0, count: half)
        var testPerformance = [Double](repeating: 0, count: trials)

        /// Sharpe ratio of trial j over the given blocks; -∞ for zero or undefined variance.
        func sharpe(_ j: Int, _ blocks: [Int]) -> Double {
            let base = j * s
            var mean = 0.0
            for b in blocks { mean += blockMean[base + b] }
            mean /= Double(half)
            var m2 = 0.0, spread = 0.0
            for b in blocks {
                m2 += blockM2[base + b]
                let d = blockMean[base + b] - mean
                spread += d * d
            }
            m2 += Double(blockRows) * spread
            let variance = m2 / (setRows - 1)
            guard variance > 0 else { return -.infinity }
            let ratio = mean / variance.squareRoot()
            return ratio.isNaN ? -.infinity : ratio
        }

        // Gosper's hack: every s-bit mask with s/2 bits set, ascending.
        var mask = (1 << half) - 1
        let limit = 1 << s
        while mask < limit {
            var t = 0, u = 0
            for b in 0..<s {
                if mask & (1 << b) != 0 { trainBlocks[t] = b; t += 1 } else { testBlocks[u] = b; u += 1 }
            }
            var best = 0, bestTrain = -Double.infinity
            for j in 0..<trials {
                let p = sharpe(j, trainBlocks)
                if j == 0 || p > bestTrain { best = j; bestTrain = p }
                testPerformance[j] = sharpe(j, testBlocks)
            }
            let chosen = testPerformance[best]
            var below = 0, equal = 0
            for j in 0..<trials {
                if testPerformance[j] < chosen { below += 1 } else if testPerformance[j] == chosen { equal += 1 }
            }
            let rank = Double(below) + Double(equal + 1) / 2
            let omega = rank / Double(trials + 1)
            logits.append(log(omega / (1 - omega)))
            selected.append(best)
            train.append(bestTrain)
            test.append(chosen)

            let lowest = mask & -mask
            let carried = mask + lowest
            mask = carried | (((mask ^ carried) >> 2) / lowest)
        }

        let count = logits.count
        assert(count == combinations)
        var overfit = 0, losses = 0
        for k in 0..<count {
            if logits[k] <= 0 { overfit += 1 }
            if test[k] < 0 { losses += 1 }
        }
        return Result(pbo: Double(overfit) / Double(count), logits: logits, combinations: count,
                      selectedTrials: selected, trainPerformance: train, testPerformance: test,
                      performanceDegradation: slope(of: test, on: train),
                      probabilityOfLoss: Double(losses) / Double(count))
    }

    /// OLS slope of y on 1 + x over the pairs where both are finite.
    private static func slope(of y: [Double], on x: [Double]) -> Double {
        var n = 0, sx = 0.0, sy = 0.0
        for k in 0..<x.count where x[k].isFinite && y[k].isFinite {
            n += 1
            sx += x[k]
            sy += y[k]
        }
        guard n >= 2 else { return .nan }
        let mx = sx / Double(n), my = sy / Double(n)
        var sxx = 0.0, sxy = 0.0
        for k in 0..<x.count where x[k].isFinite && y[k].isFinite {
            sxx += (x[k] - mx) * (x[k] - mx)
            sxy += (x[k] - mx) * (y[k] - my)
        }
        return sxx > 0 ? sxy / sxx : .nan
    }
}
