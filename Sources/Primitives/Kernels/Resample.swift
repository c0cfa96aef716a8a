/// Coarser bars, aligned back onto the bars they came from without lookahead (`resample`).
package enum Resample {
    /// How a coarse bar sums up the fine bars inside it; NaN values are skipped, as pandas does.
    package enum Aggregation: String, Sendable, CaseIterable {
        case last, first, max, min, sum, mean
    }

    /// The coarse intervals, in milliseconds. Weeks begin on Monday 00:00 UTC, as Binance's do.
    package static let intervals: [(name: String, milliseconds: Int64)] = [
        ("5m", 300_000), ("15m", 900_000), ("30m", 1_800_000), ("1h", 3_600_000), ("2h", 7_200_000), ("4h", 14_400_000),
        ("6h", 21_600_000), ("8h", 28_800_000), ("12h", 43_200_000), ("1d", 86_400_000), ("1w", 604_800_000),
    ]

    /// Each bar gets the value of the coarse bar that closed last at or before its open: the
    /// coarse bar of the previous bucket, complete by then; NaN when that bucket held no bar (the
    /// series' start, a gap) or the time is not finite. `time` is the bars' open times in ms,
    /// ascending.
    /// - Complexity: O(n), no allocation.
    package static func aligned(_ x: UnsafeBufferPointer<Double>, time: UnsafeBufferPointer<Double>, interval: Int64,
                                how: Aggregation, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == x.count && time.count == x.count && interval > 0)
        // 1970-01-01 was a Thursday: Monday-based weeks start four days later.
        let origin: Int64 = interval == 604_800_000 ? 4 * 86_400_000 : 0
        var bucket = Int64.min
        var completed = (bucket: Int64.min, value: Double.nan)
        var state = State(how)
        for i in 0..<x.count {
            let t = time[i]
            guard t.isFinite, t.magnitude < 9.0e18 else { out[i] = .nan; continue }
            let b = floorDivide(Int64(t.rounded(.down)) - origin, interval)
            if b != bucket {
                if bucket != .min { completed = (bucket, state.value) }
                bucket = b
                state = State(how)
            }
            out[i] = completed.bucket == b - 1 ? completed.value : .nan
            state.add(x[i])
        }
    }

    private struct State {
        let how: Aggregation
        var value: Double
        var count = 0

        init(_ how: Aggregation) {
            self.how = how
            // Nothing known in the bucket gives NaN for every aggregation, the sum included
            // (pandas' min_count=1): a warm-up of zeros would read as data.
            value = .nan
        }

        mutating func add(_ v: Double) {
            guard !v.isNaN else { return }
            switch how {
            case .last: value = v
            case .first: if count == 0 { value = v }
            case .max: value = count == 0 ? v : Swift.max(value, v)
            case .min: value = count == 0 ? v : Swift.min(value, v)
            case .sum: value = count == 0 ? v : value + v
            case .mean: value = count == 0 ? v : value + (v - value) / Double(count + 1)
            }
            count += 1
        }
    }

    @inline(__always)
    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }
}
