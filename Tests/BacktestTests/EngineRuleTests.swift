// The backtest engine's rules (Backtester.swift's doc comment, DESIGN.md §4) on tiny hourly
// markets. Every expected number is worked out by hand in the comment above it; the code only
// does the arithmetic the comment spells out. Unless a test says otherwise: 10 000 cash, size 1,
// fee 0, slippage 0, fill at the next open, funding on. With fee 0, units = equity / fill price.

import Testing

@testable import Backtest

private typealias H = HandMarket

@Suite("Backtester rules, worked by hand")
struct EngineRuleTests {
    // MARK: Fills

    // open  = [10, 20, 40, 50, 80], close = [15, 25, 45, 60, 90]; long entry signal on bar 1,
    // exit signal on bar 3.
    private static let fillMarket = H.bars(open: [10, 20, 40, 50, 80], close: [15, 25, 45, 60, 90])

    @Test func nextOpenFillsAtTheFollowingBarsOpen() throws {
        // Entry signal bar 1 -> buy at open[2] = 40, units 10000/40 = 250.
        // Exit signal bar 3 -> sell at open[4] = 80: P&L 250 × 40 = 10000, final 20000.
        // Equity at closes: bar 0, 1 flat 10000; bar 2 10000 + 250×(45−40) = 11250;
        // bar 3 10000 + 250×(60−40) = 15000; bar 4 flat 20000.
        let r = try Backtester.run(Self.fillMarket, signals: SignalMasks(entries: H.mask(5, 1), exits: H.mask(5, 3)),
                                   config: H.config())
        try #require(r.trades.count == 1)
        let t = r.trades[0]
        #expect(t.direction == 1)
        #expect(t.entryIndex == 2 && t.exitIndex == 4)
        #expect(t.entryTime == H.t0 + 2 * H.hour && t.exitTime == H.t0 + 4 * H.hour)
        H.expectNear(t.entryPrice, 40, "entry price")
        H.expectNear(t.exitPrice, 80, "exit price")
        H.expectNear(t.units, 250, "units")
        H.expectNear(t.pricePnL, 10_000, "price P&L")
        #expect(t.exitReason == .signal)
        H.expectNear(r.equity, [10_000, 10_000, 11_250, 15_000, 20_000], "equity")
        #expect(r.position == [0, 0, 1, 1, 0])
    }

    @Test func closeFillFillsAtTheSignalBarsClose() throws {
        // fill = close: buy at close[1] = 25, units 400; sell at close[3] = 60: P&L 400 × 35 = 14000.
        // Equity: bar 1 10000 (marked at the fill price); bar 2 10000 + 400×(45−25) = 18000;
        // bar 3 24000; bar 4 24000.
        let r = try Backtester.run(Self.fillMarket, signals: SignalMasks(entries: H.mask(5, 1), exits: H.mask(5, 3)),
                                   config: H.config(fill: .close))
        try #require(r.trades.count == 1)
        let t = r.trades[0]
        #expect(t.entryIndex == 1 && t.exitIndex == 3)
        H.expectNear(t.entryPrice, 25, "entry price")
        H.expectNear(t.exitPrice, 60, "exit price")
        H.expectNear(t.units, 400, "units")
        H.expectNear(r.equity, [10_000, 10_000, 18_000, 24_000, 24_000], "equity")
        #expect(r.position == [0, 1, 1, 0, 0])
    }

    @Test func anEntrySignalOnTheLastBarDoesNothingWithNextOpen() throws {
        // There is no bar 5 to fill at: no trade, no fee, equity stays 10000.
        let r = try Backtester.run(Self.fillMarket, signals: SignalMasks(entries: H.mask(5, 4)),
                                   config: H.config(fee: 0.001))
        #expect(r.trades.isEmpty)
        #expect(r.position == [0, 0, 0, 0, 0])
        H.expectNear(r.equity, [10_000, 10_000, 10_000, 10_000, 10_000], "equity")
        #expect(r.tradedNotional == 0 && r.feesPaid == 0)
    }

    // MARK: Costs

    // open = [100, 100, 105, 110, 110], close = [100, 105, 110, 110, 110]; entry signal bar 0
    // (buy at open[1] = 100), exit signal bar 2 (sell at open[3] = 110).
    private static let upMarket = H.bars(open: [100, 100, 105, 110, 110], close: [100, 105, 110, 110, 110])

    @Test func feeIsChargedPerSideAndUnitsLeaveRoomForTheEntryFee() throws {
        // fee 0.001, size 0.5: units u = 0.5 × 10000 / (100 × 1.001) = 5000/100.1, so that
        // notional + entry fee = u × 100 × 1.001 = 5000 = size × equity.
        // Entry fee 0.1u, exit fee u × 110 × 0.001 = 0.11u, price P&L 10u.
        // Equity: bar 1 10000 − 0.1u + 5u = 10000 + 4.9u; bar 2 10000 + 9.9u; bar 3, 4 10000 + 9.79u.
        // Traded notional 100u + 110u = 210u.
        let r = try Backtester.run(Self.upMarket, signals: SignalMasks(entries: H.mask(5, 0), exits: H.mask(5, 2)),
                                   config: H.config(fee: 0.001, size: 0.5))
        let u = 5000 / 100.1
        try #require(r.trades.count == 1)
        let t = r.trades[0]
        H.expectNear(t.units, u, "units")
        H.expectNear(t.units * t.entryPrice * 1.001, 5000, "notional + entry fee")
        H.expectNear(t.fees, 0.21 * u, "trade fees")
        H.expectNear(t.pricePnL, 10 * u, "price P&L")
        H.expectNear(t.netPnL, 9.79 * u, "net P&L")
        H.expectNear(r.feesPaid, 0.21 * u, "fees paid")
        H.expectNear(r.tradedNotional, 210 * u, "traded notional")
        H.expectNear(r.equity, [10_000, 10_000 + 4.9 * u, 10_000 + 9.9 * u, 10_000 + 9.79 * u, 10_000 + 9.79 * u], "equity")
    }

    @Test func slippageWorksAgainstALongOnEntryAndExit() throws {
        // slippage 0.01: buy at 100 × 1.01 = 101, sell at 110 × 0.99 = 108.9.
        // u = 10000/101, P&L (108.9 − 101)u = 7.9u = 79000/101.
        let r = try Backtester.run(Self.upMarket, signals: SignalMasks(entries: H.mask(5, 0), exits: H.mask(5, 2)),
                                   config: H.config(slippage: 0.01))
        let u = 10_000 / 101.0
        try #require(r.trades.count == 1)
        H.expectNear(r.trades[0].entryPrice, 101, "entry fill")
        H.expectNear(r.trades[0].exitPrice, 108.9, "exit fill")
        H.expectNear(r.trades[0].units, u, "units")
        H.expectNear(r.equity[4], 10_000 + 7.9 * u, "final equity")
    }

    @Test func slippageWorksAgainstAShortOnEntryAndExit() throws {
        // open = [100, 100, 95, 90, 90], close = [100, 95, 90, 90, 90]; short entry bar 0, short exit bar 2.
        // slippage 0.01: sell at 100 × 0.99 = 99, buy back at 90 × 1.01 = 90.9.
        // u = 10000/99, P&L −(90.9 − 99)u = 8.1u.
        let m = H.bars(open: [100, 100, 95, 90, 90], close: [100, 95, 90, 90, 90])
        let r = try Backtester.run(m, signals: SignalMasks(shortEntries: H.mask(5, 0), shortExits: H.mask(5, 2)),
                                   config: H.config(slippage: 0.01))
        let u = 10_000 / 99.0
        try #require(r.trades.count == 1)
        #expect(r.trades[0].direction == -1)
        H.expectNear(r.trades[0].entryPrice, 99, "entry fill")
        H.expectNear(r.trades[0].exitPrice, 90.9, "exit fill")
        H.expectNear(r.trades[0].units, u, "units")
        H.expectNear(r.trades[0].pricePnL, 8.1 * u, "price P&L")
        H.expectNear(r.equity[4], 10_000 + 8.1 * u, "final equity")
    }

    @Test func feeIsChargedOnTheSlippedFillPrice() throws {
        // fee 0.001 and slippage 0.01: buy at 101, u = 10000/(101 × 1.001); entry fee 0.101u;
        // sell at 108.9, exit fee 0.1089u; P&L 7.9u. Final 10000 + (7.9 − 0.2099)u = 10000 + 7.6901u.
        let r = try Backtester.run(Self.upMarket, signals: SignalMasks(entries: H.mask(5, 0), exits: H.mask(5, 2)),
                                   config: H.config(fee: 0.001, slippage: 0.01))
        let u = 10_000 / (101 * 1.001)
        try #require(r.trades.count == 1)
        H.expectNear(r.trades[0].units, u, "units")
        H.expectNear(r.trades[0].fees, 0.2099 * u, "fees")
        H.expectNear(r.equity[4], 10_000 + 7.6901 * u, "final equity")
    }

    // MARK: Funding

    // open  = [100, 100, 110, 120, 90, 95], close = [100, 110, 120, 90, 95, 95]
    // rates settled at each open: [0, 0.01, 0.001, −0.002, 0.003, 0.01].
    // Entry signal bar 0 (fill at open[1] = 100, u = 100), exit signal bar 3 (fill at open[4] = 90).
    // Settlements on the position: bar 1 none (entered at that open), bar 2 on 100 × 110 = 11000,
    // bar 3 on 100 × 120 = 12000, bar 4 on 100 × 90 = 9000 (exited at that open, still pays),
    // bar 5 none (flat).
    private static let fundingMarket = H.bars(open: [100, 100, 110, 120, 90, 95], close: [100, 110, 120, 90, 95, 95],
                                              funding: [0, 0.01, 0.001, -0.002, 0.003, 0.01])

    @Test func aLongPaysPositiveFundingOnThePositionCarriedIntoTheBar() throws {
        // Long: bar 2 pays 11000 × 0.001 = 11, bar 3 receives 12000 × 0.002 = 24, bar 4 pays
        // 9000 × 0.003 = 27: funding −14. Price P&L 100 × (90 − 100) = −1000. Final 8986.
        // Equity: bar 1 10000 + 100×10 = 11000; bar 2 9989 + 100×20 = 11989;
        // bar 3 10013 + 100×(−10) = 9013; bar 4 10013 − 27 − 1000 = 8986; bar 5 8986.
        let r = try Backtester.run(Self.fundingMarket, signals: SignalMasks(entries: H.mask(6, 0), exits: H.mask(6, 3)),
                                   config: H.config())
        try #require(r.trades.count == 1)
        H.expectNear(r.trades[0].funding, -14, "trade funding")
        H.expectNear(r.trades[0].pricePnL, -1000, "price P&L")
        H.expectNear(r.fundingPnL, -14, "funding P&L")
        H.expectNear(r.equity, [10_000, 11_000, 11_989, 9013, 8986, 8986], "equity")
    }

    @Test func aShortReceivesPositiveFunding() throws {
        // Short u = 100 at 100: bar 2 +11, bar 3 −24, bar 4 +27: funding +14. Price P&L
        // −100 × (90 − 100) = +1000. Final 11014.
        // Equity: bar 1 10000 − 1000 = 9000; bar 2 10011 − 2000 = 8011; bar 3 9987 + 1000 = 10987;
        // bar 4 9987 + 27 + 1000 = 11014; bar 5 11014.
        let r = try Backtester.run(Self.fundingMarket,
                                   signals: SignalMasks(shortEntries: H.mask(6, 0), shortExits: H.mask(6, 3)),
                                   config: H.config())
        try #require(r.trades.count == 1)
        H.expectNear(r.trades[0].funding, 14, "trade funding")
        H.expectNear(r.fundingPnL, 14, "funding P&L")
        H.expectNear(r.equity, [10_000, 9000, 8011, 10_987, 11_014, 11_014], "equity")
    }

    @Test func fundingOffIgnoresTheRates() throws {
        // Same long without funding: price P&L only, final 9000.
        let r = try Backtester.run(Self.fundingMarket, signals: SignalMasks(entries: H.mask(6, 0), exits: H.mask(6, 3)),
                                   config: H.config(funding: false))
        try #require(r.trades.count == 1)
        #expect(r.trades[0].funding == 0)
        #expect(r.fundingPnL == 0)
        H.expectNear(r.equity, [10_000, 11_000, 12_000, 9000, 9000, 9000], "equity")
    }

    @Test func aReversalAtASettlementSettlesTheOldSideOnly() throws {
        // Rates [0, 0, 0, −0.002, 0, 0]; long from open[1] = 100 (u1 = 100), short entry signal
        // bar 2 -> reverse at open[3] = 120. The long carried into bar 3 receives 100 × 120 × 0.002
        // = 24; it closes at 120 for +2000: cash 12024; the short opened at that open pays nothing:
        // u2 = 12024/120 = 100.2. End of data at close[5] = 95: −100.2 × (95 − 120) = +2505.
        // Final 14529.
        let m = H.bars(open: [100, 100, 110, 120, 90, 95], close: [100, 110, 120, 90, 95, 95],
                       funding: [0, 0, 0, -0.002, 0, 0])
        let r = try Backtester.run(m, signals: SignalMasks(entries: H.mask(6, 0), shortEntries: H.mask(6, 2)),
                                   config: H.config())
        try #require(r.trades.count == 2)
        H.expectNear(r.trades[0].funding, 24, "long funding")
        H.expectNear(r.trades[1].funding, 0, "short funding")
        H.expectNear(r.trades[1].units, 100.2, "short units")
        H.expectNear(r.equity[5], 14_529, "final equity")
    }

    // MARK: Stops

    /// One stop scenario: enter at open[1] = 100 (bar 1: o 100 h 101 l 99 c 100, touches nothing),
    /// bar 2 has the given range, bars 3–4 are 100 flat. u = 100, so final = 10000 + side × 100 × (exit − 100).
    struct StopCase: Sendable, CustomTestStringConvertible {
        let name: String
        let side: Int
        var stopLoss: Double? = nil
        var takeProfit: Double? = nil
        let bar2: [Double]        // open, high, low, close
        let exitPrice: Double
        var exitIndex = 2
        let reason: ExitReason
        var testDescription: String { name }
    }

    static let stopCases: [StopCase] = [
        // Long, stop 10% -> 90: low 89 touches it, the open 100 is above, fill at 90.
        StopCase(name: "long stop loss", side: 1, stopLoss: 0.1, bar2: [100, 105, 89, 95], exitPrice: 90, reason: .stopLoss),
        // Long, target 10% -> 110: high 112 touches it, fill at 110.
        StopCase(name: "long take profit", side: 1, takeProfit: 0.1, bar2: [100, 112, 99, 111], exitPrice: 110,
                 reason: .takeProfit),
        // Both touched (high 115, low 85): the stop loss is assumed, at 90.
        StopCase(name: "long both touched", side: 1, stopLoss: 0.1, takeProfit: 0.1, bar2: [100, 115, 85, 100],
                 exitPrice: 90, reason: .stopLoss),
        // Opens at 80, below the 90 stop: the open is the first price available.
        StopCase(name: "long gap through stop", side: 1, stopLoss: 0.1, bar2: [80, 85, 75, 82], exitPrice: 80,
                 reason: .stopLoss),
        // Opens at 120, above the 110 target: filled at the open.
        StopCase(name: "long gap through target", side: 1, takeProfit: 0.1, bar2: [120, 125, 118, 122], exitPrice: 120,
                 reason: .takeProfit),
        // Range 91...109 touches neither: held to the end, closed at close[4] = 100.
        StopCase(name: "long untouched", side: 1, stopLoss: 0.1, takeProfit: 0.1, bar2: [100, 109, 91, 100],
                 exitPrice: 100, exitIndex: 4, reason: .endOfData),
        // Short, stop 10% -> 110: high 111 touches it.
        StopCase(name: "short stop loss", side: -1, stopLoss: 0.1, bar2: [100, 111, 95, 105], exitPrice: 110,
                 reason: .stopLoss),
        // Short, target 10% -> 90: low 88 touches it.
        StopCase(name: "short take profit", side: -1, takeProfit: 0.1, bar2: [100, 101, 88, 89], exitPrice: 90,
                 reason: .takeProfit),
        StopCase(name: "short both touched", side: -1, stopLoss: 0.1, takeProfit: 0.1, bar2: [100, 115, 85, 100],
                 exitPrice: 110, reason: .stopLoss),
        // Opens at 120, above the 110 stop: filled at 120.
        StopCase(name: "short gap through stop", side: -1, stopLoss: 0.1, bar2: [120, 125, 115, 118], exitPrice: 120,
                 reason: .stopLoss),
        // Opens at 80, below the 90 target: filled at 80.
        StopCase(name: "short gap through target", side: -1, takeProfit: 0.1, bar2: [80, 82, 75, 78], exitPrice: 80,
                 reason: .takeProfit),
    ]

    static func stopMarket(_ bar2: [Double]) -> MarketColumns {
        H.bars(open: [100, 100, bar2[0], 100, 100], close: [100, 100, bar2[3], 100, 100],
               high: [100, 101, bar2[1], 100, 100], low: [100, 99, bar2[2], 100, 100])
    }

    @Test(arguments: stopCases)
    func stopsAreCheckedIntrabar(_ c: StopCase) throws {
        var config = H.config()
        config.stopLoss = c.stopLoss
        config.takeProfit = c.takeProfit
        let signals = c.side > 0 ? SignalMasks(entries: H.mask(5, 0)) : SignalMasks(shortEntries: H.mask(5, 0))
        let r = try Backtester.run(Self.stopMarket(c.bar2), signals: signals, config: config)
        try #require(r.trades.count == 1)
        let t = r.trades[0]
        #expect(t.direction == c.side)
        #expect(t.entryIndex == 1)
        #expect(t.exitIndex == c.exitIndex)
        #expect(t.exitReason == c.reason)
        H.expectNear(t.exitPrice, c.exitPrice, "exit price")
        H.expectNear(r.equity[4], 10_000 + Double(c.side) * 100 * (c.exitPrice - 100), "final equity")
    }

    @Test func aGapThroughTheTargetFillsAtTheOpenEvenIfTheStopIsTouchedLater() throws {
        // Long at 100, stop 90, target 110. Bar 2 opens at 120 (o 120 h 121 l 85 c 90): the open is
        // the first price of the bar and it is already past the target, so the take profit fills at
        // 120 before the fall to 85 can happen. The conservative rule is for a bar whose order of
        // touches is unknown; here it is known (the engine already uses this for a gapped stop).
        var config = H.config()
        config.stopLoss = 0.1
        config.takeProfit = 0.1
        let r = try Backtester.run(Self.stopMarket([120, 121, 85, 90]), signals: SignalMasks(entries: H.mask(5, 0)),
                                   config: config)
        try #require(r.trades.count == 1)
        #expect(r.trades[0].exitReason == .takeProfit)
        H.expectNear(r.trades[0].exitPrice, 120, "exit price")
    }

    @Test func aTrailingStopTrailsTheBestPriceOfEarlierBarsForALong() throws {
        // Trail 10%. Long at open[1] = 100.
        // bar 1 (o100 h101 l99 c100): trail from the fill 100 -> 90, untouched; best becomes 101.
        // bar 2 (o101 h120 l105 c118): trail 101 × 0.9 = 90.9 (this bar's own high does not count
        //   yet), low 105 is above; best 120.
        // bar 3 (o115 h116 l107 c110): trail 120 × 0.9 = 108, low 107 touches, open 115 above: fill 108.
        // P&L 100 × 8 = 800, final 10800.
        let m = H.bars(open: [100, 100, 101, 115, 110], close: [100, 100, 118, 110, 110],
                       high: [100, 101, 120, 116, 110], low: [100, 99, 105, 107, 110])
        var config = H.config()
        config.trailingStop = 0.1
        let r = try Backtester.run(m, signals: SignalMasks(entries: H.mask(5, 0)), config: config)
        try #require(r.trades.count == 1)
        #expect(r.trades[0].exitReason == .trailingStop)
        #expect(r.trades[0].exitIndex == 3)
        H.expectNear(r.trades[0].exitPrice, 108, "exit price")
        H.expectNear(r.equity[4], 10_800, "final equity")
    }

    @Test func aTrailingStopTrailsTheBestPriceOfEarlierBarsForAShort() throws {
        // Trail 10%. Short at open[1] = 100, u = 100.
        // bar 1 (o100 h101 l99 c100): trail 110, untouched; best 99.
        // bar 2 (o99 h99 l80 c82): trail 99 × 1.1 = 108.9, high 99 below; best 80.
        // bar 3 (o85 h90 l84 c86): trail 80 × 1.1 = 88, high 90 touches, open 85 below: fill 88.
        // P&L −100 × (88 − 100) = 1200, final 11200.
        let m = H.bars(open: [100, 100, 99, 85, 86], close: [100, 100, 82, 86, 86],
                       high: [100, 101, 99, 90, 86], low: [100, 99, 80, 84, 86])
        var config = H.config()
        config.trailingStop = 0.1
        let r = try Backtester.run(m, signals: SignalMasks(shortEntries: H.mask(5, 0)), config: config)
        try #require(r.trades.count == 1)
        #expect(r.trades[0].exitReason == .trailingStop)
        #expect(r.trades[0].exitIndex == 3)
        H.expectNear(r.trades[0].exitPrice, 88, "exit price")
        H.expectNear(r.equity[4], 11_200, "final equity")
    }

    // MARK: Holding, reversing, cancelling

    // open = [100, 101, ..., 107], close = open + 0.5.
    private static let stepMarket = H.bars(open: (0..<8).map { 100 + Double($0) },
                                           close: (0..<8).map { 100.5 + Double($0) })

    @Test func maxHoldExitsAfterNBarsWithCloseFills() throws {
        // fill = close, max_hold 2: enter at close[0] = 100.5; held over bars 1 and 2, out at
        // close[2] = 102.5. barsHeld 2.
        var config = H.config(fill: .close)
        config.maxHold = 2
        let r = try Backtester.run(Self.stepMarket, signals: SignalMasks(entries: H.mask(8, 0)), config: config)
        try #require(r.trades.count == 1)
        #expect(r.trades[0].exitReason == .maxHold)
        #expect(r.trades[0].entryIndex == 0 && r.trades[0].exitIndex == 2)
        #expect(r.trades[0].barsHeld == 2)
        H.expectNear(r.trades[0].exitPrice, 102.5, "exit price")
    }

    @Test func maxHoldExitsAfterNBarsWithNextOpenFills() throws {
        // next_open, max_hold 2: entry signal bar 0, in at open[1] = 101. Two bars in the position
        // (bars 1 and 2) -> out at the next fill, open[3] = 103, barsHeld 2, the same holding time
        // as with close fills (the forced exit is a signal on bar 2's close, 2 bars after the
        // entry signal, filled at the next open like any other).
        var config = H.config()
        config.maxHold = 2
        let r = try Backtester.run(Self.stepMarket, signals: SignalMasks(entries: H.mask(8, 0)), config: config)
        try #require(r.trades.count == 1)
        #expect(r.trades[0].exitReason == .maxHold)
        #expect(r.trades[0].entryIndex == 1)
        #expect(r.trades[0].barsHeld == 2, "exit index \(r.trades[0].exitIndex), expected 3")
        H.expectNear(r.trades[0].exitPrice, 103, "exit price")
    }

    @Test func anOppositeEntryReversesThePosition() throws {
        // fee 0.001. open = [100, 100, 100, 120, 120, 100], close = [100, 100, 100, 120, 120, 90].
        // Long entry bar 0: u1 = 10000/100.1 at 100, entry fee 0.1u1.
        // Short entry bar 2 -> at open[3] = 120: close the long (+20u1, fee 0.12u1), cash
        // C = 10000 + 19.78u1; open the short: u2 = C/(120 × 1.001), fee 0.12u2 (= 120u2 × 0.001).
        // End of data at close[5] = 90, paying the exit fee 0.09u2: +30u2. Final C − 0.12u2 + 30u2 − 0.09u2 = C + 29.79u2.
        let m = H.bars(open: [100, 100, 100, 120, 120, 100], close: [100, 100, 100, 120, 120, 90])
        let r = try Backtester.run(m, signals: SignalMasks(entries: H.mask(6, 0), shortEntries: H.mask(6, 2)),
                                   config: H.config(fee: 0.001))
        let u1 = 10_000 / 100.1
        let cash = 10_000 + 19.78 * u1
        let u2 = cash / (120 * 1.001)
        try #require(r.trades.count == 2)
        #expect(r.trades[0].direction == 1 && r.trades[0].exitIndex == 3 && r.trades[0].exitReason == .signal)
        #expect(r.trades[1].direction == -1 && r.trades[1].entryIndex == 3 && r.trades[1].exitReason == .endOfData)
        H.expectNear(r.trades[1].units, u2, "short units")
        #expect(r.position == [0, 1, 1, -1, -1, -1])
        H.expectNear(r.equity[5], cash + 29.79 * u2, "final equity")
    }

    @Test func sameSideEntryAndExitOnOneBarCancel() throws {
        // open 100 flat, close[4] = 110. Flat, entry and exit both on bar 1: nothing happens.
        let m = H.bars(open: [100, 100, 100, 100, 100], close: [100, 100, 100, 100, 110])
        let flat = try Backtester.run(m, signals: SignalMasks(entries: H.mask(5, 1), exits: H.mask(5, 1)),
                                      config: H.config())
        #expect(flat.trades.isEmpty)
        // Long from open[1]; entry and exit both on bar 2: the long stays until the end, closed
        // at close[4] = 110: 100 units × 10 = +1000.
        let held = try Backtester.run(m, signals: SignalMasks(entries: H.mask(5, 0, 2), exits: H.mask(5, 2)),
                                      config: H.config())
        try #require(held.trades.count == 1)
        #expect(held.trades[0].exitIndex == 4 && held.trades[0].exitReason == .endOfData)
        H.expectNear(held.equity[4], 11_000, "final equity")
    }

    // MARK: End of data

    @Test func anOpenPositionIsClosedAtTheLastClosePayingFeeAndSlippage() throws {
        // fee 0.001, slippage 0.01. open = [100, 100, 102, 104, 106], close = [100, 102, 104, 106, 110].
        // Buy at open[1] × 1.01 = 101, u = 10000/(101 × 1.001), entry fee 0.101u.
        // The exit signal on the last bar cannot fill; end of data sells at close[4] × 0.99 = 108.9
        // with the exit fee 0.1089u: P&L 7.9u. Final 10000 − 0.101u + 7.9u − 0.1089u = 10000 + 7.6901u.
        // Traded notional 101u + 108.9u.
        let m = H.bars(open: [100, 100, 102, 104, 106], close: [100, 102, 104, 106, 110])
        let r = try Backtester.run(m, signals: SignalMasks(entries: H.mask(5, 0), exits: H.mask(5, 4)),
                                   config: H.config(fee: 0.001, slippage: 0.01))
        let u = 10_000 / (101 * 1.001)
        try #require(r.trades.count == 1)
        let t = r.trades[0]
        #expect(t.exitReason == .endOfData)
        #expect(t.exitIndex == 4)
        H.expectNear(t.exitPrice, 108.9, "exit price")
        H.expectNear(t.fees, 0.101 * u + 0.1089 * u, "fees (entry and exit)")
        H.expectNear(r.equity[4], 10_000 + 7.6901 * u, "final equity")
        H.expectNear(r.tradedNotional, 209.9 * u, "traded notional")
        #expect(r.position[4] == 1)   // held at the last close, closed after the mark

        // exitCostsAtEnd off (for comparison with vectorbt): closed at 110 with neither fee nor
        // slippage, P&L 9u, final 10000 + 8.899u, traded notional 101u (entry only).
        var free = H.config(fee: 0.001, slippage: 0.01)
        free.exitCostsAtEnd = false
        let v = try Backtester.run(m, signals: SignalMasks(entries: H.mask(5, 0), exits: H.mask(5, 4)), config: free)
        H.expectNear(v.trades[0].exitPrice, 110, "exit price without costs")
        H.expectNear(v.equity[4], 10_000 + 8.899 * u, "final equity without exit costs")
        H.expectNear(v.tradedNotional, 101 * u, "traded notional without exit")
    }

    // MARK: Windows and delay

    // open = close = [100, 100, 100, 100, 110, 120, 130, 140]; 10 000 cash, no costs unless set.
    private static let rising = H.bars(open: [100, 100, 100, 100, 110, 120, 130, 140],
                                       close: [100, 100, 100, 100, 110, 120, 130, 140])

    @Test func aWindowTradesOnlyItsOwnBarsAndClosesAtItsEnd() throws {
        // Window 3..<6, fee 0.001, slippage 0.002. The entry signal on bar 1 lies in the warm-up:
        // ignored. Entry signal on bar 3 -> buy at open[4] × 1.002 = 110.22, u = 10000/(110.22 × 1.001),
        // entry fee 0.11022u. The window ends at bar 5: sold at close[5] × 0.998 = 119.76 with fee
        // 0.11976u. Equity: bar 3 10000; bar 4 10000 − 0.11022u + (110 − 110.22)u (marked at 110);
        // bar 5 after the exit: 10000 − 0.11022u + (119.76 − 110.22)u − 0.11976u.
        let c = H.config(fee: 0.001, slippage: 0.002)
        let r = try Backtester.run(Self.rising, signals: SignalMasks(entries: H.mask(8, 1, 3)), config: c, bars: 3..<6)
        let u = 10_000 / (110.22 * 1.001)
        try #require(r.trades.count == 1)
        let t = r.trades[0]
        #expect(t.entryIndex == 4 && t.exitIndex == 5 && t.exitReason == .endOfWindow)
        H.expectNear(t.entryPrice, 110.22, "entry price")
        H.expectNear(t.exitPrice, 119.76, "exit price")
        #expect(r.bars == 3..<6)
        #expect(r.time == Array(Self.rising.time[3..<6]))
        #expect(r.position == [0, 1, 1])   // held at the window's last close, closed after the mark
        H.expectNear(r.equity[0], 10_000, "equity at the window's first bar")
        H.expectNear(r.equity[1], 10_000 - 0.11022 * u + (110 - 110.22) * u, "equity at bar 4")
        H.expectNear(r.equity[2], 10_000 - 0.11022 * u + (119.76 - 110.22) * u - 0.11976 * u, "equity after the exit")
    }

    @Test func aSignalOnAWindowsLastBarCannotFillOutsideIt() throws {
        // Window 2..<5: the entry signal on bar 4 would fill at open[5], outside the window.
        let r = try Backtester.run(Self.rising, signals: SignalMasks(entries: H.mask(8, 4)), config: H.config(), bars: 2..<5)
        #expect(r.trades.isEmpty)
        H.expectNear(r.equity, [10_000, 10_000, 10_000], "equity")
    }

    @Test func oneMoreBarOfDelayFillsOneBarLater() throws {
        // Entry signal on bar 3, exit on bar 5. delay 0: buy open[4] = 110, sell open[6] = 130:
        // 10000/110 × 20. delay 1: buy open[5] = 120, sell open[7] = 140: 10000/120 × 20.
        let signals = SignalMasks(entries: H.mask(8, 3), exits: H.mask(8, 5))
        let now = try Backtester.run(Self.rising, signals: signals, config: H.config())
        var late = H.config()
        late.delay = 1
        let delayed = try Backtester.run(Self.rising, signals: signals, config: late)
        #expect(now.trades.map(\.entryIndex) == [4] && delayed.trades.map(\.entryIndex) == [5])
        #expect(delayed.trades.map(\.exitIndex) == [7])
        H.expectNear(now.equity[7], 10_000 + 10_000 / 110 * 20, "final equity, no delay")
        H.expectNear(delayed.equity[7], 10_000 + 10_000 / 120 * 20, "final equity, one bar of delay")
    }

    @Test func windowsOutsideTheBarsAreRefused() {
        Self.expectWindowError(0..<9, mentions: ["outside", "8 bars"])
        Self.expectWindowError(4..<4, mentions: ["empty"])
    }

    private static func expectWindowError(_ window: Range<Int>, mentions words: [String],
                                          sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try Backtester.run(rising, signals: SignalMasks(), config: H.config(), bars: window)
            Issue.record("expected a BacktestError for \(window)", sourceLocation: sourceLocation)
        } catch {
            for w in words {
                #expect(error.message.contains(w), "\"\(error.message)\" should mention \(w)", sourceLocation: sourceLocation)
            }
        }
    }

    // MARK: Bad input

    private static let five = H.bars(open: [100, 100, 100, 100, 100], close: [100, 100, 100, 100, 100])

    private static func expectError(_ market: MarketColumns = five, signals: SignalMasks = SignalMasks(),
                                    config: BacktestConfig = H.config(), mentions words: [String],
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try Backtester.run(market, signals: signals, config: config)
            Issue.record("expected a BacktestError mentioning \(words)", sourceLocation: sourceLocation)
        } catch {
            for w in words {
                #expect(error.message.contains(w), "\"\(error.message)\" should mention \(w)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func masksOfTheWrongLengthAreRefused() {
        // "entries has 4 values, the data has 5 bars"
        Self.expectError(signals: SignalMasks(entries: [1, 0, 0, 0]), mentions: ["entries", "4", "5"])
        Self.expectError(signals: SignalMasks(shortExits: [0, 0, 0, 0, 0, 0]), mentions: ["short_exits", "6", "5"])
    }

    @Test func aFeeOfOneAndAHalfIsRefused() {
        Self.expectError(config: H.config(fee: 1.5), mentions: ["fee", "1.5"])
    }

    @Test func aNegativeSizeIsRefused() {
        Self.expectError(config: H.config(size: -0.5), mentions: ["size", "-0.5"])
    }

    @Test func aNaNCloseIsRefused() {
        // Bar 3 in the message, counted from 1 like a user reads a table.
        let m = H.bars(open: [100, 100, 100, 100, 100], close: [100, 100, .nan, 100, 100],
                       high: [100, 100, 100, 100, 100], low: [100, 100, 100, 100, 100])
        Self.expectError(m, mentions: ["close", "bar 3", "nan"])
    }

    @Test func aStopLossOfZeroIsRefused() {
        var c = H.config()
        c.stopLoss = 0
        Self.expectError(config: c, mentions: ["stop_loss", "0"])
    }

    // MARK: NaN open on a fill bar

    // open = [100, NaN, 104, 106, 108], close = [100, 102, 105, 107, 108]
    private static let nanOpenMarket = H.bars(open: [100, .nan, 104, 106, 108], close: [100, 102, 105, 107, 108],
                                              high: [100, 103, 105, 107, 108], low: [100, 101, 104, 106, 108])

    @Test func anOrderWaitsForTheNextFiniteOpen() throws {
        // Entry signal bar 0; open[1] is NaN so the buy waits for open[2] = 104: u = 10000/104.
        // End of data at 108: +4u. Position [0, 0, 1, 1, 1].
        let r = try Backtester.run(Self.nanOpenMarket, signals: SignalMasks(entries: H.mask(5, 0)), config: H.config())
        try #require(r.trades.count == 1)
        #expect(r.trades[0].entryIndex == 2)
        H.expectNear(r.trades[0].entryPrice, 104, "entry price")
        #expect(r.position == [0, 0, 1, 1, 1])
        H.expectNear(r.equity[4], 10_000 + 4 * 10_000 / 104, "final equity")
    }

    @Test func anExitSignalWhileAnEntryWaitsCancelsIt() throws {
        // Entry signal bar 0 waits through the NaN open of bar 1; bar 1's exit signal asks for
        // flat, which is where the account still is: no trade at all.
        let r = try Backtester.run(Self.nanOpenMarket, signals: SignalMasks(entries: H.mask(5, 0), exits: H.mask(5, 1)),
                                   config: H.config())
        #expect(r.trades.isEmpty)
        H.expectNear(r.equity, [10_000, 10_000, 10_000, 10_000, 10_000], "equity")
    }

    @Test func anExitWaitsForTheNextFiniteOpen() throws {
        // open = [100, 100, 104, NaN, 108], close = [100, 102, 105, 107, 108]: long at open[1] = 100
        // (u = 100), exit signal bar 2 waits through the NaN open of bar 3, sells at open[4] = 108:
        // +800, final 10800.
        let m = H.bars(open: [100, 100, 104, .nan, 108], close: [100, 102, 105, 107, 108],
                       high: [100, 102, 105, 108, 108], low: [100, 100, 104, 106, 108])
        let r = try Backtester.run(m, signals: SignalMasks(entries: H.mask(5, 0), exits: H.mask(5, 2)), config: H.config())
        try #require(r.trades.count == 1)
        #expect(r.trades[0].exitIndex == 4 && r.trades[0].exitReason == .signal)
        H.expectNear(r.trades[0].exitPrice, 108, "exit price")
        H.expectNear(r.equity, [10_000, 10_200, 10_500, 10_700, 10_800], "equity")
    }
}
