/// Limits for one sandboxed run (DESIGN.md section 3.4). Zero means "no limit" for each.
public struct SandboxLimits: Sendable, Equatable {
    /// Wall-clock seconds for the whole run (chunk, factor and every layer).
    public var timeout: Double
    /// Lua VM instructions, counted by the hook in steps of 10,000.
    public var maxInstructions: Int64
    /// Bytes the VM may hold, Series included.
    public var maxMemoryBytes: Int
    /// Bytes the script may print.
    public var maxOutputBytes: Int

    public init(timeout: Double = 60, maxInstructions: Int64 = 2_000_000_000,
                maxMemoryBytes: Int = 2 << 30, maxOutputBytes: Int = 16 << 20) {
        self.timeout = timeout
        self.maxInstructions = maxInstructions
        self.maxMemoryBytes = maxMemoryBytes
        self.maxOutputBytes = maxOutputBytes
    }
}

/// What a hypothesis script says about itself in `hypothesis{}`.
public struct HypothesisInfo: Sendable, Equatable, Codable {
    public var name: String = ""
    public var rationale: String?
    public var timeframe: String?
    public var parent: String?
    public var symbols: [String] = []
    public var tags: [String] = []
}

/// One `param.*` declaration and the value the run used.
///
/// A `param.choice` is numbered: `minimum` 0, `maximum` the last index, and `defaultValue` and
/// `value` are indices into ``choices``.
public struct ParameterInfo: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case int, float, bool, choice }
    /// How an optimizer spreads its tries over the range: evenly, or evenly in log space
    /// (`{ log = true }`, for a range spanning orders of magnitude).
    public enum Scale: String, Sendable, Codable { case linear, log }
    public let name: String
    public let kind: Kind
    public let minimum: Double
    public let maximum: Double
    public let defaultValue: Double
    public let value: Double
    /// True when `--param` (or an optimizer) set the value.
    public let overridden: Bool
    public var scale: Scale = .linear
    /// The values of a `param.choice`, in the order declared.
    public var choices: [ParameterChoice] = []

    /// The value as `--param name=value` spells it: an integer, a number, true/false, or the
    /// chosen value's text.
    public func text(for value: Double) -> String {
        switch kind {
        case .bool: return value != 0 ? "true" : "false"
        case .choice:
            let i = Int(value)
            return choices.indices.contains(i) ? choices[i].text : "\(i)"
        case .int: return String(Int64(value.rounded()))
        case .float: return ParameterChoice.number(value).text
        }
    }

    /// The value this run used, as `--param` would set it.
    public var valueText: String { text(for: value) }
}

/// One value a `param.choice` may take: a string or a number, as written in the script.
public enum ParameterChoice: Sendable, Equatable, Codable {
    case number(Double)
    case text(String)

    /// The value's text: a string as it is, a number in its shortest form ("3", "0.5").
    public var text: String {
        switch self {
        case .text(let s): return s
        case .number(let x):
            if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
            return "\(x)"
        }
    }
}

/// A value of `strategy{}`.
public enum StrategyValue: Sendable, Equatable {
    case number(Double)
    case text(String)
    case flag(Bool)
}

/// A column exported with `output{}`.
public struct OutputColumn: Sendable, Equatable {
    public let name: String
    public let values: [Double]
    public let isMask: Bool

    public init(name: String, values: [Double], isMask: Bool) {
        self.name = name
        self.values = values
        self.isMask = isMask
    }
}

/// The masks a hypothesis's `signal(d, f)` returned (1 = true). `long/short/exit` is the short
/// form; `entries/exits/short_entries/short_exits` the explicit one.
public struct SignalLayer: Sendable, Equatable {
    public var long: [Double]?
    public var short: [Double]?
    public var exit: [Double]?
    public var entries: [Double]?
    public var exits: [Double]?
    public var shortEntries: [Double]?
    public var shortExits: [Double]?

    public init() {}

    /// The field names as a script writes them, in the order `signal_masks` and `backtest{}` pass them.
    public static let fieldNames = ["long", "short", "exit", "entries", "exits", "short_entries", "short_exits"]

    /// A layer from masks in ``fieldNames`` order (nil where a mask is missing).
    public init(_ masks: [[Double]?]) {
        func at(_ i: Int) -> [Double]? { i < masks.count ? masks[i] : nil }
        long = at(0); short = at(1); exit = at(2); entries = at(3); exits = at(4); shortEntries = at(5); shortExits = at(6)
    }
}

/// How much of the sandbox a run used.
public struct ResourceUsage: Sendable, Equatable, Codable {
    public var instructions: Int64 = 0
    public var peakMemoryBytes: Int = 0
    public var seconds: Double = 0
}

/// Everything a finished script left behind.
public struct ScriptResult: Sendable {
    public var hypothesis: HypothesisInfo?
    public var parameters: [ParameterInfo] = []
    public var strategy: [(key: String, value: StrategyValue)] = []
    public var outputs: [OutputColumn] = []
    /// The factor series when the script defines `factor(d)`.
    public var factor: [Double]?
    /// The masks of `signal(d, f)` when the script defines it.
    public var signal: SignalLayer?
    /// Registry primitives that read future bars (`forward_return`) the run called anywhere: a
    /// factor or signal built on them looks ahead, and validation refuses it.
    public var lookaheadPrimitives: [String] = []
    public var usage = ResourceUsage()
}
