import Testing
@testable import Evaluation

/// How reports write numbers, counts and durations: by hand.
@Suite("Report formatting")
struct ReportFormatTests {
    @Test("Numbers: grouped thousands, trailing zeros dropped, signs, percent; NaN and infinity as symbols")
    func numbers() {
        #expect(ReportFormat.grouped(46_899) == "46,899" && ReportFormat.grouped(-1_234_567) == "-1,234,567" && ReportFormat.grouped(12) == "12")
        #expect(ReportFormat.plain(0.300, 3) == "0.3" && ReportFormat.plain(2.0) == "2")
        #expect(ReportFormat.plain(.nan) == "—")
    }

    @Test("Counts agree with their number; durations read as seconds below 90 s, minutes above")
    func countsAndDurations() {
        #expect(ReportFormat.count(1, "iteration") == "1 iteration")
        #expect(ReportFormat.count(0, "iteration") == "0 iterations")
        #expect(ReportFormat.count(3, "hypothesis", "hypotheses") == "3 hypotheses")
        #expect(ReportFormat.count(1, "hypothesis", "hypotheses") == "1 hypothesis")
        #expect(ReportFormat.duration(0.42) == "0.4 s")
        #expect(ReportFormat.duration(12.4) == "12 s")
        #expect(ReportFormat.duration(89) == "89 s")
        #expect(ReportFormat.duration(210) == "3.5 min")
    }
}
