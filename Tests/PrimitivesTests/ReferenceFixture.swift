// Shared machinery of the reference tests: the fixture reader, the comparison (with its tolerance
// policy) and the helpers that run a kernel on `[Double]` inputs.
//
// The fixtures under Fixtures/ are written by Fixtures/make_fixtures.py from TA-Lib, pandas, numpy
// and scipy; nothing in them comes from llmalpha. Regenerate them with that script, never by hand.

import Foundation
import Testing

@testable import Primitives

// MARK: - Reading fixtures

/// Why a fixture could not be used. Thrown (not trapped), so one bad file fails only its tests.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// The records of a fixture CSV: `#` lines are comments, the first other line is the header.
struct FixtureCSV {
    let file: String
    let header: [String]
    let rows: [[Substring]]

    /// A `name,value` file of one-number references; a name may appear once.
    static func scalars(_ file: String) throws -> [String: Double] {
        let csv = try read(file)
        guard csv.header == ["name", "value"] else {
            throw FixtureError(description: "\(csv.file): header must be name,value")
        }
        var values: [String: Double] = [:]
        for row in csv.rows {
            guard let value = Double(row[1]) else {
                throw FixtureError(description: "\(csv.file): '\(row[1])' is not a number")
            }
            guard values.updateValue(value, forKey: String(row[0])) == nil else {
                throw FixtureError(description: "\(csv.file): \(row[0]) appears twice")
            }
        }
        return values
    }

    /// The directory of this source file + `Fixtures/`, so `swift test` works from any directory.
    static func url(_ file: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(file)")
    }

    static func read(_ file: String) throws -> FixtureCSV {
        let url = url(file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FixtureError(description: "\(file): cannot read \(url.path)"
                + " (regenerate with Fixtures/make_fixtures.py)")
        }
        let text = String(decoding: data, as: UTF8.self)
        var header: [String]?
        var rows: [[Substring]] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if let header {
                guard fields.count == header.count else {
                    throw FixtureError(description: "\(file):\(number + 1): \(fields.count) fields,"
                        + " header has \(header.count)")
                }
                rows.append(fields)
            } else {
                header = fields.map(String.init)
            }
        }
        guard let header else { throw FixtureError(description: "\(file): no header line") }
        return FixtureCSV(file: file, header: header, rows: rows)
    }
}

/// A numeric fixture: one `[Double]` per column, an empty field read as NaN.
struct ReferenceTable: Sendable {
    let file: String
    /// Column names in file order.
    let names: [String]
    let rowCount: Int
    private let columns: [String: [Double]]

    static func load(_ file: String) throws -> ReferenceTable {
        let csv = try FixtureCSV.read(file)
        var columns = [[Double]](repeating: [], count: csv.header.count)
        for (r, row) in csv.rows.enumerated() {
            for (c, field) in row.enumerated() {
                if field.isEmpty {
                    columns[c].append(.nan)
                } else if let value = Double(field) {
                    columns[c].append(value)
                } else {
                    throw FixtureError(description: "\(file): row \(r + 1), column \(csv.header[c]):"
                        + " '\(field)' is not a number")
                }
            }
        }
        return ReferenceTable(file: file, names: csv.header, rowCount: csv.rows.count,
                              columns: Dictionary(uniqueKeysWithValues: zip(csv.header, columns)))
    }

    subscript(name: String) -> [Double] {
        get throws {
            guard let column = columns[name] else {
                throw FixtureError(description: "\(file): no column '\(name)'")
            }
            return column
        }
    }
}

/// The fixture files, each read once per test process.
enum Fixtures {
    /// 3000 BTCUSDT 1h bars from 2024-01-01 00:00 UTC, ETHUSDT close, and the reference outputs.
    static let bars = Result { try ReferenceTable.load("reference-btcusdt-1h.csv") }
    /// Small hand-made inputs (`<case>_x`) and their reference outputs (`<case>_<what>`).
    static let edgeCases = Result { try ReferenceTable.load("edge-cases.csv") }
    /// One-number references (`name,value`).
    static let scalars = Result { try FixtureCSV.scalars("reference-btcusdt-1h-scalars.csv") }

    /// The input columns of `reference-btcusdt-1h.csv`; every other column is a reference output.
    static let barInputs: Set<String> = ["open_time", "open", "high", "low", "close", "volume", "eth_close"]

    /// Edge-case inputs are named `<case>_x`.
    static func isEdgeCaseInput(_ name: String) -> Bool { name.hasSuffix("_x") }
}

// MARK: - Comparing a kernel's output with a reference column

/// How close our value must be to the reference: `|ours - ref| <= relative * max(|ref|, scale)`.
///
/// The default is the plain relative check, 1e-9 with a 1e-12 floor. Some outputs cannot be held
/// to that near zero, because they are differences of much larger, nearly equal numbers: their
/// absolute error is set by the operands, not by the result. Measured on the fixture (against
/// exact rational or 64-bit-mantissa recomputations, and alternative valid formulas):
///
/// - MACD, signal, histogram are differences of EMAs of prices up to 7.3e4 (one ulp 1.5e-11).
///   TA-Lib's own values are off by up to 3.9e-11 from a 64-bit-mantissa recomputation, and the
///   equally valid update `k*x + (1-k)*prev` (TA-Lib uses `prev + k*(x - prev)`) moves them by
///   up to 5.8e-11. Near the smallest |signal| (0.047), 1e-9 relative allows only 4.7e-11.
/// - zscore_168 is `(x - mean) / std`; a mean kept by Welford or by a running sum differs in the
///   last ulps of 7e4, which is ~2e-13 in z. At the smallest |z| (4.3e-4) relative 1e-9 allows
///   4.3e-13, which left a Welford implementation at half the budget.
/// - cov_30 of prices: pandas itself is off by 2.6e-9 at cov = 0.497 (relative 5e-9).
/// - log_return_1 computed as `log(a) - log(b)` (also valid) is off by up to 1.7e-15 absolute,
///   about the whole relative budget at the smallest return (2e-6).
/// - The other zero-crossing columns (obv, roc, pct_change, forward_return, diff, sign, cumsum,
///   the plateau z-score, which is exactly 0 where x equals the window mean) are well
///   conditioned; they use the same rule for uniformity and still get 1e-12 of their range as
///   absolute floor.
///
/// A floor of `1e-6 * max|column|` was tried first: it is below the references' own error for
/// correl_30 and cov_30 (a kernel at the exact value fails it by 6x and 5x, on TA-Lib's and
/// pandas' rounding). `1e-3 * max|column|` (an absolute floor of 1e-12 of the column's range) is
/// at least 10x above every measured legitimate difference and still far below any algorithmic
/// mistake (a wrong seed, window or ddof moves values by 1e-4 or more).
///
/// Correlation is dimensionless and bounded: a running-sum correlation of prices is good to about
/// 1e-11 absolute (TA-Lib's CORREL and pandas' corr both err by 7e-12 vs exact), so its floor is
/// fixed at 0.1 (absolute 1e-10). The bigoffset edge case (prices 1e5, moves 1e-4, std/mean 3e-9)
/// leaves any algorithm about 8 digits; pandas' own Welford value is off by 5e-8, so that case
/// uses 1e-6 relative, which still fails a sum-of-squares variance by orders of magnitude.
///
/// Keep in sync with `tolerance` in Fixtures/make_fixtures.py, which recomputes the variance-like
/// references exactly and refuses to write one that uses more than a fifth of this budget.
enum ColumnTolerance: Sendable {
    case relative
    case nearZero
    case correlation
    case bigOffset

    static let relativeTolerance = 1e-9
    static let nearZeroFactor = 1e-3

    /// (relative tolerance, scale) for the reference column `expected`.
    func bounds(for expected: [Double]) -> (relative: Double, scale: Double) {
        switch self {
        case .relative: return (Self.relativeTolerance, 1e-12)
        case .nearZero: return (Self.relativeTolerance, Self.nearZeroFactor * maxMagnitude(expected))
        case .correlation: return (Self.relativeTolerance, 0.1)
        case .bigOffset: return (1e-6, Self.nearZeroFactor * maxMagnitude(expected))
        }
    }

    private func maxMagnitude(_ x: [Double]) -> Double {
        var m = 0.0
        for v in x where !v.isNaN { m = Swift.max(m, abs(v)) }
        return m
    }
}

func firstValidIndex(_ x: [Double]) -> Int? { x.firstIndex { !$0.isNaN } }

/// Describes a value for a failure message, flagging elements the kernel never wrote.
func describe(_ v: Double) -> String { v == Kernel.unwritten ? "<never written>" : "\(v)" }

/// Checks `ours` against the reference column `expected`: same length, same first valid index,
/// NaN at exactly the same positions, and every other value within `tolerance`. Each failure
/// names the column, the first offending index and both values.
func expectMatches(_ ours: [Double], _ expected: [Double], column: String,
                   tolerance: ColumnTolerance = .relative,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    guard ours.count == expected.count else {
        let message = "\(column): length \(ours.count), expected \(expected.count)"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        return
    }
    let oursFirst = firstValidIndex(ours), expectedFirst = firstValidIndex(expected)
    let oursText = oursFirst.map { String($0) } ?? "none"
    let expectedText = expectedFirst.map { String($0) } ?? "none"
    #expect(oursFirst == expectedFirst,
            "\(column): first valid index \(oursText), expected \(expectedText)",
            sourceLocation: sourceLocation)

    var nanMismatches: [Int] = []
    var valueMismatches: [Int] = []
    var worst: (index: Int, ratio: Double)?
    let (relative, scale) = tolerance.bounds(for: expected)
    for i in expected.indices {
        let a = ours[i], b = expected[i]
        if a.isNaN != b.isNaN || a == Kernel.unwritten {
            nanMismatches.append(i)
        } else if !b.isNaN {
            let allowed = relative * Swift.max(abs(b), scale)
            let ratio = abs(a - b) / allowed
            if !(abs(a - b) <= allowed) {  // also catches an infinite `a`
                valueMismatches.append(i)
                if worst == nil || !(ratio <= worst!.ratio) { worst = (i, ratio) }
            }
        }
    }
    if let i = nanMismatches.first {
        let message = "\(column): NaN positions differ at \(nanMismatches.count) indices; first at"
            + " index \(i): got \(describe(ours[i])), expected \(expected[i])"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
    if let i = valueMismatches.first, let worst {
        let allowed: Double = relative * Swift.max(abs(expected[i]), scale)
        let first: String = "first at index \(i): got \(ours[i]), expected \(expected[i])"
            + " (|diff| \(abs(ours[i] - expected[i])) > \(allowed))"
        let w = worst.index
        let worstText: String = "worst at index \(w): got \(ours[w]), expected \(expected[w])"
            + " (\(worst.ratio)x the tolerance)"
        let message = "\(column): \(valueMismatches.count) values out of tolerance; \(first); \(worstText)"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}

/// Compares one number (e.g. a Spearman correlation) within 1e-9 relative.
func expectClose(_ ours: Double, _ expected: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    if expected.isNaN {
        #expect(ours.isNaN, "\(what): got \(ours), expected NaN", sourceLocation: sourceLocation)
    } else {
        let allowed = ColumnTolerance.relativeTolerance * Swift.max(abs(expected), 1e-12)
        #expect(abs(ours - expected) <= allowed,
                "\(what): got \(ours), expected \(expected) (|diff| \(abs(ours - expected)))",
                sourceLocation: sourceLocation)
    }
}

// MARK: - Running a kernel on [Double]

typealias Input = UnsafeBufferPointer<Double>
typealias Output = UnsafeMutableBufferPointer<Double>

/// Runs kernels the way the bindings do: inputs borrowed, one caller-allocated output each.
enum Kernel {
    /// Outputs are pre-filled with this, so an element a kernel forgets to write shows up as
    /// `<never written>` instead of whatever the allocator left there.
    static let unwritten = -1.2345678901234567e308

    /// A `count`-element array that `body` fills in place.
    static func output(_ count: Int, _ body: (Output) -> Void) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: unwritten)
            initialized = count
            body(buffer)
        }
    }

    static func run(_ x: [Double], _ kernel: (Input, Output) -> Void) -> [Double] {
        x.withUnsafeBufferPointer { x in output(x.count) { kernel(x, $0) } }
    }

    static func run(_ a: [Double], _ b: [Double], _ kernel: (Input, Input, Output) -> Void) -> [Double] {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in output(a.count) { kernel(a, b, $0) } }
        }
    }

    static func run(_ a: [Double], _ b: [Double], _ c: [Double],
                    _ kernel: (Input, Input, Input, Output) -> Void) -> [Double] {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeBufferPointer { c in output(a.count) { kernel(a, b, c, $0) } }
            }
        }
    }

    static func run(_ a: [Double], _ b: [Double], _ c: [Double], _ d: [Double],
                    _ kernel: (Input, Input, Input, Input, Output) -> Void) -> [Double] {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeBufferPointer { c in
                    d.withUnsafeBufferPointer { d in output(a.count) { kernel(a, b, c, d, $0) } }
                }
            }
        }
    }

    /// Two outputs of `count` elements written by one kernel call.
    static func outputs(_ count: Int, _ body: (Output, Output) -> Void) -> ([Double], [Double]) {
        var second: [Double] = []
        let first = output(count) { o1 in second = output(count) { o2 in body(o1, o2) } }
        return (first, second)
    }

    /// Three outputs of `count` elements written by one kernel call.
    static func outputs(_ count: Int, _ body: (Output, Output, Output) -> Void)
        -> ([Double], [Double], [Double]) {
        var second: [Double] = [], third: [Double] = []
        let first = output(count) { o1 in
            second = output(count) { o2 in third = output(count) { o3 in body(o1, o2, o3) } }
        }
        return (first, second, third)
    }
}

// MARK: - Parameterized reference cases

/// One reference column and how to compute it with our kernels.
struct ColumnCase: Sendable, CustomTestStringConvertible {
    enum Source: Sendable {
        case bars, edgeCases

        func table() throws -> ReferenceTable {
            switch self {
            case .bars: try Fixtures.bars.get()
            case .edgeCases: try Fixtures.edgeCases.get()
            }
        }
    }

    let column: String
    let source: Source
    let tolerance: ColumnTolerance
    let compute: @Sendable (ReferenceTable) throws -> [Double]

    init(_ column: String, in source: Source = .bars, _ tolerance: ColumnTolerance = .relative,
         compute: @escaping @Sendable (ReferenceTable) throws -> [Double]) {
        self.column = column
        self.source = source
        self.tolerance = tolerance
        self.compute = compute
    }

    var testDescription: String { column }

    func check(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let table = try source.table()
        let expected = try table[column]
        let ours = try compute(table)
        expectMatches(ours, expected, column: column, tolerance: tolerance,
                      sourceLocation: sourceLocation)
    }
}

// MARK: - The fixtures themselves

@Suite("Reference fixtures")
struct ReferenceFixtureTests {
    /// A fixture column without a case would silently go untested; a case without a column would
    /// fail only at run time.
    @Test func everyReferenceColumnHasExactlyOneCase() throws {
        let cases = TALibReferenceTests.cases + PandasReferenceTests.cases
        for (source, table) in [(ColumnCase.Source.bars, try Fixtures.bars.get()),
                                (.edgeCases, try Fixtures.edgeCases.get())] {
            let outputs = table.names.filter {
                source == .bars ? !Fixtures.barInputs.contains($0) : !Fixtures.isEdgeCaseInput($0)
            }
            let tested = cases.filter { $0.source == source }.map(\.column)
            for name in outputs {
                let count = tested.filter { $0 == name }.count
                #expect(count == 1, "\(table.file): column \(name) has \(count) test cases")
            }
            for name in tested where !outputs.contains(name) {
                Issue.record("\(table.file): a test case names column \(name), which the file lacks")
            }
        }
        let scalars = try Fixtures.scalars.get()
        let testedScalars = PandasReferenceTests.scalarCases.map(\.name)
        #expect(Set(testedScalars) == Set(scalars.keys), "scalar references and cases differ")
    }

    @Test func barsAreTheDocumentedSlice() throws {
        let bars = try Fixtures.bars.get()
        #expect(bars.rowCount == 3000)
        let time = try bars["open_time"]
        #expect(time.first == 1_704_067_200_000)  // 2024-01-01 00:00 UTC
        #expect(zip(time.dropFirst(), time).allSatisfy { $0 - $1 == 3_600_000 }, "hourly, no gaps")
        for name in Fixtures.barInputs {
            #expect(try bars[name].allSatisfy { $0.isFinite }, "input \(name) has NaN")
        }
    }
}
