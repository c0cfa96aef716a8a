/// One Lua-callable primitive: everything the bindings, `llmalpha docs`, the REPL's `help()` and the
/// LLM prompt need to know about it.
///
/// A new primitive is one entry in ``PrimitiveRegistry``, its kernel and its tests. Arguments are
/// checked by ``bind(_:)`` before any result is allocated, so a kernel only ever sees valid input.
///
/// A final class, not a struct: every Lua call looks its spec up, and handing out one reference
/// is cheaper than copying a dozen fields with their retains.
package final class PrimitiveSpec: Sendable {
    /// The sections of the generated reference.
    package enum Group: String, Sendable, CaseIterable {
        case rolling = "Moving and rolling"
        case indicator = "Indicators"
        case transform = "Transforms"
        case comparison = "Comparisons and masks"
        case event = "Events"
        case time = "Time"
        case stat = "Research statistics"
        case method = "Series methods"
        case `operator` = "Operators"
    }

    /// How a primitive is reached from Lua.
    package enum Placement: Sendable {
        case global        // rsi(s, 14)
        case method        // s:mean()
        case metamethod    // a + b
    }

    package let name: String
    package let group: Group
    package let placement: Placement
    package let arguments: [ArgumentSpec]
    package let results: [ResultSpec]
    /// One line, shown in help(), the docs and the prompt.
    package let summary: String
    /// Lua; every example runs in a fresh sandbox in the tests, so it cannot rot.
    package let example: String
    /// The first valid index (0-based), as text for the docs ("n - 1"), like TA-Lib's Lookback functions.
    package let lookback: String
    /// Where the reference values in the tests come from ("TA-Lib SMA", "pandas rolling median", "hand").
    package let reference: String
    /// True for primitives that read future bars (`forward_return`); never use them inside a factor.
    package let looksAhead: Bool
    /// Checks that involve several arguments (`clip`'s bounds); returns the error line or nil.
    package let check: (@Sendable (BoundArguments) -> String?)?
    package let kernel: @Sendable (BoundArguments, inout ResultBuffers) -> Void

    package init(
        name: String, group: Group, placement: Placement = .global, arguments: [ArgumentSpec],
        results: [ResultSpec], summary: String, example: String, lookback: String, reference: String,
        looksAhead: Bool = false,
        check: (@Sendable (BoundArguments) -> String?)? = nil,
        kernel: @escaping @Sendable (BoundArguments, inout ResultBuffers) -> Void
    ) {
        self.name = name; self.group = group; self.placement = placement; self.arguments = arguments
        self.results = results; self.summary = summary; self.example = example; self.lookback = lookback
        self.reference = reference; self.looksAhead = looksAhead; self.check = check; self.kernel = kernel
    }

    /// Unique key in the registry: the Lua name, or `:name` for a Series method (`std` is both a
    /// rolling primitive and the method `s:std()`).
    package var key: String { placement == .method ? ":" + name : name }

    /// The typical range of the argument `name` (see ``ArgumentSpec/typical``).
    package func typical(_ name: String) -> ClosedRange<Double>? { arguments.first { $0.name == name }?.typical }

    /// The Lua call signature for docs: `rsi(s, n = 14) -> series`.
    package var signature: String {
        let shown = placement == .method ? Array(arguments.dropFirst()) : arguments
        let args = shown.map { arg in
            if let d = arg.defaultText { return "\(arg.name) = \(d)" }
            return arg.name
        }.joined(separator: ", ")
        let res = results.map(\.typeName).joined(separator: ", ")
        return placement == .method ? "s:\(name)(\(args)) -> \(res)" : "\(name)(\(args)) -> \(res)"
    }
}

/// One argument of a primitive, with the type and range the binding checks.
package struct ArgumentSpec: Sendable {
    package enum Kind: Sendable {
        /// A Series of values (a mask is accepted and reads as 0/1).
        case series
        /// A boolean mask from a comparison (`gt`, `crossover`, ...).
        case mask
        /// A Series or a number broadcast to every bar.
        case seriesOrNumber
        /// An integer window in 1...length of the series.
        case window
        /// An integer in a fixed range; `nil` bounds mean "length of the series".
        case integer(min: Int, max: Int?)
        /// A finite number in a range.
        case number(ClosedRange<Double>)
        /// One string from a list.
        case option([String])
    }

    package let name: String
    package let kind: Kind
    package let defaultValue: Double?
    package let defaultOption: String?
    /// The values worth trying on hourly crypto bars (a window of 2...240 unless the entry says
    /// otherwise): the offline generator's parameter ranges and a hint in the docs. The binding
    /// still accepts the whole of ``kind``'s range.
    package let typical: ClosedRange<Double>?

    package init(_ name: String, _ kind: Kind, default value: Double? = nil, typical: ClosedRange<Double>? = nil) {
        self.name = name; self.kind = kind; self.defaultValue = value; self.defaultOption = nil
        if let typical {
            self.typical = typical
        } else if case .window = kind {
            self.typical = 2...240
        } else {
            self.typical = nil
        }
    }

    package init(_ name: String, options: [String], default option: String) {
        self.name = name; self.kind = .option(options); self.defaultValue = nil; self.defaultOption = option; self.typical = nil
    }

    var defaultText: String? {
        if let defaultOption { return "\"\(defaultOption)\"" }
        guard let defaultValue else { return nil }
        return defaultValue == defaultValue.rounded() && abs(defaultValue) < 1e15
            ? String(Int(defaultValue)) : String(defaultValue)
    }

    /// The word used in "bad argument" messages and the docs.
    package var typeName: String {
        switch kind {
        case .series: return "series"
        case .mask: return "mask"
        case .seriesOrNumber: return "series or number"
        case .window: return "window"
        case .integer: return "integer"
        case .number: return "number"
        case .option(let o): return o.map { "\"\($0)\"" }.joined(separator: "|")
        }
    }
}

/// One result of a primitive.
package enum ResultSpec: Sendable {
    case series(String)
    case mask(String)
    case number(String)
    /// A number that reads as nil in Lua when it is NaN (`first_valid` of an all-NaN series).
    case optionalNumber(String)
    /// A whole number (a count, an index), a Lua integer; nil when NaN.
    case integer(String)

    package var typeName: String {
        switch self {
        case .series: return "series"
        case .mask: return "mask"
        case .number: return "number"
        case .optionalNumber: return "number|nil"
        case .integer: return "integer"
        }
    }

    package var isSeries: Bool {
        switch self {
        case .series, .mask: return true
        case .number, .optionalNumber, .integer: return false
        }
    }
}
