/// Research statistics and calendar features (DESIGN §3.2 "Stats for research", "Cross-section/time").
package enum Stats {}

extension Stats {
    /// Spearman rank correlation (scipy `spearmanr`) over the pairs where both values are non-NaN;
    /// ties get average ranks.
    ///
    /// NaN when fewer than 3 pairs remain or when either rank vector is constant.
    /// - Complexity: O(n) time (two radix sorts); allocates O(n) scratch.
    package static func spearman(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) -> Double {
        precondition(a.count == b.count)
        let n = a.count
        let capacity = Swift.max(n, 1)
        let keysA = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
        let keysB = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
        let scratchKeys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
        let payload = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: capacity)
        let scratchPayload = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: capacity)
        let ranksA = UnsafeMutableBufferPointer<Double>.allocate(capacity: capacity)
        let ranksB = UnsafeMutableBufferPointer<Double>.allocate(capacity: capacity)
        defer {
            keysA.deallocate(); keysB.deallocate(); scratchKeys.deallocate()
            payload.deallocate(); scratchPayload.deallocate()
            ranksA.deallocate(); ranksB.deallocate()
        }
        var m = 0
        for i in 0..<n {
            let x = a[i], y = b[i]
            if x.isNaN || y.isNaN { continue }
            keysA[m] = RadixSort.key(x)
            keysB[m] = RadixSort.key(y)
            m += 1
        }
        guard m >= 3 else { return .nan }
        guard averageRanks(keys: keysA, count: m, payload: payload, scratchKeys: scratchKeys,
                           scratchPayload: scratchPayload, into: ranksA),
              averageRanks(keys: keysB, count: m, payload: payload, scratchKeys: scratchKeys,
                           scratchPayload: scratchPayload, into: ranksB)
        else { return .nan }

        return rankCorrelation(UnsafeBufferPointer(ranksA), UnsafeBufferPointer(ranksB), 0, m)
    }

    /// 1-based average ranks of `keys[0..<count]` written to `ranks` in the original order.
    /// Returns false when every key is equal (a constant rank vector). Sorts `keys` in place.
    private static func averageRanks(keys: UnsafeMutableBufferPointer<UInt64>, count m: Int,
                                     payload: UnsafeMutableBufferPointer<UInt32>,
                                     scratchKeys: UnsafeMutableBufferPointer<UInt64>,
                                     scratchPayload: UnsafeMutableBufferPointer<UInt32>,
                                     into ranks: UnsafeMutableBufferPointer<Double>) -> Bool {
        for i in 0..<m { payload[i] = UInt32(truncatingIfNeeded: i) }
        RadixSort.sort(keys: keys, payload: payload, scratchKeys: scratchKeys,
                       scratchPayload: scratchPayload, count: m)
        if keys[0] == keys[m - 1] { return false }
        var start = 0
        while start < m {
            var end = start + 1
            while end < m && keys[end] == keys[start] { end += 1 }
            // Positions start..<end share the mean of the 1-based ranks start+1 ... end.
            let rank = Double(start + end + 1) / 2
            for p in start..<end { ranks[Int(payload[p])] = rank }
            start = end
        }
        return true
    }

    /// Forward return `close[t + horizon] / close[t] - 1`.
    ///
    /// **LOOKS AHEAD.** Bar t holds information from bar t + horizon. It exists only as the
    /// research target for `ic(factor, forward_return(d, h))`; never feed it into a signal.
    /// NaN for the last `horizon` bars and wherever either price is NaN.
    /// - Complexity: O(n), no allocation.
    package static func forwardReturn(_ close: UnsafeBufferPointer<Double>, horizon h: Int,
                                      into out: UnsafeMutableBufferPointer<Double>) {
        precondition(h >= 0 && out.count == close.count)
        let n = close.count
        let last = Swift.max(n - h, 0)
        for i in 0..<last { out[i] = close[i + h] / close[i] - 1 }
        writeNaN(out, last, n)
    }

    private static let millisecondsPerHour: Int64 = 3_600_000
    private static let millisecondsPerDay: Int64 = 86_400_000

    /// Hour of the day, 0...23, in UTC, from epoch milliseconds (negative times floor correctly).
    /// NaN for a NaN or non-finite time.
    /// - Complexity: O(n), no allocation.
    package static func hourOfDay(_ timeMs: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == timeMs.count)
        for i in 0..<timeMs.count {
            let t = timeMs[i]
            guard isCalendarTime(t) else { out[i] = .nan; continue }
            out[i] = Double(floorModulo(floorDivide(Int64(t.rounded(.down)), millisecondsPerHour), 24))
        }
    }

    /// Day of the week in UTC with Monday = 0 ... Sunday = 6 (pandas `dayofweek`), from epoch
    /// milliseconds. NaN for a NaN or non-finite time.
    /// - Complexity: O(n), no allocation.
    package static func dayOfWeek(_ timeMs: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == timeMs.count)
        for i in 0..<timeMs.count {
            let t = timeMs[i]
            guard isCalendarTime(t) else { out[i] = .nan; continue }
            // 1970-01-01 was a Thursday, which is 3 when Monday is 0.
            out[i] = Double(floorModulo(floorDivide(Int64(t.rounded(.down)), millisecondsPerDay) + 3, 7))
        }
    }

    @inline(__always)
    private static func isCalendarTime(_ t: Double) -> Bool {
        // Beyond ±9e18 ms the Int64 conversion would trap; no calendar needs it.
        t.isFinite && t.magnitude < 9.0e18
    }

    @inline(__always)
    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }

    @inline(__always)
    private static func floorModulo(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r < 0 ? r + b : r
    }
}
