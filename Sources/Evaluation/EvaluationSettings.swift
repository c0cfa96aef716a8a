public import Scripting

/// How one script is evaluated: the sandbox it runs in and the horizons of its factor report
/// (`sandbox.*` and `factor.horizons` in configs/default.yaml).
public struct EvaluationSettings: Sendable, Equatable {
    /// Limits of every sandboxed run.
    public var sandbox = SandboxLimits(timeout: 60, maxInstructions: 1_000_000_000, maxMemoryBytes: 2048 << 20,
                                       maxOutputBytes: 16 << 20)
    /// Forward-return horizons, in bars, of the factor's rank IC (and of the factor gate).
    public var factorHorizons = [1, 4, 24]

    public init() {}
}
