import Foundation
import Primitives

/// A long-lived sandbox for `llmalpha repl`: one VM whose globals persist across entries, each
/// entry with the full limits (a runaway entry is stopped and the session goes on).
///
/// Use it from one thread (the REPL's); only ``interrupt()`` may be called from another. The
/// caller's thread needs an ordinary main-thread stack (8 MB); Lua's own limits stop deep
/// recursion well before it.
package final class ScriptSession {
    private var vm: LuaVM
    private let limits: SandboxLimits
    private let extensions: [HostExtension]
    private let printSink: @Sendable (String) -> Void
    private let interruptTarget: InterruptTarget

    /// Lets another thread interrupt whichever VM the session has now.
    final class InterruptTarget: @unchecked Sendable {
        // @unchecked Sendable: `vm` is replaced only under `lock`, and interrupting only sets an atomic flag.
        let lock = NSLock()
        var vm: LuaVM?
        func interrupt() { lock.lock(); vm?.requestInterrupt(); lock.unlock() }
    }

    package init(limits: SandboxLimits, data: DataTable, extensions: [HostExtension] = [],
                print: @escaping @Sendable (String) -> Void) throws(ScriptError) {
        self.limits = limits
        self.extensions = extensions + [ScriptSession.helpExtension]
        self.printSink = print
        self.vm = try LuaVM(limits: limits, data: data, overrides: [:], extensions: self.extensions, repl: true, print: print)
        interruptTarget = InterruptTarget()
        interruptTarget.vm = vm
    }

    /// `help_text(name)` for the REPL prelude's help(): the registry's own reference text.
    static let helpExtension = HostExtension(name: "help_text") { arguments in
        let name = arguments.first?.string
        guard let name else {
            let others = ScriptReference.builtins.map(\.name).joined(separator: ", ")
            return .success(.string(PrimitiveReference.help(nil) + "\nalso: \(others) (help(market) shows one)"))
        }
        let key = name.hasPrefix("param.") ? "param" : (name.hasPrefix("s:") ? String(name.dropFirst(2)) : name)
        if let builtin = ScriptReference.builtins.first(where: { $0.name == key || ($0.name == "totable" && key == "values") }) {
            return .success(.string(builtin.entry.trimmingCharacters(in: .newlines)))
        }
        return .success(.string(PrimitiveReference.help(name)))
    }

    /// The data the session's `d` holds now.
    package var data: DataTable { vm.data }
    package var usage: ResourceUsage { vm.usage }

    /// Evaluates one entry (possibly several lines joined with newlines).
    package func evaluate(_ code: String) -> EntryOutcome {
        vm.evaluate(code, chunkName: "stdin")
    }

    /// Stops the running entry at its next instruction check. Safe from any thread.
    package func interrupt() { interruptTarget.interrupt() }

    /// ``interrupt()`` as a value another thread can hold (a Ctrl-C handler).
    package var interrupter: @Sendable () -> Void {
        let target = interruptTarget
        return { target.interrupt() }
    }

    /// The value of an expression that must be a Series.
    package func series(_ expression: String) -> Result<(values: [Double], isMask: Bool), ScriptError> {
        vm.seriesValue(expression)
    }

    /// Completion candidates: globals and builtins, or a table's fields (`d.` → close, high, ...).
    package func names(in table: String? = nil) -> [String] { vm.names(in: table) }

    /// Runs a script file into the session (`.load`): its globals stay; a hypothesis's layers are
    /// evaluated as `llmalpha run` does.
    package func load(source: String, chunkName: String) -> Result<ScriptResult, ScriptError> {
        vm.resetContract()
        vm.rearm()
        do throws(ScriptError) {
            return .success(try vm.runScript(source: source, chunkName: chunkName, evaluateLayers: true))
        } catch {
            return .failure(error)
        }
    }

    /// Points `d` at other data; the session's globals stay.
    package func replaceData(_ table: DataTable) throws(ScriptError) { try vm.replaceData(table) }

    /// Starts over: a fresh VM on the current data.
    package func reset() throws(ScriptError) {
        let fresh = try LuaVM(limits: limits, data: vm.data, overrides: [:], extensions: extensions, repl: true, print: printSink)
        interruptTarget.lock.lock()
        vm = fresh
        interruptTarget.vm = fresh
        interruptTarget.lock.unlock()
    }

    package var sandboxLimits: SandboxLimits { limits }
}
