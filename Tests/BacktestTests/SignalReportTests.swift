// The signal layer's trades and report, worked by hand: each signal is held from the fill after it
// to the fill after its exit (exit mask, opposite entry, max_hold or the end), after costs and
// funding. The comment above each expectation spells out the arithmetic.

import Testing

@testable import Backtest

private typealias H = HandMarket

@Suite("Signal report")
struct SignalReportTests {
    // open  = 10 10 11 12 13 14, close = 10 11 12 13 14 15.
    static let market = H.bars(open: [10, 10, 11, 12, 13, 14], close: [10, 11, 12, 13, 14, 15])

    @Test("Held to the exit signal or the end, after fees; decay and counts")
    func heldToTheExit() {
        // Long entries on bars 0 and 3 (rising edges; bar 1 repeats the mask and is no new signal),
        // an exit on bar 2. fee 0.001, no slippage.
        // Signal 0: buy open[1] = 10, the exit on bar 2 sells at open[3] = 12:
        //   12/10 − 1 − 0.001 × (1 + 12/10) = 0.2 − 0.0022 = 0.1978, 2 bars held.
        // Signal 3: buy open[4] = 13, no exit: closed at close[5] = 15 at the end of the data:
        //   15/13 − 1 − 0.001 × (1 + 15/13), 1 bar held.
        let report = SignalReport.compute(signals: SignalMasks(entries: [1, 1, 0, 1, 0, 0], exits: H.mask(6, 2)),
                                          market: Self.market, config: H.config(fee: 0.001), maxDecay: 3)
        #expect(report.signals == 2 && report.longSignals == 2 && report.shortSignals == 0 && report.trades == 2)
        H.expectNear(report.perThousandBars, 2000.0 / 6, "per 1000 bars")
        let second = 15.0 / 13 - 1 - 0.001 * (1 + 15.0 / 13)
        H.expectNear(report.signalTrades[0].netReturn, 0.1978, "first trade")
        H.expectNear(report.signalTrades[1].netReturn, second, "second trade")
        #expect(report.signalTrades.map(\.exitReason) == [.signal, .endOfData])
        #expect(report.signalTrades.map(\.entryIndex) == [1, 4] && report.signalTrades.map(\.exitIndex) == [3, 5])
        H.expectNear(report.averageEdge, (0.1978 + second) / 2, "edge")
        H.expectNear(report.averageBarsHeld, 1.5, "bars held")
        #expect(report.winRate == 1 && report.profitFactor == .infinity)
        // Decay before costs from the fill (10, 13) to the close h bars after the signal:
        // h=1 (11/10 − 1 + 14/13 − 1)/2; h=2 (12/10 − 1 + 15/13 − 1)/2; h=3 only the first, 13/10 − 1.
        H.expectNear(report.decay, [(0.1 + 1.0 / 13) / 2, (0.2 + 2.0 / 13) / 2, 0.3], "decay")
        #expect(report.halfLife == nil)   // rising to the end: never halves
    }

    @Test("A short held max_hold bars pays slippage and receives positive funding")
    func shortWithMaxHoldAndFunding() {
        // Short entry on bar 0, max_hold 2, fee 0.0005, slippage 0.001; funding 0.01 at the opens
        // of bars 1, 2 and 3. open = 100 100 90 80 80 80.
        // Sell at open[1] × (1 − 0.001) = 99.9. Held bars 1 and 2 -> bought back at open[3] × 1.001 = 80.08.
        // Price: −(80.08/99.9 − 1); fees: 0.0005 × (1 + 80.08/99.9).
        // Funding on the short carried into bars 2 and 3 (not bar 1: entered at its open), a
        // short receives: +0.01 × 90/99.9 + 0.01 × 80/99.9.
        let m = H.bars(open: [100, 100, 90, 80, 80, 80], close: [100, 95, 85, 80, 80, 80],
                       funding: [0, 0.01, 0.01, 0.01, 0, 0])
        var c = H.config(fee: 0.0005, slippage: 0.001)
        c.maxHold = 2
        let report = SignalReport.compute(signals: SignalMasks(shortEntries: H.mask(6, 0)), market: m, config: c)
        let expected = -(80.08 / 99.9 - 1) - 0.0005 * (1 + 80.08 / 99.9) + 0.01 * 90 / 99.9 + 0.01 * 80 / 99.9
        #expect(report.shortSignals == 1 && report.trades == 1)
        #expect(report.signalTrades[0].exitReason == .maxHold && report.signalTrades[0].exitIndex == 3)
        H.expectNear(report.signalTrades[0].netReturn, expected, "net return")
        #expect(report.winRate == 1)
    }

    @Test("An opposite entry ends a signal's trade; overlapping signals each count")
    func oppositeEntryAndOverlap() {
        // Long entries on bars 0 and 2 (two rising edges), a short entry on bar 3. No costs.
        // Long 0: buy open[1] = 10, the short entry on bar 3 sells at open[4] = 13: +0.3.
        // Long 2: buy open[3] = 12, sold at open[4] = 13: +1/12.
        // Short 3: sell open[4] = 13, held to the end, bought back at close[5] = 15: −2/13.
        let report = SignalReport.compute(signals: SignalMasks(entries: [1, 0, 1, 0, 0, 0], shortEntries: H.mask(6, 3)),
                                          market: Self.market, config: H.config())
        #expect(report.signals == 3)
        H.expectNear(report.signalTrades.map(\.netReturn), [0.3, 1.0 / 12, -2.0 / 13], "returns")
        H.expectNear(report.winRate, 2.0 / 3, "win rate")
        H.expectNear(report.profitFactor, (0.3 + 1.0 / 12) / (2.0 / 13), "profit factor")
    }

    @Test("A window judges its own signals and ends their trades at its last bar")
    func window() {
        // Window 1..<4: the signal on bar 0 is outside; the one on bar 2 buys open[3] = 12 and is
        // closed at the window's last close, close[3] = 13: 13/12 − 1.
        let report = SignalReport.compute(signals: SignalMasks(entries: H.mask(6, 0, 2)), market: Self.market,
                                          config: H.config(), bars: 1..<4)
        #expect(report.signals == 1 && report.signalTrades.first?.exitReason == .endOfWindow)
        H.expectNear(report.averageEdge, 13.0 / 12 - 1, "edge")
        H.expectNear(report.perThousandBars, 1000.0 / 3, "per 1000 bars of the window")
    }

    @Test("No entries give NaN rates, not zeros; an entry cancelled by its own exit is no signal")
    func emptyAndCancelled() {
        let none = SignalReport.compute(signals: SignalMasks(entries: H.mask(6)), market: Self.market, config: H.config())
        #expect(none.signals == 0 && none.winRate.isNaN && none.averageEdge.isNaN && none.profitFactor.isNaN)
        let cancelled = SignalReport.compute(signals: SignalMasks(entries: H.mask(6, 1), exits: H.mask(6, 1)),
                                             market: Self.market, config: H.config())
        #expect(cancelled.signals == 0)
    }
}
