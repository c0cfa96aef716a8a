import Foundation
import Testing
@testable import Scripting

/// Scripts that try to hang, exhaust or escape the sandbox. Each must end with the right kind of
/// error, quickly, and leave the host able to run the next script.
@Suite("Sandbox attacks")
struct SandboxAttackTests {
    /// The host still works after an attack: a fresh run computes the right thing.
    func expectHealthy() {
        let outcome = ScriptHarness.run("print(#d.close, sma(d.close, 3):last() ~= nil)")
        #expect(outcome.error == nil)
        #expect(outcome.printed == "2000\ttrue\n")
    }

    @Test("Endless loops of every shape stop at the deadline", arguments: [
        "while true do end",
        "repeat until false",
        "for i = 1, math.huge do end",
        "::top:: goto top",
        "local function f() return f() end f()",
        "while true do pcall(function() while true do end end) end",
        "while true do pcall(error, 'x') end",
        "while true do xpcall(function() while true do end end, function() while true do end end) end",
        "local ok = pcall(function() while true do end end) while true do end",
        "for i = 1, 1e12 do local x = sma(d.close, 2) end",
        "local t = {} setmetatable = nil while true do t[#t % 10 + 1] = #t end",
    ])
    func loopsHitTheDeadline(source: String) {
        let started = Date()
        let outcome = ScriptHarness.run(source, limits: SandboxLimits(timeout: 0.5, maxInstructions: 0, maxMemoryBytes: 256 << 20))
        #expect(outcome.error?.kind == .resourceLimit(.time), "\(source): \(String(describing: outcome.error))")
        #expect(Date().timeIntervalSince(started) < 5)
        expectHealthy()
    }

    @Test("The instruction budget is sticky: catching the error with pcall does not help", arguments: [
        "while true do end",
        "while true do pcall(function() while true do end end) end",
        "for i = 1, 10 do pcall(function() while true do end end) end while true do end",
    ])
    func instructionBudget(source: String) {
        let outcome = ScriptHarness.run(source, limits: SandboxLimits(timeout: 30, maxInstructions: 5_000_000, maxMemoryBytes: 256 << 20))
        #expect(outcome.error?.kind == .resourceLimit(.instructions), "\(String(describing: outcome.error))")
        #expect(outcome.error?.exitCode == 3)
    }

    @Test("Memory bombs hit the cap, Series included", arguments: [
        "local t = {} for i = 1, 1e9 do t[i] = i end",
        "local s = ('x'):rep(1e6) while true do s = s .. s end",
        "local t = {} for i = 1, 1e6 do t[i] = d.close + i end",
        "local t = {} while true do t[#t + 1] = {} end",
        "local t = {} while true do pcall(function() t[#t + 1] = ('y'):rep(1e6) .. #t end) end",
    ])
    func memoryBombs(source: String) {
        let outcome = ScriptHarness.run(source, limits: SandboxLimits(timeout: 20, maxInstructions: 0, maxMemoryBytes: 64 << 20))
        #expect(outcome.error?.kind == .resourceLimit(.memory), "\(source): \(String(describing: outcome.error))")
        expectHealthy()
    }

    @Test("Long C calls are refused before they stall the VM", arguments: [
        ("local s = string.rep('x', 1e10)", "string.rep"),
        ("local s = string.rep('', 1e15)", "string.rep"),
        ("local s = ('ab'):rep(1e9, ',')", "string.rep"),
        ("string.find(string.rep('a', 100000), '.-.-.-b')", "string.find"),
        ("string.gsub(string.rep('a', 50000), '(a*)*b', '')", "string.gsub"),
        ("table.move({}, 1, 1e15, 1)", "table.move"),
        ("string.find(('('):rep(300000), '%b()x*')", "string.find"),
        ("string.find(('a'):rep(1000000), ('a'):rep(3000) .. 'b+')", "string.find"),
        ("for m in (('^'):rep(200000)):gmatch('^.*x') do end", "string.gmatch"),
        ("print(rank(d.close, 1e6))", "rank"),
    ])
    func longCalls(source: String, mentions: String) {
        let started = Date()
        let outcome = ScriptHarness.run(source, limits: SandboxLimits(timeout: 5, maxInstructions: 0, maxMemoryBytes: 256 << 20))
        #expect(outcome.error != nil)
        // Refused up front is a resource limit (exit 3), as running into it would be; a window longer
        // than the series is a bad argument.
        #expect(outcome.error?.exitCode == (mentions == "rank" ? 1 : 3), "\(String(describing: outcome.error))")
        #expect(outcome.error?.message.contains(mentions) == true || outcome.error?.kind == .resourceLimit(.memory),
                "\(String(describing: outcome.error))")
        #expect(Date().timeIntervalSince(started) < 3)
    }

    @Test("A refusal caught by pcall stays tripped: the next instruction stops the script", arguments: [
        "local ok = pcall(string.rep, 'x', 2^31) print('after', ok)",
        "local ok = pcall(table.move, {}, 1, 1e15, 1) print('after', ok)",
        "local ok = pcall(string.find, string.rep('a', 100000), '.-.-.-b') print('after', ok)",
    ])
    func refusalsStayTripped(source: String) {
        let outcome = ScriptHarness.run(source, limits: SandboxLimits(timeout: 5, maxInstructions: 0, maxMemoryBytes: 256 << 20))
        #expect(outcome.error?.exitCode == 3, "\(String(describing: outcome.error))")
        #expect(!outcome.printed.contains("after"))
    }

    @Test("Linear patterns run on big subjects: one quantified class last, or anchored with one quantifier", arguments: [
        "local n = 0 for f in string.rep('12.5,13.0\\n', 20000):gmatch('[^,\\n]+') do n = n + 1 end assert(n == 40000)",
        "assert(select(2, string.rep('ab12 ', 200000):gsub('%d+', '#')) == 200000)",
        "assert(string.rep('x', 1000000):find('^x+y') == nil)",
        "assert(string.rep(' ', 1000000):match('a%s*') == nil)",
        "assert(#string.rep('7', 1000000):match('^%d+$') == 1000000)",
    ])
    func linearPatterns(source: String) {
        let outcome = ScriptHarness.run(source, limits: SandboxLimits(timeout: 20, maxInstructions: 0, maxMemoryBytes: 256 << 20))
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
    }

    @Test("An error message is capped, with a note of its length")
    func longErrorMessage() {
        let outcome = ScriptHarness.run("error(string.rep('A', 1e6))")
        let message = outcome.error?.message ?? ""
        #expect(message.count < 500 && message.hasSuffix("… (message of 1000000 characters cut)"), "\(message.suffix(80))")
        #expect(outcome.error?.exitCode == 1)
    }

    @Test("A huge rank or median window costs O(n log n), not n × window: 1M bars, window 10,000")
    func bigRankWindow() {
        // n × window would be 1e10 steps in one C call, out of the hook's reach: minutes even in
        // a release build. O(n log w) takes about 1.4 s in a debug build, more on a loaded
        // machine, so the limit is 20 s: far below the quadratic cost, far above the real one.
        let outcome = ScriptHarness.run("""
            local r, m = rank(d.close, 10000), rolling_median(d.close, 10000)
            assert(r[#r] > 0 and r[#r] <= 1 and m[#m] == m[#m])
            """, limits: SandboxLimits(timeout: 20, maxInstructions: 0, maxMemoryBytes: 256 << 20, maxOutputBytes: 1 << 20),
            data: Self.bigData)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
    }

    static let bigData: DataTable = {
        var t = DataTable()
        t.add("close", (0..<1_000_000).map { Double($0 % 977) })
        return t
    }()

    @Test("Nothing outside the whitelist is reachable", arguments: [
        "load('return 1')", "loadstring('x')", "dofile('/etc/passwd')", "loadfile('/etc/passwd')", "require('os')",
        "io.open('/etc/passwd')", "os.execute('true')", "os.exit(0)", "debug.sethook()", "package.loadlib('x', 'y')",
        "coroutine.create(print)", "collectgarbage('stop')", "setmetatable(_G, nil)", "getmetatable('').__index.rep = nil",
        "print(string.dump(print))", "warn('@on')",
    ])
    func escapes(source: String) {
        let outcome = ScriptHarness.run(source)
        #expect(outcome.error?.kind == .runtime, "\(source): \(String(describing: outcome.error))")
        expectHealthy()
    }

    @Test("Binary chunks are refused")
    func bytecode() {
        let outcome = ScriptHarness.run("\u{1B}Lua\u{54}\u{00}garbage")
        #expect(outcome.error?.kind == .syntax)
        #expect(outcome.error?.message.contains("binary") == true, "\(String(describing: outcome.error))")
    }

    /// Sources built in the test so failure messages name the case, not 100 kB of parentheses.
    static func bomb(_ name: String) -> String {
        switch name {
        case "nested parentheses": return String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        case "nested tables": return "local x = " + String(repeating: "{", count: 50_000) + String(repeating: "}", count: 50_000)
        case "unary chain": return "return " + String(repeating: "not ", count: 100_000) + "1"
        case "too many locals": return (0..<300).map { "local v\($0) = \($0)" }.joined(separator: "\n")
        case "unfinished long string": return "local s = [[" + String(repeating: "x", count: 1_000_000)
        case "long concatenation chain": return "return " + Array(repeating: "'a'", count: 100_000).joined(separator: " .. ")
        default: return name
        }
    }

    @Test("Parser bombs fail cleanly", arguments: ["nested parentheses", "nested tables", "unary chain", "too many locals",
                                                   "unfinished long string", "long concatenation chain"])
    func parserBombs(name: String) {
        let outcome = ScriptHarness.run(Self.bomb(name))
        #expect(outcome.error != nil)
        #expect(outcome.error?.kind == .syntax || outcome.error?.kind == .runtime, "\(String(describing: outcome.error))")
        expectHealthy()
    }

    @Test("Deep recursion is a clean error", arguments: [
        "local function f(n) return 1 + f(n + 1) end f(1)",
        "local function f() return f() + 1 end f()",
        "local t = {} t = {t} local function g(x) return g({x}) + 1 end g(t)",
    ])
    func recursion(source: String) {
        let outcome = ScriptHarness.run(source, limits: SandboxLimits(timeout: 10, maxInstructions: 0, maxMemoryBytes: 512 << 20))
        #expect(outcome.error != nil)
        #expect(outcome.error?.message.contains("stack overflow") == true || outcome.error?.kind == .resourceLimit(.memory),
                "\(String(describing: outcome.error))")
        expectHealthy()
    }

    @Test("Primitive abuse gets Lua-style argument errors", arguments: [
        ("rsi(d.close, -3)", "rsi: window must be an integer in 1...2000, got -3"),
        ("rsi(d.close, 1.5)", "rsi: window must be an integer, got 1.5"),
        ("sma(d.close, 2001)", "sma: window must be an integer in 1...2000, got 2001"),
        ("sma('x', 3)", "bad argument #1 to 'sma' (series expected, got string)"),
        ("sma(d.close)", "bad argument #2 to 'sma' (integer expected, got no value)"),
        ("sma(d.close, 3, 4)", "sma: expected at most 2 arguments (s, n), got 3"),
        ("where(d.close, 1, 2)", "bad argument #1 to 'where' (mask expected, got a series of values"),
        ("local x = d.close & d.open", "attempt to use '&' on series and series"),
        ("local x = d.close + 'a'", "attempt to use '+' on series and string"),
        ("local x = d.close < d.open", "use lt(a, b)"),
        ("local x = d.close == d.open", "use eq(a, b)"),
        ("d.close[1] = 5", "Series are read-only"),
        ("print(d.close[1.5])", "Series index must be an integer"),
        ("print(d.close:nope())", "Series has no method 'nope'"),
        ("clip(d.close, 3, 1)", "clip: lo must not exceed hi"),
        ("quantile(d.close, 10, 2)", "quantile: q must be a number in 0...1, got 2"),
        ("macd(d.close, 26, 12, 9)", "macd: fast must be shorter than slow"),
        ("lag(d.close, -1)", "lag: k must be an integer in 0...2000, got -1"),
    ])
    func primitiveAbuse(source: String, message: String) {
        let outcome = ScriptHarness.run(source)
        #expect(outcome.error?.kind == .runtime)
        #expect(outcome.error?.description.contains(message) == true, "got: \(String(describing: outcome.error))")
        #expect(outcome.error?.location == "attack.lua:1", "\(String(describing: outcome.error?.location))")
    }

    @Test("Strict globals: undefined reads fail with a hint, builtins cannot be replaced")
    func strictGlobals() {
        #expect(ScriptHarness.run("print(rsii)").error?.description == "attack.lua:1: undefined global 'rsii' (did you mean 'rsi'?)")
        #expect(ScriptHarness.run("print(d.clse)").error?.description == "attack.lua:1: data has no field 'clse' (did you mean 'close'?)")
        #expect(ScriptHarness.run("rsi = 1").error?.message.contains("cannot assign to built-in 'rsi'") == true)
        let ok = ScriptHarness.run("x = 3 function f() return x * 2 end print(f(), d.mark_close == nil)")
        #expect(ok.error == nil)
        #expect(ok.printed == "6\ttrue\n")
    }

    @Test("A forged limit message is still a script error: limits come from host flags")
    func forgedLimit() {
        let outcome = ScriptHarness.run("error('time limit exceeded')")
        #expect(outcome.error?.kind == .runtime)
        #expect(outcome.error?.exitCode == 1)
    }

    @Test("Printing is capped")
    func outputFlood() {
        let outcome = ScriptHarness.run("while true do print(('x'):rep(1000)) end",
                                        limits: SandboxLimits(timeout: 10, maxInstructions: 0, maxMemoryBytes: 64 << 20, maxOutputBytes: 100_000))
        #expect(outcome.error?.kind == .resourceLimit(.output))
        #expect(outcome.printed.utf8.count <= 100_000)
    }

    @Test("interrupt() from another thread stops a running script")
    func interrupt() {
        let runner = ScriptRunner(limits: SandboxLimits(timeout: 30, maxInstructions: 0, maxMemoryBytes: 64 << 20))
        let started = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { runner.interrupt() }
        let result = Result { () throws(ScriptError) -> ScriptResult in
            try runner.run(source: "while true do end", chunkName: "x.lua", data: ScriptHarness.sharedData) { _ in }
        }
        guard case .failure(let error) = result else { Issue.record("expected an interrupt"); return }
        #expect(error.kind == .resourceLimit(.interrupt))
        #expect(error.exitCode == 130)
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
