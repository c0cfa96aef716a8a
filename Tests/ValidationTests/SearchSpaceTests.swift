import Testing
@testable import Validation

@Suite("SearchSpace.validate names the parameter and the problem")
struct SearchSpaceTests {
    @Test(arguments: [
        (SearchDimension.integer(name: "lookback", low: 200, high: 5, log: false),
         "parameter 'lookback': low 200 is above high 5"),
        (.real(name: "z", low: 3, high: 0.5, log: false), "parameter 'z': low 3.0 is above high 0.5"),
        (.real(name: "z", low: -.infinity, high: 1, log: false), "parameter 'z': bounds must be finite, got -inf...1.0"),
        (.real(name: "z", low: 0, high: .nan, log: false), "parameter 'z': bounds must be finite, got 0.0...nan"),
        (.real(name: "fee", low: 0, high: 1, log: true), "parameter 'fee': a log scale needs low > 0, got low 0.0"),
        (.integer(name: "n", low: -3, high: 10, log: true), "parameter 'n': a log scale needs low > 0, got low -3"),
        (.real(name: "w", low: -1e308, high: 1e308, log: false),
         "parameter 'w': the range -1e+308...1e+308 is too wide: its width overflows"),
        (.integer(name: "n", low: 0, high: Int.max, log: false),
         "parameter 'n': integer bounds must lie within ±2^53, got 0...9223372036854775807"),
        (.choice(name: "mode", count: 0), "parameter 'mode': a choice needs at least one value, got 0"),
    ])
    func rejectsAnUnsearchableDimension(dimension: SearchDimension, message: String) {
        let space = SearchSpace([.real(name: "ok", low: 0, high: 1, log: false), dimension])
        #expect(throws: SearchSpaceError.self) { try space.validate() }
        do { try space.validate() } catch { #expect(error.description == message) }
    }

    @Test func rejectsADuplicateName() {
        let space = SearchSpace([.real(name: "a", low: 0, high: 1, log: false),
                                 .integer(name: "b", low: 0, high: 1, log: false),
                                 .choice(name: "a", count: 2)])
        do {
            try space.validate()
            Issue.record("a duplicate name passed validation")
        } catch {
            #expect(error.description == "parameter 'a': declared twice (dimensions 0 and 2)")
            #expect(error.dimension == "a")
        }
    }

    @Test func acceptsSearchableSpacesIncludingFixedAndEmptyOnes() throws {
        try SearchSpace([]).validate()
        try SearchSpace([.integer(name: "a", low: 1, high: 1, log: true),
                         .real(name: "b", low: 2.5, high: 2.5, log: false),
                         .choice(name: "c", count: 1),
                         .real(name: "d", low: 1e-8, high: 1e8, log: true),
                         .integer(name: "e", low: -(1 << 53), high: 1 << 53, log: false)]).validate()
    }

    @Test func containsChecksCountBoundsAndWholeness() {
        let space = SearchSpace([.integer(name: "n", low: 1, high: 10, log: false),
                                 .real(name: "x", low: -1, high: 1, log: false),
                                 .choice(name: "c", count: 3)])
        #expect(space.contains([1, -1, 0]))
        #expect(space.contains([10, 1, 2]))
        #expect(!space.contains([1, 0]))
        #expect(!space.contains([1.5, 0, 0]))
        #expect(!space.contains([11, 0, 0]))
        #expect(!space.contains([1, 1.01, 0]))
        #expect(!space.contains([1, .nan, 0]))
        #expect(!space.contains([1, 0, 3]))
        #expect(!space.contains([1, 0, 0.5]))
    }
}
