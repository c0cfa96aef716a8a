package import MarketData
package import Scripting

/// `market("ETH")` inside scripts: another symbol's bars shaped like `d`, aligned to the script's
/// own bars by open time (the bar opening with each of them, which closes when it does: never a
/// later one), NaN where it has none.
package enum MarketExtension {
    package static func make(_ catalog: MarketCatalog, own: Bars) -> HostExtension {
        HostExtension(name: "market") { arguments in
            guard let symbol = arguments.first?.string, !symbol.isEmpty else {
                return .failure(HostExtensionError("market: expected a symbol, as in market(\"ETH\") or market(\"ETHUSDT\")"))
            }
            let other: Bars
            do {
                other = try catalog.bars(symbol)
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
        }
    }

    /// The extensions every run over `bars` gets: market() when they know where other symbols are.
    package static func extensions(for bars: Bars) -> [HostExtension] {
        bars.markets.map { [make($0, own: bars)] } ?? []
    }
}
