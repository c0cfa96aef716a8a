/// A value crossing between a script and a host extension.
public enum HostValue: Sendable {
    case none
    case number(Double)
    case boolean(Bool)
    case string(String)
    case series([Double], isMask: Bool)
    /// A Lua table with string keys, in this order.
    case table([(String, HostValue)])
    /// A Lua array.
    case list([HostValue])

    public var number: Double? { if case .number(let x) = self { return x }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
}

/// A function the embedding program adds to every sandbox, reached from the prelude as
/// `host.<name>(...)` (LLMAlpha adds `backtest`, which the prelude's `backtest{}` calls).
///
/// Arguments arrive as values (Series copied); the result is pushed back as Lua values. A thrown
/// message becomes `nil, message` in Lua, so the prelude raises it at the script's line.
public struct HostExtension: Sendable {
    public let name: String
    public let call: @Sendable (HostCall) -> Result<HostValue, HostExtensionError>

    public init(name: String, call: @escaping @Sendable ([HostValue]) -> Result<HostValue, HostExtensionError>) {
        self.name = name
        self.call = { call($0.arguments) }
    }

    /// An extension that may take long (a download): it is told how much of the script's
    /// wall-clock limit is left, since the sandbox cannot stop a host call in the middle.
    public init(name: String, timed call: @escaping @Sendable (HostCall) -> Result<HostValue, HostExtensionError>) {
        self.name = name
        self.call = call
    }
}

/// One call of a host extension.
public struct HostCall: Sendable {
    public let arguments: [HostValue]
    /// Seconds left of the script's wall-clock limit (nil: no limit). A call that takes longer
    /// ends the run as timed out when it returns.
    public let secondsLeft: Double?

    public init(arguments: [HostValue], secondsLeft: Double? = nil) {
        self.arguments = arguments
        self.secondsLeft = secondsLeft
    }
}

public struct HostExtensionError: Error, Sendable {
    public let message: String
    /// The data the call needed cannot be had (market("XYZ")): when this error ends the run, the
    /// run ends as a data error (exit 4).
    public let isDataError: Bool
    public init(_ message: String, isDataError: Bool = false) {
        self.message = message
        self.isDataError = isDataError
    }
}
