/// The right-hand side of an element-wise kernel: a series of the same length, or one number
/// broadcast to every bar.
///
/// Kernels switch on the case once, outside their loop, and run a loop specialised for it; the
/// subscript is for code that is not hot.
package enum Operand {
    case series(UnsafeBufferPointer<Double>)
    case scalar(Double)

    /// Element `i` of the series, or the scalar for every `i`.
    @inline(__always)
    package subscript(i: Int) -> Double {
        switch self {
        case .series(let values): return values[i]
        case .scalar(let value): return value
        }
    }
}

/// Read access shared by `Operand`'s two cases, so that a generic loop is specialised for each
/// pair of cases (no per-element switch, no existential).
protocol ElementSource {
    subscript(i: Int) -> Double { get }
}

struct SeriesSource: ElementSource {
    let values: UnsafeBufferPointer<Double>
    @inline(__always) subscript(i: Int) -> Double { values[i] }
}

struct ScalarSource: ElementSource {
    let value: Double
    @inline(__always) subscript(i: Int) -> Double { value }
}
