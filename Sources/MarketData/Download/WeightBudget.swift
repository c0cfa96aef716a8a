import Foundation

/// The exchange's request-weight budget, shared by every request of a download.
///
/// Binance counts weight per IP in fixed one-minute windows (`X-MBX-USED-WEIGHT-1M`, limit 2400).
/// Each request reserves its weight first; when the minute is nearly spent (85 %) requests wait for
/// the next minute. A 429's `Retry-After` pauses everyone; a 418 (ban) makes every later request fail.
actor WeightBudget {
    let limit: Int
    private var used = 0
    private var minute: Int64 = -1
    private var pausedUntil: Double = 0
    private var ban: DownloadError?
    private let onWait: @Sendable (String) -> Void

    init(limit: Int = 2400, onWait: @escaping @Sendable (String) -> Void) {
        self.limit = limit
        self.onWait = onWait
    }

    /// Waits until `weight` fits in the current minute and no pause is in force, then reserves it.
    /// - Throws: the ban error after a 418, or `CancellationError`.
    func acquire(weight: Int) async throws {
        while true {
            if let ban { throw ban }
            try Task.checkCancellation()
            let now = Date().timeIntervalSince1970
            if pausedUntil > now {
                try await Task.sleep(nanoseconds: UInt64((pausedUntil - now) * 1e9))
                continue
            }
            let thisMinute = Int64(now / 60)
            if thisMinute != minute { minute = thisMinute; used = 0 }
            if weight > 0, used > 0, Double(used + weight) > Double(limit) * 0.85 {
                let wait = Double(thisMinute + 1) * 60 - now + 0.05
                onWait("request weight \(used)/\(limit) this minute; waiting \(Int(wait.rounded(.up))) s")
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                continue
            }
            used += weight
            return
        }
    }

    /// Takes the server's count (`X-MBX-USED-WEIGHT-1M`) when it is above ours.
    func observe(usedWeight: Int) {
        let thisMinute = Int64(Date().timeIntervalSince1970 / 60)
        if thisMinute != minute { minute = thisMinute; used = usedWeight } else { used = max(used, usedWeight) }
    }

    /// Stops every request for `seconds` (429 `Retry-After`).
    func pause(seconds: Double) {
        pausedUntil = max(pausedUntil, Date().timeIntervalSince1970 + seconds)
        onWait("rate limited (429); waiting \(Int(seconds.rounded(.up))) s")
    }

    /// Fails this and every later request with `error` (418).
    func stop(_ error: DownloadError) {
        if ban == nil { ban = error }
    }

    var isStopped: DownloadError? { ban }
}

/// At most `permits` requests in flight.
actor RequestGate {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { available = max(1, permits) }

    func acquire() async {
        if available > 0 { available -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }
}
