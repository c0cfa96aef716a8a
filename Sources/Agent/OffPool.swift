import Foundation

/// Runs blocking work (a promotion's backtest, a batch of database reads) on a thread of its own
/// and awaits it, so the research loop never holds one of Swift's few cooperative threads for
/// long: an LLM client's streams and a caller's servers need them.
enum OffPool {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(AgentError) -> T) async throws(AgentError) -> T {
        let result: Result<T, AgentError> = await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: Result { () throws(AgentError) -> T in try body() }) }
            thread.stackSize = 1 << 20
            thread.start()
        }
        return try result.get()
    }
}
