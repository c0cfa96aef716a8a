internal import CLua
internal import LuaSandboxC
import Primitives

/// What evaluating one REPL entry gave.
package enum EntryOutcome: Sendable {
    /// The entry is not a complete statement yet (`for i = 1, 3 do`): read another line.
    case incomplete
    /// It ran; the text of its values, if it was an expression with any.
    case value(String?)
    case failure(ScriptError)
}

/// REPL support: one VM kept across entries, each entry with fresh limits.
extension LuaVM {
    /// Gives the next entry the full limits again, even after a runaway one.
    func rearm() {
        guard let L = state else { return }
        started = llma_monotonic_seconds()
        let deadline = limits.timeout > 0 ? started + limits.timeout : 0
        llma_sandbox_rearm(L, deadline)
    }

    /// Runs one entry: as an expression first (`rsi(d.close, 14)` prints its value), else as a
    /// statement. A statement cut off at its end reports `.incomplete`.
    func evaluate(_ code: String, chunkName: String) -> EntryOutcome {
        guard let L = state else { return .failure(ScriptError(kind: .runtime, message: "the session is closed")) }
        rearm()
        scriptName = chunkName
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        let chunk = "=" + LuaVM.chunkToken
        var status = withLuaBytes("return " + code) { llma_load(L, $0, $1, chunk) }
        if status != LUA_OK {
            lua_settop(L, base)
            status = withLuaBytes(code) { llma_load(L, $0, $1, chunk) }
            if status == LUA_ERRSYNTAX {
                let error = takeError(L, kind: .syntax, status: status)
                if error.message.hasSuffix("near <eof>") || error.message.hasSuffix("near '<eof>'") { return .incomplete }
                return .failure(error)
            }
            if status != LUA_OK { return .failure(takeError(L, kind: .runtime, status: status)) }
        }
        let callStatus = llma_pcall(L, 0, LUA_MULTRET)
        if callStatus != LUA_OK { return .failure(takeError(L, kind: .runtime, status: callStatus)) }
        let results = lua_gettop(L) - base
        if results == 0 { return .value(nil) }
        // Format through the REPL prelude: host.repl_format(values...).
        guard llma_get_host_field(L, "repl_format") == LUA_OK else { return .failure(takeError(L, kind: .runtime, status: LUA_ERRRUN)) }
        lua_rotate(L, base + 1, 1)
        let formatStatus = llma_pcall(L, results, 1)
        if formatStatus != LUA_OK { return .failure(takeError(L, kind: .runtime, status: formatStatus)) }
        var length = 0
        guard let text = llma_tostring_if_string(L, -1, &length) else { return .value(nil) }
        return .value(String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
    }

    /// Evaluates an expression that must give a Series, and copies it (`.plot`, `.export`).
    func seriesValue(_ expression: String) -> Result<(values: [Double], isMask: Bool), ScriptError> {
        guard let L = state else { return .failure(ScriptError(kind: .runtime, message: "the session is closed")) }
        rearm()
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        let status = withLuaBytes("return " + expression) { llma_load(L, $0, $1, "=" + LuaVM.chunkToken) }
        if status != LUA_OK { return .failure(takeError(L, kind: .syntax, status: status)) }
        let callStatus = llma_pcall(L, 0, 1)
        if callStatus != LUA_OK { return .failure(takeError(L, kind: .runtime, status: callStatus)) }
        guard let s = llma_toseries(L, -1) else {
            let type = String(cString: lua_typename(L, lua_type(L, -1)))
            return .failure(ScriptError(kind: .runtime, message: "\(expression) is a \(type), not a Series"))
        }
        return .success((Array(UnsafeBufferPointer(start: s.pointee.data, count: Int(s.pointee.length))),
                         s.pointee.kind == UInt32(LLMA_SERIES_MASK)))
    }

    /// Names for completion: every global and builtin (`base` nil), or the fields of a table global.
    func names(in base: String?) -> [String] {
        guard let L = state else { return [] }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        rearm()
        guard llma_get_host_field(L, "repl_names") == LUA_OK else { return [] }
        if let base {
            guard withLuaBytes(base, { llma_push_string(L, $0, $1) }) == LUA_OK else { return [] }
        } else {
            lua_pushnil(L)
        }
        guard llma_pcall(L, 1, 1) == LUA_OK else { return [] }
        var length = 0
        guard let text = llma_tostring_if_string(L, -1, &length) else { return [] }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Swaps `d` for new data. The old columns stay alive: Series the session holds point into them.
    func replaceData(_ table: DataTable) throws(ScriptError) {
        guard let L = state else { return }
        try installData(table, L)
        retiredData.append(data)
        data = table
    }

    /// Starts the hypothesis contract afresh before a script is loaded into a running session.
    func resetContract() {
        guard let L = state else { return }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        hypothesis = nil
        parameters = []
        strategy = []
        outputSeries = []
        consumedOverrides = []
        guard llma_get_host_field(L, "reset_contract") == LUA_OK else { return }
        _ = llma_pcall(L, 0, 0)
    }
}

/// Lua source as bytes with their length (it may hold NUL bytes).
func withLuaBytes<R>(_ text: String, _ body: (UnsafePointer<CChar>, Int) -> R) -> R {
    var bytes = Array(text.utf8CString)
    let count = bytes.count - 1
    return bytes.withUnsafeMutableBufferPointer { body($0.baseAddress!, count) }
}
