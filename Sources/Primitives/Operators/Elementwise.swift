#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise arithmetic, comparisons and mask logic behind the Series operators (`a + b`,
/// `gt(a, b)`, `m1 & m2`).
///
/// Operands are a series or a number broadcast to every bar. NaN propagates through arithmetic;
/// a comparison with NaN is false (0), as in IEEE and pandas.
package enum Elementwise {
    package enum Arithmetic: Sendable { case add, subtract, multiply, divide, modulo, power, floorDivide }
    package enum Comparison: Sendable { case greater, less, greaterOrEqual, lessOrEqual, equal, notEqual }
    package enum Logic: Sendable { case and, or, xor }

    /// `out[i] = a[i] ∘ b[i]`. Lua semantics: `%` is floored modulo (`a - floor(a/b)*b`), `//` floors.
    /// - Complexity: O(n), no allocation.
    package static func arithmetic(_ op: Arithmetic, _ a: Operand, _ b: Operand,
                                   into out: UnsafeMutableBufferPointer<Double>) {
        switch (a, b) {
        case (.series(let x), .series(let y)):
            switch op {
            case .add: for i in 0..<out.count { out[i] = x[i] + y[i] }
            case .subtract: for i in 0..<out.count { out[i] = x[i] - y[i] }
            case .multiply: for i in 0..<out.count { out[i] = x[i] * y[i] }
            case .divide: for i in 0..<out.count { out[i] = x[i] / y[i] }
            default: for i in 0..<out.count { out[i] = scalar(op, x[i], y[i]) }
            }
        case (.series(let x), .scalar(let c)):
            switch op {
            case .add: for i in 0..<out.count { out[i] = x[i] + c }
            case .subtract: for i in 0..<out.count { out[i] = x[i] - c }
            case .multiply: for i in 0..<out.count { out[i] = x[i] * c }
            case .divide: for i in 0..<out.count { out[i] = x[i] / c }
            default: for i in 0..<out.count { out[i] = scalar(op, x[i], c) }
            }
        case (.scalar(let c), .series(let y)):
            switch op {
            case .add: for i in 0..<out.count { out[i] = c + y[i] }
            case .subtract: for i in 0..<out.count { out[i] = c - y[i] }
            case .multiply: for i in 0..<out.count { out[i] = c * y[i] }
            case .divide: for i in 0..<out.count { out[i] = c / y[i] }
            default: for i in 0..<out.count { out[i] = scalar(op, c, y[i]) }
            }
        case (.scalar(let c), .scalar(let d)):
            let v = scalar(op, c, d)
            for i in 0..<out.count { out[i] = v }
        }
    }

    @inline(__always)
    static func scalar(_ op: Arithmetic, _ x: Double, _ y: Double) -> Double {
        switch op {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide: return x / y
        case .modulo:
            // Lua's float modulo: the result takes the divisor's sign.
            let m = fmod(x, y)
            return (m != 0 && (m < 0) != (y < 0)) ? m + y : m
        case .power: return pow(x, y)
        case .floorDivide: return (x / y).rounded(.down)
        }
    }

    /// `out[i] = -x[i]`.
    package static func negate(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<out.count { out[i] = -x[i] }
    }

    /// A mask: 1 where the comparison holds, 0 elsewhere (and wherever either side is NaN).
    /// - Complexity: O(n), no allocation.
    package static func compare(_ op: Comparison, _ a: Operand, _ b: Operand,
                                into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<out.count {
            let x = a[i], y = b[i]
            let holds: Bool
            switch op {
            case .greater: holds = x > y
            case .less: holds = x < y
            case .greaterOrEqual: holds = x >= y
            case .lessOrEqual: holds = x <= y
            case .equal: holds = x == y
            case .notEqual: holds = x != y && !x.isNaN && !y.isNaN
            }
            out[i] = holds ? 1 : 0
        }
    }

    /// Mask logic; a nonzero, non-NaN value is true.
    package static func logic(_ op: Logic, _ a: Operand, _ b: Operand, into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<out.count {
            let x = truth(a[i]), y = truth(b[i])
            let r: Bool
            switch op {
            case .and: r = x && y
            case .or: r = x || y
            case .xor: r = x != y
            }
            out[i] = r ? 1 : 0
        }
    }

    /// `out[i] = not mask[i]`.
    package static func not(_ mask: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<out.count { out[i] = truth(mask[i]) ? 0 : 1 }
    }

    @inline(__always)
    package static func truth(_ v: Double) -> Bool { v != 0 && !v.isNaN }
}
