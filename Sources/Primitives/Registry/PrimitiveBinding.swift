/// What a caller hands a primitive: a view of one Lua (or Swift API) argument, before checking.
package enum ArgumentInput {
    case none
    case number(Double)
    case boolean(Bool)
    case string(String)
    case series(UnsafeBufferPointer<Double>, isMask: Bool)
    /// Any other Lua type, by its Lua name ("table", "function").
    case other(String)

    package var typeName: String {
        switch self {
        case .none: return "no value"
        case .number: return "number"
        case .boolean: return "boolean"
        case .string: return "string"
        case .series(_, let isMask): return isMask ? "mask" : "series"
        case .other(let name): return name
        }
    }
}

/// A checked argument, ready for a kernel.
package enum BoundArgument {
    case series(UnsafeBufferPointer<Double>)
    /// A series that came in as a mask (1/0); kernels read it like any series.
    case mask(UnsafeBufferPointer<Double>)
    case number(Double)
    case integer(Int)
    case option(String)
}

/// The checked arguments of one call. Kernels read them by position; the binding guarantees the
/// kind, so a mismatch here is a programmer error in the registry entry.
package struct BoundArguments {
    package let values: [BoundArgument]
    /// Length of the series arguments (all equal), or 0 when there are none.
    package let length: Int

    package func series(_ i: Int) -> UnsafeBufferPointer<Double> {
        switch values[i] {
        case .series(let s), .mask(let s): return s
        default: preconditionFailure("argument \(i) is not a series")
        }
    }

    /// Whether argument `i` was passed as a mask.
    package func isMask(_ i: Int) -> Bool {
        if case .mask = values[i] { return true }
        return false
    }

    package func int(_ i: Int) -> Int {
        switch values[i] {
        case .integer(let v): return v
        case .number(let v): return Int(v)
        default: preconditionFailure("argument \(i) is not an integer")
        }
    }

    package func number(_ i: Int) -> Double {
        switch values[i] {
        case .number(let v): return v
        case .integer(let v): return Double(v)
        default: preconditionFailure("argument \(i) is not a number")
        }
    }

    package func option(_ i: Int) -> String {
        guard case .option(let s) = values[i] else { preconditionFailure("argument \(i) is not an option") }
        return s
    }

    package func operand(_ i: Int) -> Operand {
        switch values[i] {
        case .series(let s), .mask(let s): return .series(s)
        case .number(let v): return .scalar(v)
        case .integer(let v): return .scalar(Double(v))
        case .option: preconditionFailure("argument \(i) is not an operand")
        }
    }
}

/// Where a kernel writes: one buffer per series result (allocated by the caller, `length` long),
/// one slot per number result.
package struct ResultBuffers {
    package var series: [UnsafeMutableBufferPointer<Double>]
    package var numbers: [Double]

    package init(series: [UnsafeMutableBufferPointer<Double>], numberCount: Int) {
        self.series = series
        self.numbers = Array(repeating: .nan, count: numberCount)
    }
}

/// A call that cannot run: the message is the whole user-facing line, in Lua's own style.
package struct PrimitiveError: Error, Sendable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
    package init(_ message: String) { self.message = message }
}

extension PrimitiveSpec {
    /// Checks the inputs against the argument specs and applies defaults.
    ///
    /// Messages read like Lua's own: `bad argument #1 to 'rsi' (series expected, got string)`,
    /// `rsi: window must be an integer in 1...52000, got -3`.
    package func bind(_ inputs: [ArgumentInput]) throws(PrimitiveError) -> BoundArguments {
        let shownOffset = placement == .method ? 0 : 1   // Lua counts self as argument 0 in methods
        if inputs.count > arguments.count {
            let names = arguments.map(\.name).joined(separator: ", ")
            throw PrimitiveError("\(name): expected at most \(arguments.count) argument\(arguments.count == 1 ? "" : "s") (\(names)), got \(inputs.count)")
        }
        // The series length comes first: windows are checked against it.
        var length: Int? = nil
        var lengthSource = ""
        for (i, input) in inputs.enumerated() {
            guard case .series(let s, _) = input else { continue }
            switch arguments[i].kind {
            case .series, .mask, .seriesOrNumber:
                if let n = length, n != s.count {
                    throw PrimitiveError("\(name): series have different lengths (\(lengthSource) has \(n), \(arguments[i].name) has \(s.count))")
                }
                if length == nil { length = s.count; lengthSource = arguments[i].name }
            default: break
            }
        }
        let n = length ?? 0
        var values: [BoundArgument] = []
        values.reserveCapacity(arguments.count)
        for (i, spec) in arguments.enumerated() {
            let input = i < inputs.count ? inputs[i] : .none
            let position = i + shownOffset
            func bad(_ expected: String) -> PrimitiveError {
                PrimitiveError("bad argument #\(position) to '\(name)' (\(expected) expected, got \(input.typeName))")
            }
            switch spec.kind {
            case .series:
                guard case .series(let s, let isMask) = input else { throw bad("series") }
                values.append(isMask ? .mask(s) : .series(s))
            case .mask:
                guard case .series(let s, let isMask) = input else { throw bad("mask") }
                guard isMask else {
                    throw PrimitiveError("bad argument #\(position) to '\(name)' (mask expected, got a series of values; hint: build a mask with gt, lt, crossover, ...)")
                }
                values.append(.mask(s))
            case .seriesOrNumber:
                switch input {
                case .series(let s, _): values.append(.series(s))
                case .number(let v): values.append(.number(v))
                case .none where spec.defaultValue != nil: values.append(.number(spec.defaultValue!))
                default: throw bad("series or number")
                }
            case .window:
                let v = try integerValue(input, spec: spec, position: position)
                guard v >= 1 && v <= n else {
                    throw PrimitiveError("\(name): \(spec.name == "n" ? "window" : spec.name) must be an integer in 1...\(n), got \(v)")
                }
                values.append(.integer(v))
            case .integer(let lo, let hi):
                let v = try integerValue(input, spec: spec, position: position)
                let upper = hi ?? n
                guard v >= lo && v <= upper else {
                    throw PrimitiveError("\(name): \(spec.name) must be an integer in \(lo)...\(upper), got \(v)")
                }
                values.append(.integer(v))
            case .number(let range):
                let v: Double
                switch input {
                case .number(let x): v = x
                case .none where spec.defaultValue != nil: v = spec.defaultValue!
                default: throw bad("number")
                }
                guard range.contains(v) else {
                    throw PrimitiveError("\(name): \(spec.name) must be a number in \(format(range.lowerBound))...\(format(range.upperBound)), got \(format(v))")
                }
                values.append(.number(v))
            case .option(let options):
                let chosen: String
                switch input {
                case .string(let s): chosen = s
                case .none where spec.defaultOption != nil: chosen = spec.defaultOption!
                default: throw bad("string")
                }
                guard options.contains(chosen) else {
                    throw PrimitiveError("\(name): \(spec.name) must be one of \(options.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(chosen)\"")
                }
                values.append(.option(chosen))
            }
        }
        if length == nil, results.contains(where: \.isSeries) {
            throw PrimitiveError("\(name): at least one argument must be a series")
        }
        let bound = BoundArguments(values: values, length: n)
        if let check, let problem = check(bound) { throw PrimitiveError("\(name): \(problem)") }
        return bound
    }

    private func integerValue(_ input: ArgumentInput, spec: ArgumentSpec, position: Int) throws(PrimitiveError) -> Int {
        switch input {
        case .number(let x):
            guard x == x.rounded(), abs(x) < 1e15 else {
                if case .window = spec.kind {
                    throw PrimitiveError("\(name): window must be an integer, got \(format(x))")
                }
                throw PrimitiveError("\(name): \(spec.name) must be an integer, got \(format(x))")
            }
            return Int(x)
        case .none where spec.defaultValue != nil:
            return Int(spec.defaultValue!)
        default:
            throw PrimitiveError("bad argument #\(position) to '\(name)' (integer expected, got \(input.typeName))")
        }
    }
}

/// Numbers in messages: integers without a trailing ".0".
package func format(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
    return String(x)
}
