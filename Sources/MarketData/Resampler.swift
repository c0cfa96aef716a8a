/// Builds coarser bars from finer ones (1m → 5m, 15m, 1h, 4h, 1d) when only finer data is stored.
///
/// Buckets are aligned to the UTC epoch (a 4h bar opens at 00, 04, 08 ... UTC; 1d at midnight):
/// open is the first bar's, high the max, low the min, close the last's; volume, quote volume,
/// trades and taker-buy volume are summed, other columns take the last value. A trailing bucket
/// that is not complete yet is left out, so no bar pretends to be closed when it is not.
package enum Resampler {
    static let summed: Set<String> = ["quote_volume", "trades", "taker_buy_volume"]

    /// - Complexity: O(n).
    package static func resample(_ bars: Bars, to interval: String) -> Bars {
        guard let size = Interval.milliseconds(interval), bars.count > 0 else { return bars }
        let step = bars.count > 1 ? bars.time[1] - bars.time[0] : size
        var out = Bars(symbol: bars.symbol, interval: interval)
        out.fundingEvents = bars.fundingEvents
        var extras = bars.extra.map { (name: $0.name, values: [Double]()) }
        var i = 0
        while i < bars.count {
            let bucket = (bars.time[i] / size).rounded(.down) * size
            var j = i
            var high = bars.high[i], low = bars.low[i], volume = 0.0
            while j < bars.count, bars.time[j] < bucket + size {
                high = max(high, bars.high[j]); low = min(low, bars.low[j]); volume += bars.volume[j]
                j += 1
            }
            let complete = bars.time[j - 1] + step >= bucket + size
            if j < bars.count || complete {
                out.time.append(bucket); out.open.append(bars.open[i]); out.high.append(high); out.low.append(low)
                out.close.append(bars.close[j - 1]); out.volume.append(volume)
                for (k, column) in bars.extra.enumerated() {
                    extras[k].values.append(summed.contains(column.name) ? column.values[i..<j].reduce(0, +) : column.values[j - 1])
                }
            }
            i = j
        }
        out.extra = extras.map { ($0.name, $0.values) }
        return out
    }
}
