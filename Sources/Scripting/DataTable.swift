/// Immutable column storage shared by every VM that runs over the same data: each sandbox sees
/// it as read-only Series (`d.close`) without a copy per run.
///
/// `@unchecked Sendable`: the buffer is written once in `init` and never again, and it is freed
/// only in `deinit`, after every VM holding a reference is gone.
public final class SeriesStorage: @unchecked Sendable {
    package let buffer: UnsafeMutableBufferPointer<Double>
    public let isMask: Bool

    public init(_ values: [Double], isMask: Bool = false) {
        buffer = .allocate(capacity: Swift.max(values.count, 1))
        _ = buffer.initialize(from: values)
        self.isMask = isMask
        count = values.count
    }

    public let count: Int
    public var values: [Double] { Array(UnsafeBufferPointer(start: buffer.baseAddress, count: count)) }
    package var view: UnsafeBufferPointer<Double> { UnsafeBufferPointer(start: buffer.baseAddress, count: count) }

    deinit { buffer.deallocate() }
}

/// The market data a script sees as `d`: named columns of equal length plus text fields.
public struct DataTable: Sendable {
    /// Columns in a stable order (`time, open, high, low, close, volume, funding, ...`).
    public private(set) var columns: [(name: String, storage: SeriesStorage)] = []
    public var text: [String: String] = [:]

    public init() {}

    /// Bars in every column (0 for an empty table).
    public var count: Int { columns.first?.storage.count ?? 0 }

    public mutating func add(_ name: String, _ values: [Double]) {
        precondition(columns.isEmpty || values.count == count, "column \(name) has \(values.count) values, not \(count)")
        columns.removeAll { $0.name == name }
        columns.append((name, SeriesStorage(values)))
    }

    public func column(_ name: String) -> SeriesStorage? { columns.first { $0.name == name }?.storage }
}
