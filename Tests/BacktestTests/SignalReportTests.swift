import Testing
@testable import Backtest

@Suite("Signal report")
struct SignalReportTests {
    // open  = 10 10 11 12 13 14, close = 10 11 12 13 14 15; long entries on bars 0 and 3 (rising edges;
    // bar 1 repeats the mask and is not a new signal). Each fills at the next open: 10 and 13.
    static let open: [Double] = [10, 10, 11, 12, 13, 14]
    static let close: [Double] = [10, 11, 12, 13, 14, 15]

    @Test("Outcomes after costs, decay and counts by hand")
    func byHand() {
        let r = SignalReport.compute(longEntries: [1, 1, 0, 1, 0, 0], shortEntries: nil, open: Self.open, close: Self.close,
                                     horizon: 2, roundTripCost: 0.001, maxDecay: 3)
        #expect(r.signals == 2 && r.longSignals == 2 && r.shortSignals == 0)
        #expect(abs(r.perThousandBars - 2000.0 / 6) < 1e-12)
        // horizon 2: 12/10 − 1 − 0.001 = 0.199, 15/13 − 1 − 0.001 = 0.152846153846...
        #expect(abs(r.averageEdge - (0.199 + (15.0 / 13 - 1 - 0.001)) / 2) < 1e-12)
        #expect(r.winRate == 1)
        #expect(r.profitFactor == .infinity)
        // decay h=1: (11/10 − 1 + 14/13 − 1) / 2; h=2: (0.2 + 2/13) / 2; h=3: only the first (13/10 − 1)
        #expect(abs(r.decay[0] - (0.1 + 1.0 / 13) / 2) < 1e-12)
        #expect(abs(r.decay[1] - (0.2 + 2.0 / 13) / 2) < 1e-12)
        #expect(abs(r.decay[2] - 0.3) < 1e-12)
        #expect(r.halfLife == nil)   // rising to the end: never halves
    }

    @Test("Shorts count in their direction; no entries give NaN rates, not zeros")
    func shortsAndEmpty() {
        let r = SignalReport.compute(longEntries: nil, shortEntries: [1, 0, 0, 0, 0, 0], open: Self.open, close: Self.close,
                                     horizon: 1, roundTripCost: 0, maxDecay: 2)
        #expect(abs(r.averageEdge - -0.1) < 1e-12)      // short from 10 to 11
        #expect(r.winRate == 0 && r.profitFactor == 0)
        let none = SignalReport.compute(longEntries: [0, 0, 0, 0, 0, 0], shortEntries: nil, open: Self.open, close: Self.close,
                                        horizon: 1, roundTripCost: 0)
        #expect(none.signals == 0 && none.winRate.isNaN && none.averageEdge.isNaN)
    }
}
