package import MarketData
package import Scripting

/// `market("ETH")` inside scripts: another symbol's bars shaped like `d`, aligned to the script's
/// own bars by open time (the bar that opens with each of them, and closes with it: never a
/// later one), NaN where it has none.
package enum MarketExtension {
    package static func make(_ catalog: MarketCatalog, own: Bars) -> HostExtension {
        make { (catalog, own) }
    }

    /// For a REPL session whose data can change: `current` gives the catalog and bars `d` holds now.
    package static func make(current: @escaping @Sendable () -> (MarketCatalog, Bars)) -> HostExtension {
        HostExtension(name: "market", timed: { call in
            let arguments = call.arguments
            let (catalog, own) = current()
            guard let symbol = arguments.first?.string, !symbol.isEmpty else {
                return .failure(HostExtensionError("market: expected a symbol, as in market(\"ETH\") or market(\"ETHUSDT\")"))
            }
            // Aligning by open time is honest only when the script's bars are really of the
            // catalog's interval: 15-minute rows labelled 1h would each get an hour bar that closes
            // 45 minutes later.
            if let problem = spacingProblem(own, interval: catalog.interval) {
                return .failure(HostExtensionError("market: \(problem)", isDataError: true))
            }
            let other: Bars
            do {
                other = try catalog.bars(symbol, secondsLeft: call.secondsLeft)
            } catch {
                return .failure(HostExtensionError(String(describing: error), isDataError: true))
            }
            let bars = other.aligned(to: own.time)
            var fields: [(String, HostValue)] = [("symbol", .string(bars.symbol)), ("interval", .string(own.interval)),
                                                 ("time", .series(bars.time, isMask: false))]
            for (name, column) in [("open", bars.open), ("high", bars.high), ("low", bars.low), ("close", bars.close),
                                   ("volume", bars.volume)] + bars.extra.map({ ($0.name, $0.values) }) {
                fields.append((name, .series(column, isMask: false)))
            }
            return .success(.table(fields))
        })
    }

    /// The extensions every run over `bars` gets: market() when they know where other symbols are.
    package static func extensions(for bars: Bars) -> [HostExtension] {
        bars.markets.map { [make($0, own: bars)] } ?? []
    }

    /// Why `bars` cannot be aligned with bars of `interval`: some consecutive open times closer
    /// together than it (bars of a finer interval, mislabelled).
    static func spacingProblem(_ bars: Bars, interval: String) -> String? {
        guard let step = Interval.milliseconds(interval), bars.count > 1 else { return nil }
        var smallest = Double.infinity
        for i in 1..<bars.count { smallest = Swift.min(smallest, bars.time[i] - bars.time[i - 1]) }
        guard smallest < step else { return nil }
        return "the script's bars are \(Int(smallest / 60_000)) minutes apart, finer than their interval \(interval) "
            + "(hint: give --data files their real interval with -i)"
    }
}
