import Foundation

/// Runs Lua scripts in the sandbox: one fresh VM per run, on a thread with a large C stack.
///
/// ```swift
/// let runner = ScriptRunner(limits: SandboxLimits(timeout: 10))
/// let result = try runner.run(source: text, chunkName: "x.lua", data: table) { print($0, terminator: "") }
/// ```
public final class ScriptRunner: @unchecked Sendable {
    // @unchecked Sendable: `active` is the only mutable state and is guarded by `lock`; it lets
    // another thread (a Ctrl-C handler) interrupt the run in progress.
    public let limits: SandboxLimits
    private let lock = NSLock()
    private var active: LuaVM?
    private var interruptRequested = false

    /// C stack for the VM thread: the parser and C-level recursion (metamethods, primitives) get
    /// room far beyond Lua's own limits, so those limits, not the stack, stop a deep script.
    static let stackSize = 64 << 20

    public init(limits: SandboxLimits) {
        self.limits = limits
    }

    /// Stops the running script at its next instruction check; it fails with `.resourceLimit(.interrupt)`.
    public func interrupt() {
        lock.lock()
        defer { lock.unlock() }
        interruptRequested = true
        active?.requestInterrupt()
    }

    /// Runs a script's main chunk, then its `factor(d)` when it defines one and `evaluateFactor` is set.
    ///
    /// - Parameters:
    ///   - parameters: `--param name=value` overrides; each must match a `param.*` declaration.
    ///   - print: receives everything the script prints, as it is printed.
    /// - Throws: ``ScriptError`` classified from the sandbox's own flags.
    ///   - extensions: host functions the prelude can reach (`backtest{}`).
    public func run(source: String, chunkName: String, data: DataTable, parameters: [String: String] = [:],
                    evaluateFactor: Bool = true, extensions: [HostExtension] = [],
                    print: @escaping @Sendable (String) -> Void) throws(ScriptError) -> ScriptResult {
        let outcome = onLargeStack { [self] () -> Result<ScriptResult, ScriptError> in
            do throws(ScriptError) {
                let vm = try LuaVM(limits: limits, data: data, overrides: parameters, extensions: extensions, print: print)
                lock.lock()
                active = vm
                if interruptRequested { vm.requestInterrupt() }
                lock.unlock()
                defer {
                    lock.lock()
                    active = nil
                    lock.unlock()
                }
                return .success(try vm.runScript(source: source, chunkName: chunkName, evaluateLayers: evaluateFactor))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    private func onLargeStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = ScriptRunner.stackSize
        thread.start()
        done.wait()
        return box.value!
    }
}

/// Carries a value out of the VM thread; written before the semaphore signals, read after it.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// `output{ a = x, b = y }` is a Lua table, whose iteration order is not the order written. The
/// columns are put back in source order by reading the `output{...}` calls' keys from the text.
enum OutputOrder {
    static func sort(_ columns: [OutputColumn], source: String) -> [OutputColumn] {
        let order = keysInOutputCalls(source)
        func rank(_ name: String) -> Int { order.firstIndex(of: name) ?? Int.max }
        return columns.enumerated().sorted { a, b in
            let (ra, rb) = (rank(a.element.name), rank(b.element.name))
            return ra != rb ? ra < rb : a.element.name < b.element.name
        }.map(\.element)
    }

    /// Keys written as `name =` at the top level of every `output{ ... }` / `output({ ... })` call,
    /// in order; strings and comments are skipped.
    static func keysInOutputCalls(_ source: String) -> [String] {
        let text = LuaText(source)
        var keys: [String] = []
        var i = 0
        let word = Array("output".utf8)
        while i < text.count {
            if let skipped = text.skipStringOrComment(at: i) { i = skipped.end; continue }
            guard text.isWord(word, at: i) else {
                i += 1
                continue
            }
            var j = text.skipTrivia(from: i + word.count)
            if j < text.count, text[j] == 40 { j = text.skipTrivia(from: j + 1) }   // output({ ... })
            guard j < text.count, text[j] == 123 else { i = j; continue }
            j += 1
            var depth = 1
            var atItemStart = true
            while j < text.count, depth > 0 {
                if let skipped = text.skipStringOrComment(at: j) {
                    if skipped.isString { atItemStart = false }
                    j = skipped.end
                    continue
                }
                let c = text[j]
                if c == 123 || c == 40 || c == 91 { depth += 1; atItemStart = false; j += 1; continue }
                if c == 125 || c == 41 || c == 93 { depth -= 1; j += 1; continue }
                if c == 44 || c == 59 { if depth == 1 { atItemStart = true }; j += 1; continue }
                if depth == 1, atItemStart, LuaText.isIdentifier(c), !(c >= 48 && c <= 57) {
                    var k = j
                    while k < text.count, LuaText.isIdentifier(text[k]) { k += 1 }
                    let m = text.skipTrivia(from: k)
                    if m < text.count, text[m] == 61, m + 1 >= text.count || text[m + 1] != 61 {
                        keys.append(text.text(j..<k))
                    }
                    atItemStart = false
                    j = k
                    continue
                }
                if !LuaText.isSpace(c) { atItemStart = false }
                j += 1
            }
            i = j
        }
        return keys
    }
}
