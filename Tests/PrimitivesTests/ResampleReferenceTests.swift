import Testing
@testable import Primitives

/// `resample` against pandas (make_resample_fixtures.py): each bar reads the coarse bar that closed
/// last at or before its open, never a later one.
@Suite("resample matches pandas")
struct ResampleReferenceTests {
    static let table = Result { try ReferenceTable.load("resample-btcusdt-1h.csv") }

    static var references: [String] {
        ((try? table.get().names) ?? []).filter { $0.hasPrefix("resample_") }
    }

    @Test("Each reference column", arguments: references)
    func matchesPandas(_ reference: String) throws {
        let t = try Self.table.get()
        // resample_<column>_<rule>_<how>; the column may hold underscores.
        var parts = reference.dropFirst("resample_".count).split(separator: "_").map(String.init)
        let how = parts.removeLast(), rule = parts.removeLast(), column = parts.joined(separator: "_")
        let ours = try PrimitiveRegistry.evaluate("resample", [.series(try t[column]), .string(rule), .string(how),
                                                               .series(try t["open_time"])])[0].values!
        let expected = try t[reference]
        #expect(ours.count == expected.count)
        var mismatches: [String] = []
        for i in expected.indices {
            let (a, b) = (ours[i], expected[i])
            let same = (a.isNaN && b.isNaN) || a == b || abs(a - b) <= 1e-12 * Swift.max(abs(b), 1)
            if !same, mismatches.count < 5 { mismatches.append("row \(i): ours \(a), pandas \(b)") }
        }
        #expect(mismatches.isEmpty, "\(reference): \(mismatches.joined(separator: "; "))")
    }

    @Test("A coarse value is visible only once its bar has closed; a gap gives NaN")
    func noLookaheadAndGaps() throws {
        let hour = 3_600_000.0
        // Hours 0..11, then a gap over hours 12..19, then 20..23.
        let times = (0..<12).map { Double($0) * hour } + (20..<24).map { Double($0) * hour }
        let values = times.map { $0 / hour }
        let out = try PrimitiveRegistry.evaluate("resample", [.series(values), .string("4h"), .string("last"), .series(times)])[0].values!
        // Bars of 00-04 see nothing yet; 04-08 see bucket 0's last (3); 08-12 see 7; 20-24 follow the
        // empty 16-20 bucket: NaN.
        let expected: [Double] = [.nan, .nan, .nan, .nan, 3, 3, 3, 3, 7, 7, 7, 7, .nan, .nan, .nan, .nan]
        #expect(zip(out, expected).allSatisfy { ($0.isNaN && $1.isNaN) || $0 == $1 }, "\(out)")
    }
}
