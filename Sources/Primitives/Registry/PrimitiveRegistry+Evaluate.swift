/// A value passed to or returned from a primitive through the Swift API.
package enum PrimitiveValue: Sendable, Equatable {
    case series([Double])
    case mask([Double])
    case number(Double)
    case string(String)

    /// The values of a series or mask result.
    package var values: [Double]? {
        switch self {
        case .series(let v), .mask(let v): return v
        default: return nil
        }
    }
}

extension PrimitiveRegistry {
    /// Runs a primitive from Swift, with the same checks as a Lua call.
    ///
    /// ```swift
    /// let rsi = try PrimitiveRegistry.evaluate("rsi", [.series(closes), .number(14)])[0].values!
    /// ```
    /// - Throws: ``PrimitiveError`` for an unknown name or bad arguments.
    package static func evaluate(_ name: String, _ inputs: [PrimitiveValue]) throws(PrimitiveError) -> [PrimitiveValue] {
        guard let spec = byName[name] else { throw PrimitiveError("unknown primitive '\(name)'") }
        return try spec.evaluate(inputs)
    }
}

extension PrimitiveSpec {
    /// See ``PrimitiveRegistry/evaluate(_:_:)``.
    package func evaluate(_ inputs: [PrimitiveValue]) throws(PrimitiveError) -> [PrimitiveValue] {
        // Keep every input array alive and pinned while the kernel reads it.
        let arrays: [[Double]] = inputs.map { $0.values ?? [] }
        let storage: [UnsafeMutablePointer<Double>] = arrays.map { array in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(array.count, 1))
            p.initialize(from: array, count: array.count)
            return p
        }
        defer { for p in storage { p.deallocate() } }
        let pointers = zip(storage, arrays).map { UnsafeBufferPointer(start: $0, count: $1.count) }
        let views: [ArgumentInput] = inputs.enumerated().map { i, value in
            switch value {
            case .series: return .series(pointers[i], isMask: false)
            case .mask: return .series(pointers[i], isMask: true)
            case .number(let x): return .number(x)
            case .string(let s): return .string(s)
            }
        }
        let bound = try bind(views)
        let seriesCount = results.filter(\.isSeries).count
        let outputStorage = (0..<seriesCount).map { _ in
            UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(bound.length, 1))
        }
        defer { for o in outputStorage { o.deallocate() } }
        let outputs = outputStorage.map { UnsafeMutableBufferPointer(start: $0, count: bound.length) }
        var buffers = ResultBuffers(series: outputs, numberCount: results.count - seriesCount)
        kernel(bound, &buffers)
        var seriesIndex = 0, numberIndex = 0
        return results.map { result in
            switch result {
            case .series:
                defer { seriesIndex += 1 }
                return .series(Array(buffers.series[seriesIndex]))
            case .mask:
                defer { seriesIndex += 1 }
                return .mask(Array(buffers.series[seriesIndex]))
            case .number, .optionalNumber, .integer:
                defer { numberIndex += 1 }
                return .number(buffers.numbers[numberIndex])
            }
        }
    }
}
