internal import CLua
internal import LuaSandboxC
import Primitives
#if canImport(Glibc)
import Glibc
#endif

/// One sandboxed `lua_State` with the primitives, the data table `d` and the prelude installed.
///
/// Created, used and closed on one thread (`deinit` closes the state); never shared. Swift code
/// here only calls Lua API functions that never raise; anything that may raise runs in
/// LuaSandboxC under `lua_pcall`, and errors come back as ``ScriptError`` values.
package final class LuaVM {
    let sandbox: UnsafeMutablePointer<llma_sandbox>
    var state: OpaquePointer?
    var data: DataTable
    /// Earlier data tables of a REPL session: Series the script still holds point into them.
    var retiredData: [DataTable] = []
    /// Prelude files of `prelude/repl/`, loaded before the globals are sealed.
    private let repl: Bool
    let limits: SandboxLimits
    private let overrides: [String: String]
    private let printSink: (String) -> Void
    var started = 0.0
    /// The script's own name for error locations. Lua cuts chunk names to 60 bytes, so the chunk
    /// is loaded under a short token and errors get the full path back in ``takeError``.
    var scriptName = ""
    static let chunkToken = "script"

    // What the prelude reports through the host callbacks.
    var hypothesis: HypothesisInfo?
    var parameters: [ParameterInfo] = []
    var strategy: [(key: String, value: StrategyValue)] = []
    var outputSeries: [(name: String, data: UnsafePointer<Double>, count: Int, isMask: Bool)] = []
    var consumedOverrides: Set<String> = []
    private var signalLayer: SignalLayer?
    /// Set when a `--param` value was refused: that error is the caller's, not the script's.
    private var usageFailure = false
    /// Set when the script broke the contract in a way Lua reports as a plain error (a `param.*`
    /// declared inside a layer).
    private var contractFailure = false
    /// The message of the last host extension that could not get the data it was asked for: an
    /// error carrying it ends the run as a data error (one a pcall caught and another followed
    /// does not).
    private var dataFailure: String? = nil
    /// True while `factor(d)` and `signal(d, f)` run: `param.*` is refused there.
    private var inLayers = false
    /// Looks-ahead primitives called so far (``ScriptResult/lookaheadPrimitives``).
    var lookaheadCalls: Set<String> = []

    static let hostMeta: Int32 = 100_000
    static let hostParam: Int32 = 100_001
    static let hostOutput: Int32 = 100_002
    static let hostSignalMasks: Int32 = 100_003

    private let extensions: [HostExtension]
    static let firstExtension: Int32 = 200_000

    package init(limits: SandboxLimits, data: DataTable, overrides: [String: String], extensions: [HostExtension] = [],
                 repl: Bool = false, print: @escaping (String) -> Void) throws(ScriptError) {
        self.extensions = extensions
        self.repl = repl
        self.limits = limits
        self.data = data
        self.overrides = overrides
        self.printSink = print
        sandbox = .allocate(capacity: 1)
        sandbox.initialize(to: llma_sandbox())
        sandbox.pointee.memory_limit = limits.maxMemoryBytes
        sandbox.pointee.instruction_limit = limits.maxInstructions
        sandbox.pointee.output_limit = limits.maxOutputBytes
        sandbox.pointee.entry = luaEntry
        sandbox.pointee.print_sink = luaPrintSink
        let context = Unmanaged.passUnretained(self).toOpaque()
        sandbox.pointee.entry_context = context
        sandbox.pointee.print_context = context
        started = llma_monotonic_seconds()
        if limits.timeout > 0 { sandbox.pointee.deadline = started + limits.timeout }
        guard let L = llma_sandbox_open(sandbox) else {
            throw ScriptError(kind: .resourceLimit(.memory), message: "cannot create the Lua sandbox (memory limit too small?)")
        }
        state = L
        try install(L)
    }

    deinit {
        llma_sandbox_close(state)
        sandbox.deinitialize(count: 1)
        sandbox.deallocate()
    }

    func requestInterrupt() { llma_sandbox_interrupt(sandbox) }

    var usage: ResourceUsage {
        ResourceUsage(instructions: sandbox.pointee.instructions_used, peakMemoryBytes: sandbox.pointee.memory_peak,
                      seconds: llma_monotonic_seconds() - started)
    }

    // MARK: - set-up

    /// Builds `d` from `table`: a Series per column (sharing the table's buffers), strings for
    /// its text fields.
    func installData(_ table: DataTable, _ L: OpaquePointer) throws(ScriptError) {
        try check(L, llma_push_new_table(L), "building d")
        for column in table.columns {
            try check(L, llma_set_series_field(L, column.name, column.storage.buffer.baseAddress, Int64(column.storage.count),
                                               column.storage.isMask ? LLMA_SERIES_MASK : LLMA_SERIES_VALUES), "building d")
        }
        for (key, value) in table.text.sorted(by: { $0.key < $1.key }) {
            try check(L, llma_set_string_field(L, key, value), "building d")
        }
        try check(L, llma_set_builtin(L, "d"), "building d")
    }

    private func install(_ L: OpaquePointer) throws(ScriptError) {
        let table = InstallTable.shared
        try check(L, llma_install_functions(L, table.names.baseAddress, table.ids.baseAddress, table.wheres.baseAddress,
                                            Int32(table.ids.count)), "installing primitives")
        try check(L, table.operatorIds.withUnsafeBufferPointer { llma_install_operators(L, $0.baseAddress) }, "installing operators")
        for (i, ext) in extensions.enumerated() {
            try check(L, llma_install_function(L, ext.name, LuaVM.firstExtension + Int32(i), 2), "installing \(ext.name)")
        }

        try installData(data, L)

        for file in Prelude.files + (repl ? Prelude.replFiles : []) {
            let status = file.bytecode.withUnsafeBufferPointer {
                llma_run_prelude(L, $0.baseAddress, $0.count, "@prelude/\(file.name)", 1)
            }
            if status != LUA_OK {
                throw takeError(L, kind: .runtime, status: status)
            }
        }
        try check(L, llma_seal_globals(L), "sealing globals")
    }

    func check(_ L: OpaquePointer, _ status: Int32, _ what: String) throws(ScriptError) {
        guard status == LUA_OK else {
            let error = takeError(L, kind: .runtime, status: status)
            throw ScriptError(kind: error.kind, message: "\(what): \(error.message)")
        }
    }

    // MARK: - running

    /// Compiles and runs a script's main chunk (text only; binary chunks are refused).
    package func run(source: String, chunkName: String) throws(ScriptError) {
        guard let L = state else { return }
        scriptName = chunkName
        let status = withLuaBytes(source) { llma_load(L, $0, $1, "=" + LuaVM.chunkToken) }
        if status != LUA_OK {
            throw takeError(L, kind: status == LUA_ERRSYNTAX ? .syntax : .runtime, status: status)
        }
        let callStatus = llma_pcall(L, 0, 0)
        if callStatus != LUA_OK { throw takeError(L, kind: .runtime, status: callStatus) }
        let unused = Set(overrides.keys).subtracting(consumedOverrides)
        if let name = unused.sorted().first {
            let declared = parameters.map(\.name)
            var hint: String? = nil
            if let close = closestName(to: name, in: declared) { hint = "did you mean '\(close)'?" }
            let list = declared.isEmpty ? "the script declares no param.*" : "declared: \(declared.joined(separator: ", "))"
            throw ScriptError(kind: .usage, message: "--param \(name): no such parameter (\(list))", hint: hint)
        }
    }

    /// Runs a script's main chunk and collects what it reported, then (when asked) its layers.
    func runScript(source: String, chunkName: String, evaluateLayers layers: Bool) throws(ScriptError) -> ScriptResult {
        do {
            return try runContract(source: source, chunkName: chunkName, evaluateLayers: layers)
        } catch {
            var error = error
            error.hypothesis = hypothesis
            throw error
        }
    }

    private func runContract(source: String, chunkName: String, evaluateLayers layers: Bool) throws(ScriptError) -> ScriptResult {
        try run(source: source, chunkName: chunkName)
        var result = ScriptResult()
        result.hypothesis = hypothesis
        result.parameters = parameters
        result.strategy = strategy
        result.outputs = OutputOrder.sort(outputs, source: source)
        if layers {
            let evaluated = try evaluateLayers()
            result.factor = evaluated.factor
            result.signal = evaluated.signal
        }
        result.lookaheadPrimitives = lookaheadCalls.sorted()
        result.usage = usage
        return result
    }

    /// Runs the hypothesis layers the script defines: `factor(d)` (its Series is copied) and then
    /// `signal(d, f)` (its masks arrive through the `signal_masks` host callback).
    func evaluateLayers() throws(ScriptError) -> (factor: [Double]?, signal: SignalLayer?) {
        guard let L = state else { return (nil, nil) }
        let base = lua_gettop(L)
        inLayers = true
        defer {
            inLayers = false
            lua_settop(L, base)
        }
        var factor: [Double]? = nil
        guard llma_get_user_global(L, "factor") == LUA_OK else { throw takeError(L, kind: .runtime, status: LUA_ERRRUN) }
        if lua_type(L, -1) == LUA_TFUNCTION {
            guard llma_get_builtin(L, "d") == LUA_OK else { throw takeError(L, kind: .runtime, status: LUA_ERRRUN) }
            let status = llma_pcall(L, 1, 1)
            if status != LUA_OK { throw takeError(L, kind: .runtime, status: status) }
            guard let series = llma_toseries(L, -1) else {
                let type = String(cString: lua_typename(L, lua_type(L, -1)))
                throw ScriptError(kind: .contract, message: "factor(d) must return a Series, got \(type)",
                                  hint: "end factor with: return some_series")
            }
            let count = Int(series.pointee.length)
            guard count == data.count else {
                throw ScriptError(kind: .contract, message: "factor(d) returned \(count) values for \(data.count) bars")
            }
            factor = Array(UnsafeBufferPointer(start: series.pointee.data, count: count))
        }
        // The factor Series (or nil) stays on the stack at `factorIndex` for signal(d, f).
        let factorIndex = lua_gettop(L)
        guard llma_get_user_global(L, "signal") == LUA_OK else { throw takeError(L, kind: .runtime, status: LUA_ERRRUN) }
        guard lua_type(L, -1) == LUA_TFUNCTION else { return (factor, nil) }
        let signalIndex = lua_gettop(L)
        guard llma_get_host_field(L, "evaluate_signal") == LUA_OK else { throw takeError(L, kind: .runtime, status: LUA_ERRRUN) }
        lua_pushvalue(L, signalIndex)
        guard llma_get_builtin(L, "d") == LUA_OK else { throw takeError(L, kind: .runtime, status: LUA_ERRRUN) }
        lua_pushvalue(L, factorIndex)
        signalLayer = nil
        let status = llma_pcall(L, 3, 0)
        if status != LUA_OK {
            let error = takeError(L, kind: .runtime, status: status)
            if error.location == nil, error.kind == .runtime {
                throw ScriptError(kind: .contract, message: error.message, hint: error.hint, traceback: error.traceback)
            }
            throw error
        }
        return (factor, signalLayer)
    }

    /// Copies the columns exported with `output{}`, in the order they were recorded.
    var outputs: [OutputColumn] {
        outputSeries.map { OutputColumn(name: $0.name, values: Array(UnsafeBufferPointer(start: $0.data, count: $0.count)), isMask: $0.isMask) }
    }

    /// Pops the error message left by a failed call and classifies it from the host's flags, never
    /// from anything the script could forge.
    func takeError(_ L: OpaquePointer, kind: ScriptError.Kind, status: Int32) -> ScriptError {
        var length = 0
        let raw: String
        if let text = llma_tostring_if_string(L, -1, &length) {
            raw = String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
        } else {
            raw = status == LUA_ERRMEM ? "not enough memory" : "(error object is not a string)"
        }
        lua_settop(L, -2)
        var tracebackLength = 0
        let tracebackText = llma_last_traceback(L, &tracebackLength)
        let tracebackWithNames = tracebackLength > 0 && tracebackText != nil
            ? String(decoding: UnsafeRawBufferPointer(start: tracebackText, count: tracebackLength), as: UTF8.self) : nil
        lua_settop(L, -2)
        let traceback = tracebackWithNames.map {
            $0.replacingOccurrences(of: "\t\(LuaVM.chunkToken):", with: "\t\(scriptName):")
        }
        var error = ScriptError.fromLua(kind: kind, raw: raw, traceback: traceback)
        if let location = error.location, location.hasPrefix(LuaVM.chunkToken + ":") {
            error = ScriptError(kind: error.kind, message: error.message,
                                location: scriptName + location.dropFirst(LuaVM.chunkToken.count), hint: error.hint,
                                traceback: traceback)
        }
        if let limit = trippedLimit {
            // A request refused up front (string.rep of 2 GiB) says what it asked for.
            let generic = limitMessage(limit)
            let message = error.message.hasPrefix(generic.prefix { $0 != "(" }.trimmingCharacters(in: .whitespaces))
                ? generic : "\(generic): \(error.message)"
            return ScriptError(kind: .resourceLimit(limit), message: message, location: error.location,
                               hint: message == generic ? limitHint(limit) : error.hint ?? limitHint(limit), traceback: traceback)
        }
        if status == LUA_ERRMEM {
            return ScriptError(kind: .resourceLimit(.memory), message: limitMessage(.memory), location: error.location,
                               hint: limitHint(.memory), traceback: traceback)
        }
        if let failure = dataFailure, error.message.contains(failure) || failure.contains(error.message) {
            dataFailure = nil   // a REPL session goes on after it
            return ScriptError(kind: .data, message: error.message, location: error.location, hint: error.hint, traceback: traceback)
        }
        if usageFailure {
            return ScriptError(kind: .usage, message: error.message, location: error.location, hint: error.hint, traceback: traceback)
        }
        if contractFailure {
            return ScriptError(kind: .contract, message: error.message, location: error.location, hint: error.hint, traceback: traceback)
        }
        return error
    }

    var trippedLimit: ScriptError.Limit? {
        switch sandbox.pointee.tripped {
        case Int32(LLMA_LIMIT_INSTRUCTIONS.rawValue): return .instructions
        case Int32(LLMA_LIMIT_MEMORY.rawValue): return .memory
        case Int32(LLMA_LIMIT_TIME.rawValue): return .time
        case Int32(LLMA_LIMIT_INTERRUPT.rawValue): return .interrupt
        case Int32(LLMA_LIMIT_OUTPUT.rawValue): return .output
        default: return nil
        }
    }

    private func limitMessage(_ limit: ScriptError.Limit) -> String {
        switch limit {
        case .instructions: return "instruction limit exceeded (\(limits.maxInstructions) instructions)"
        case .memory: return "memory limit exceeded (\(limits.maxMemoryBytes >> 20) MB)"
        case .time: return "time limit exceeded (\(format(limits.timeout)) s)"
        case .output: return "output limit exceeded (\(limits.maxOutputBytes >> 20) MB printed)"
        case .interrupt: return "interrupted"
        }
    }

    private func limitHint(_ limit: ScriptError.Limit) -> String? {
        switch limit {
        case .instructions: return "an endless loop? raise --max-instructions if the work is real"
        case .memory: return "raise --max-memory if the data really needs it"
        case .time: return "an endless loop? raise --timeout if the work is real"
        case .output: return "print less, or write columns with output{} and --output"
        case .interrupt: return nil
        }
    }

    // MARK: - calls from Lua

    /// Dispatches one call from the C trampoline. Returns the number of results pushed, or a
    /// message for the trampoline to raise.
    fileprivate func dispatch(_ L: OpaquePointer, id: Int32) -> Result<Int32, PrimitiveError> {
        switch id {
        case LuaVM.hostMeta: return hostMeta(L)
        case LuaVM.hostParam: return hostParam(L)
        case LuaVM.hostOutput: return hostOutput(L)
        case LuaVM.hostSignalMasks: return hostSignalMasks(L)
        case LuaVM.firstExtension...: return callExtension(L, Int(id - LuaVM.firstExtension))
        default: break
        }
        let spec = PrimitiveRegistry.all[Int(id)]
        if spec.looksAhead { lookaheadCalls.insert(spec.name) }
        let inputs = readArguments(L)
        let bound: BoundArguments
        do {
            bound = try spec.bind(inputs)
        } catch {
            return .failure(spec.placement == .metamethod ? operatorError(spec, inputs) : error)
        }
        let n = bound.length
        var series: [UnsafeMutableBufferPointer<Double>] = []
        var numberCount = 0
        for result in spec.results {
            switch result {
            case .series, .mask:
                guard let p = llma_push_series(L, Int64(n), {
                    if case .mask = result { return LLMA_SERIES_MASK }
                    return LLMA_SERIES_VALUES
                }()) else {
                    return .failure(PrimitiveError("not enough memory for a \(n)-bar result of \(spec.name)"))
                }
                series.append(UnsafeMutableBufferPointer(start: p, count: n))
            case .number, .optionalNumber, .integer:
                numberCount += 1
            }
        }
        var buffers = ResultBuffers(series: series, numberCount: numberCount)
        spec.kernel(bound, &buffers)
        var k = 0
        for result in spec.results {
            switch result {
            case .number:
                lua_pushnumber(L, buffers.numbers[k]); k += 1
            case .optionalNumber:
                if buffers.numbers[k].isNaN { lua_pushnil(L) } else { lua_pushnumber(L, buffers.numbers[k]) }
                k += 1
            case .integer:
                if buffers.numbers[k].isNaN { lua_pushnil(L) } else { lua_pushinteger(L, lua_Integer(buffers.numbers[k])) }
                k += 1
            default: break
            }
        }
        return .success(Int32(spec.results.count))
    }

    private func operatorError(_ spec: PrimitiveSpec, _ inputs: [ArgumentInput]) -> PrimitiveError {
        let symbols = ["__add": "+", "__sub": "-", "__mul": "*", "__div": "/", "__mod": "%", "__pow": "^", "__unm": "-",
                       "__idiv": "//", "__band": "&", "__bor": "|", "__bxor": "~", "__bnot": "~"]
        let symbol = symbols[spec.name] ?? spec.name
        let kinds = inputs.prefix(spec.name == "__unm" || spec.name == "__bnot" ? 1 : 2).map(\.typeName)
        if ["__band", "__bor", "__bxor", "__bnot"].contains(spec.name) {
            return PrimitiveError("attempt to use '\(symbol)' on \(kinds.joined(separator: " and ")) (hint: '&', '|' and '~' combine masks from gt, lt, crossover, ...)")
        }
        if case .series(let a, _) = inputs.first, inputs.count > 1, case .series(let b, _) = inputs[1], a.count != b.count {
            return PrimitiveError("attempt to use '\(symbol)' on series of different lengths (\(a.count) and \(b.count))")
        }
        return PrimitiveError("attempt to use '\(symbol)' on \(kinds.joined(separator: " and ")) (series and numbers only)")
    }

    func readArguments(_ L: OpaquePointer) -> [ArgumentInput] {
        let count = Int(lua_gettop(L))
        guard count > 0 else { return [] }
        var inputs: [ArgumentInput] = []
        inputs.reserveCapacity(count)
        for i in 1...Int32(count) {
            switch lua_type(L, i) {
            case LUA_TNIL, LUA_TNONE: inputs.append(.none)
            case LUA_TNUMBER: inputs.append(.number(lua_tonumberx(L, i, nil)))
            case LUA_TBOOLEAN: inputs.append(.boolean(lua_toboolean(L, i) != 0))
            case LUA_TSTRING:
                var length = 0
                let text = llma_tostring_if_string(L, i, &length)
                inputs.append(.string(String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)))
            case LUA_TUSERDATA:
                if let s = llma_toseries(L, i) {
                    inputs.append(.series(UnsafeBufferPointer(start: s.pointee.data, count: Int(s.pointee.length)),
                                          isMask: s.pointee.kind == UInt32(LLMA_SERIES_MASK)))
                } else {
                    inputs.append(.other("userdata"))
                }
            default:
                inputs.append(.other(String(cString: lua_typename(L, lua_type(L, i)))))
            }
        }
        return inputs
    }

    /// Pushes `nil, message` so the prelude raises at the script's own line.
    private func refuse(_ L: OpaquePointer, _ message: String) -> Result<Int32, PrimitiveError> {
        lua_pushnil(L)
        let status = withLuaBytes(message) { llma_push_string(L, $0, $1) }
        if status != LUA_OK { return .failure(PrimitiveError("not enough memory")) }
        return .success(2)
    }

    private func hostMeta(_ L: OpaquePointer) -> Result<Int32, PrimitiveError> {
        let args = readArguments(L)
        guard args.count == 3, case .string(let section) = args[0], case .string(let key) = args[1] else { return .success(0) }
        switch section {
        case "hypothesis":
            guard case .string(let value) = args[2] else { return .success(0) }
            var info = hypothesis ?? HypothesisInfo()
            switch key {
            case "name": info.name = value
            case "rationale": info.rationale = value
            case "timeframe": info.timeframe = value
            case "parent": info.parent = value
            case "symbols": info.symbols.append(value)
            case "tags": info.tags.append(value)
            default: break
            }
            hypothesis = info
        case "strategy":
            let value: StrategyValue
            switch args[2] {
            case .number(let x):
                guard x.isFinite else { return refuse(L, "strategy: \(key) must be a finite number") }
                value = .number(x)
            case .string(let s): value = .text(s)
            case .boolean(let b): value = .flag(b)
            default: return .success(0)
            }
            strategy.append((key, value))
        default: break
        }
        return .success(0)
    }

    /// `param(kind, name, min, max, default, log, choices...)` from the prelude: checks the
    /// declaration, applies a `--param` override, records it, and pushes the value.
    private func hostParam(_ L: OpaquePointer) -> Result<Int32, PrimitiveError> {
        let args = readArguments(L)
        guard args.count >= 6, case .string(let kindText) = args[0], case .string(let name) = args[1],
              let kind = ParameterInfo.Kind(rawValue: kindText) else {
            return refuse(L, "param: bad call")
        }
        if inLayers {
            contractFailure = true
            return refuse(L, "param '\(name)' is declared inside factor(d) or signal(d, f); declare every param.* at the top level "
                             + "of the script, where the optimizer reads them")
        }
        if kind == .choice { return declareChoice(L, name: name, default: args[4], values: Array(args.dropFirst(6))) }
        func number(_ input: ArgumentInput) -> Double? {
            switch input {
            case .number(let x): return x
            case .boolean(let b) where kind == .bool: return b ? 1 : 0
            default: return nil
            }
        }
        let usage = kind == .bool ? "param.bool(\"\(name)\", default)" : "param.\(kind)(\"\(name)\", min, max, default)"
        guard let lo = number(args[2]), let hi = number(args[3]), let def = number(args[4]) else {
            return refuse(L, "param '\(name)': expected \(usage) with numbers")
        }
        guard lo.isFinite, hi.isFinite else { return refuse(L, "param '\(name)': min and max must be finite numbers") }
        if kind == .int, [lo, hi, def].contains(where: { $0 != $0.rounded() }) {
            return refuse(L, "param '\(name)': param.int needs integer min, max and default, got \(format(lo)), \(format(hi)), \(format(def))")
        }
        guard lo <= hi else { return refuse(L, "param '\(name)': min \(format(lo)) is above max \(format(hi))") }
        guard def >= lo && def <= hi else {
            return refuse(L, "param '\(name)': default \(format(def)) is outside \(format(lo))...\(format(hi))")
        }
        var scale = ParameterInfo.Scale.linear
        if case .boolean(true) = args[5] {
            guard lo > 0 else { return refuse(L, "param '\(name)': a log scale needs min > 0, got \(format(lo))") }
            scale = .log
        }
        var value = def
        var overridden = false
        if let text = overrides[name] {
            consumedOverrides.insert(name)
            overridden = true
            let parsed: Double?
            switch kind {
            case .bool: parsed = ["true": 1, "1": 1, "yes": 1, "false": 0, "0": 0, "no": 0][text.lowercased()]
            case .int: parsed = Int(text).map(Double.init)
            case .float: parsed = Double(text).flatMap { $0.isFinite ? $0 : nil }
            case .choice: parsed = nil
            }
            guard let parsed else {
                usageFailure = true
                let expected = kind == .bool ? "true or false" : (kind == .int ? "an integer" : "a number")
                return refuse(L, "--param \(name)=\(text): expected \(expected)")
            }
            guard parsed >= lo && parsed <= hi else {
                usageFailure = true
                return refuse(L, "--param \(name)=\(text) is outside the declared range \(format(lo))...\(format(hi))")
            }
            value = parsed
        }
        parameters.append(ParameterInfo(name: name, kind: kind, minimum: lo, maximum: hi, defaultValue: def, value: value,
                                        overridden: overridden, scale: scale))
        switch kind {
        case .int: lua_pushinteger(L, lua_Integer(value))
        case .float: lua_pushnumber(L, value)
        default: lua_pushboolean(L, value != 0 ? 1 : 0)
        }
        return .success(1)
    }

    /// `param.choice(name, { values... }, default)`: strings or numbers, no repeats; the default
    /// must be one of them; `--param name=value` picks one by its text.
    private func declareChoice(_ L: OpaquePointer, name: String, default input: ArgumentInput,
                               values: [ArgumentInput]) -> Result<Int32, PrimitiveError> {
        var choices: [ParameterChoice] = []
        for (i, v) in values.enumerated() {
            switch v {
            case .string(let s): choices.append(.text(s))
            case .number(let x) where x.isFinite: choices.append(.number(x))
            default: return refuse(L, "param '\(name)': choice \(i + 1) must be a string or a finite number, got \(v.typeName)")
            }
        }
        guard Set(choices.map(\.text)).count == choices.count else {
            return refuse(L, "param '\(name)': the choices repeat a value")
        }
        let wanted: ParameterChoice
        switch input {
        case .string(let s): wanted = .text(s)
        case .number(let x): wanted = .number(x)
        default: return refuse(L, "param '\(name)': the default must be one of the choices, got \(input.typeName)")
        }
        guard let defaultIndex = choices.firstIndex(of: wanted) else {
            return refuse(L, "param '\(name)': the default \(wanted.text) is not one of the choices (\(choices.map(\.text).joined(separator: ", ")))")
        }
        var index = defaultIndex
        var overridden = false
        if let text = overrides[name] {
            consumedOverrides.insert(name)
            overridden = true
            guard let chosen = choices.firstIndex(where: { $0.text == text }) else {
                usageFailure = true
                return refuse(L, "--param \(name)=\(text) is not one of the choices (\(choices.map(\.text).joined(separator: ", ")))")
            }
            index = chosen
        }
        parameters.append(ParameterInfo(name: name, kind: .choice, minimum: 0, maximum: Double(choices.count - 1),
                                        defaultValue: Double(defaultIndex), value: Double(index), overridden: overridden,
                                        choices: choices))
        switch choices[index] {
        case .number(let x):
            if x == x.rounded(), abs(x) < 9e15 { lua_pushinteger(L, lua_Integer(x)) } else { lua_pushnumber(L, x) }
            return .success(1)
        case .text(let s):
            return withLuaBytes(s) { llma_push_string(L, $0, $1) } == LUA_OK ? .success(1) : .failure(PrimitiveError("not enough memory"))
        }
    }

    private func hostOutput(_ L: OpaquePointer) -> Result<Int32, PrimitiveError> {
        guard lua_gettop(L) >= 2, let name = llma_tostring_if_string(L, 1, nil).map({ String(cString: $0) }),
              let s = llma_toseries(L, 2) else {
            return refuse(L, "output: expected a name and a Series")
        }
        let count = Int(s.pointee.length)
        guard count == data.count else {
            return refuse(L, "output: '\(name)' has \(count) values but the data has \(data.count) bars")
        }
        outputSeries.removeAll { $0.name == name }
        outputSeries.append((name, UnsafePointer(s.pointee.data), count, s.pointee.kind == UInt32(LLMA_SERIES_MASK)))
        return .success(0)
    }

    private func callExtension(_ L: OpaquePointer, _ index: Int) -> Result<Int32, PrimitiveError> {
        guard index < extensions.count else { return .failure(PrimitiveError("unknown host function")) }
        let arguments: [HostValue] = readArguments(L).map { input in
            switch input {
            case .none, .other: return .none
            case .number(let x): return .number(x)
            case .boolean(let b): return .boolean(b)
            case .string(let s): return .string(s)
            case .series(let values, let isMask): return .series(Array(values), isMask: isMask)
            }
        }
        let deadline = sandbox.pointee.deadline
        let secondsLeft = deadline > 0 ? Swift.max(0, deadline - llma_monotonic_seconds()) : nil
        switch extensions[index].call(HostCall(arguments: arguments, secondsLeft: secondsLeft)) {
        case .failure(let error):
            if error.isDataError { dataFailure = error.message }
            return refuse(L, error.message)
        case .success(let value):
            lua_settop(L, 0)
            guard push(L, value) else { return .failure(PrimitiveError("not enough memory for the result of \(extensions[index].name)")) }
            return .success(1)
        }
    }

    /// Pushes a host value as Lua values; false when the sandbox ran out of memory.
    private func push(_ L: OpaquePointer, _ value: HostValue) -> Bool {
        guard lua_checkstack(L, 8) != 0 else { return false }
        switch value {
        case .none: lua_pushnil(L)
        case .number(let x): lua_pushnumber(L, x)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .string(let s): return withLuaBytes(s) { llma_push_string(L, $0, $1) } == LUA_OK
        case .series(let values, let isMask):
            guard let p = llma_push_series(L, Int64(values.count), isMask ? LLMA_SERIES_MASK : LLMA_SERIES_VALUES) else { return false }
            values.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { p.update(from: base, count: src.count) }
            }
        case .table(let fields):
            guard llma_push_new_table(L) == LUA_OK else { return false }
            for (key, field) in fields {
                guard push(L, field), llma_set_field(L, key) == LUA_OK else { return false }
            }
        case .list(let items):
            guard llma_push_new_table(L) == LUA_OK else { return false }
            for (i, item) in items.enumerated() {
                guard push(L, item), llma_set_index(L, Int64(i + 1)) == LUA_OK else { return false }
            }
        }
        return true
    }

    /// `signal_masks(long, short, exit, entries, exits, short_entries, short_exits)` from the prelude.
    private func hostSignalMasks(_ L: OpaquePointer) -> Result<Int32, PrimitiveError> {
        let names = SignalLayer.fieldNames
        var masks: [[Double]?] = []
        for (i, input) in readArguments(L).enumerated() where i < names.count {
            switch input {
            case .none: masks.append(nil)
            case .series(let values, let isMask):
                guard isMask else {
                    return refuse(L, "signal(d, f): '\(names[i])' must be a mask (from gt, lt, crossover, ...), got a series of values")
                }
                guard values.count == data.count else {
                    return refuse(L, "signal(d, f): '\(names[i])' has \(values.count) values but the data has \(data.count) bars")
                }
                masks.append(Array(values))
            default:
                return refuse(L, "signal(d, f): '\(names[i])' must be a mask, got \(input.typeName)")
            }
        }
        signalLayer = SignalLayer(masks)
        return .success(0)
    }

    fileprivate func print(_ text: String) { printSink(text) }
}

/// What every VM installs: registry primitives (globals and Series methods) and the host callbacks
/// the prelude uses, as C arrays built once per process.
///
/// `@unchecked Sendable`: written once in `init`, then only read; the strings live for the process.
private final class InstallTable: @unchecked Sendable {
    static let shared = InstallTable()
    let names: UnsafeMutableBufferPointer<UnsafePointer<CChar>?>
    let ids: UnsafeMutableBufferPointer<Int32>
    let wheres: UnsafeMutableBufferPointer<Int32>
    let operatorIds: [Int32]

    private init() {
        var entries: [(String, Int32, Int32)] = []
        for (id, spec) in PrimitiveRegistry.all.enumerated() {
            switch spec.placement {
            case .global: entries.append((spec.name, Int32(id), 0))
            case .method: entries.append((spec.name, Int32(id), 1))
            case .metamethod: break
            }
        }
        entries += [("meta", LuaVM.hostMeta, 2), ("param", LuaVM.hostParam, 2), ("output", LuaVM.hostOutput, 2),
                    ("signal_masks", LuaVM.hostSignalMasks, 2)]
        names = .allocate(capacity: entries.count)
        ids = .allocate(capacity: entries.count)
        wheres = .allocate(capacity: entries.count)
        for (i, entry) in entries.enumerated() {
            names[i] = UnsafePointer(strdup(entry.0))
            ids[i] = entry.1
            wheres[i] = entry.2
        }
        operatorIds = PrimitiveRegistry.operatorNames.map { Int32(PrimitiveRegistry.id(of: $0)!) }
    }
}

/// The C trampoline's entry into Swift. A plain function (no captured context): the VM arrives
/// as the context pointer, and errors leave as a message for C to raise.
private let luaEntry: llma_entry = { L, context, id, message, capacity in
    guard let L, let context else { return -1 }
    let vm = Unmanaged<LuaVM>.fromOpaque(context).takeUnretainedValue()
    switch vm.dispatch(L, id: id) {
    case .success(let count):
        return count
    case .failure(let error):
        if let message, capacity > 0 {
            var bytes = Array(error.message.utf8.prefix(capacity - 1))
            bytes.append(0)
            bytes.withUnsafeBufferPointer { src in
                src.withMemoryRebound(to: CChar.self) { message.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
        return -1
    }
}

private let luaPrintSink: llma_print_sink = { context, text, length in
    guard let context, let text else { return }
    let vm = Unmanaged<LuaVM>.fromOpaque(context).takeUnretainedValue()
    vm.print(String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
}
