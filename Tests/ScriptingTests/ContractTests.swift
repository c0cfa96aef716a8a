import Testing
@testable import Primitives
@testable import Scripting

/// The hypothesis contract of DESIGN.md section 3.3 as scripts use it.
@Suite("Hypothesis contract")
struct ContractTests {
    static let hypothesis = """
        hypothesis {
          name = "funding_fade", rationale = "crowded longs revert", timeframe = "1h",
          symbols = { "BTCUSDT", "ETHUSDT" }, tags = { "funding", "mean-reversion" }, parent = "H012",
        }
        local lookback = param.int("lookback", 24, 336, 72)
        local entry_z = param.float("entry_z", 1.0, 3.0, 2.0)
        local hedge = param.bool("hedge", false)
        print(lookback, math.type(lookback), entry_z, hedge)
        function factor(d) return -zscore(d.close, lookback) end
        strategy { fees = 0.0004, stop_loss = 0.03, fill = "next_open" }
        """

    @Test("Metadata, params, strategy and factor are all reported")
    func fullHypothesis() throws {
        let outcome = ScriptHarness.run(Self.hypothesis)
        let result = try outcome.result.get()
        #expect(outcome.printed == "72\tinteger\t2.0\tfalse\n")
        #expect(result.hypothesis == HypothesisInfo(name: "funding_fade", rationale: "crowded longs revert", timeframe: "1h",
                                                    parent: "H012", symbols: ["BTCUSDT", "ETHUSDT"], tags: ["funding", "mean-reversion"]))
        #expect(result.parameters.map(\.name) == ["lookback", "entry_z", "hedge"])
        #expect(result.parameters[0] == ParameterInfo(name: "lookback", kind: .int, minimum: 24, maximum: 336, defaultValue: 72,
                                                      value: 72, overridden: false))
        #expect(result.strategy.map(\.key).sorted() == ["fees", "fill", "stop_loss"])
        let factor = try #require(result.factor)
        #expect(factor.count == 2000)
        #expect(factor[..<71].allSatisfy { $0.isNaN })   // zscore lookback n - 1
        #expect(!factor[71].isNaN)
    }

    @Test("--param overrides a declared value")
    func override() throws {
        let outcome = ScriptHarness.run(Self.hypothesis, parameters: ["lookback": "96", "hedge": "true"])
        let result = try outcome.result.get()
        #expect(outcome.printed == "96\tinteger\t2.0\ttrue\n")
        #expect(result.parameters[0].overridden && result.parameters[0].value == 96)
    }

    @Test("Bad overrides are usage errors (exit 2)", arguments: [
        (["lookback": "500"], "--param lookback=500 is outside the declared range 24...336"),
        (["lookback": "9.5"], "--param lookback=9.5: expected an integer"),
        (["entry_z": "abc"], "--param entry_z=abc: expected a number"),
        (["lookbak": "30"], "--param lookbak: no such parameter (declared: lookback, entry_z, hedge) (hint: did you mean 'lookback'?)"),
    ])
    func badOverride(parameters: [String: String], message: String) {
        let error = ScriptHarness.run(Self.hypothesis, parameters: parameters).error
        #expect(error?.kind == .usage)
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test("Broken contracts point at the script's own line", arguments: [
        ("hypothesis { rationale = 'x' }", "attack.lua:1: hypothesis: name is required"),
        ("hypothesis { name = 'x', colour = 'red' }", "attack.lua:1: hypothesis: unknown field 'colour'"),
        ("hypothesis 'x'", "attack.lua:1: hypothesis expects a table"),
        ("local a = param.int('n', 10, 5, 7)", "attack.lua:1: param 'n': min 10 is above max 5"),
        ("local a = param.int('n', 1, 5, 9)", "attack.lua:1: param 'n': default 9 is outside 1...5"),
        ("local a = param.int('n', 1, 5, 2.5)", "attack.lua:1: param 'n': param.int needs integer min, max and default"),
        ("local a = param.int('n', 1, 5, 2)\nlocal b = param.int('n', 1, 5, 2)", "attack.lua:2: param 'n' is declared twice"),
        ("strategy { fee = 0.001 }", "attack.lua:1: strategy: unknown field 'fee'"),
        ("output { x = 3 }", "attack.lua:1: output: 'x' must be a Series, got number"),
    ])
    func brokenContracts(source: String, message: String) {
        let error = ScriptHarness.run(source).error
        #expect(error?.kind == .runtime)
        #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
    }

    @Test("factor(d) must return a Series of the data's length")
    func factorShape() {
        let error = ScriptHarness.run("function factor(d) return 1 end").error
        #expect(error?.kind == .contract)
        #expect(error?.message == "factor(d) must return a Series, got number")
        let failing = ScriptHarness.run("function factor(d) return rsi(d.close, -1) end").error
        #expect(failing?.description.hasPrefix("attack.lua:1: rsi: window must be") == true)
    }

    @Test("output{} columns keep the order they were written in")
    func outputOrder() throws {
        let source = """
            local r = rsi(d.close, 14)
            output {
              zeta = d.close,   -- a comment, with = signs
              alpha = r,
              ["weird"] = d.open,
              mid = gt(r, 50), nested = where(gt(r, 50), 1, { 0 } and 0),
            }
            output({ later = d.volume })
            """
        let result = try ScriptHarness.run(source).result.get()
        #expect(result.outputs.map(\.name) == ["zeta", "alpha", "mid", "nested", "later", "weird"])
        #expect(result.outputs[2].isMask)
        #expect(result.outputs[0].values.count == 2000)
    }
}

/// Every registry entry is well formed and its example runs in a fresh sandbox.
@Suite("Primitive registry")
struct RegistryTests {
    @Test("Names are unique snake_case; every entry documents itself")
    func wellFormed() {
        var seen = Set<String>()
        for spec in PrimitiveRegistry.all {
            #expect(seen.insert(spec.key).inserted, "duplicate \(spec.key)")
            if spec.placement != .metamethod {
                #expect(spec.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(spec.name) is not snake_case")
            }
            #expect(!spec.summary.isEmpty && !spec.example.isEmpty && !spec.lookback.isEmpty && !spec.reference.isEmpty)
            #expect(Set(spec.results.map(\.isSeries)).count <= 1, "\(spec.name) mixes series and number results")
        }
        #expect(PrimitiveRegistry.byName["forward_return"]?.looksAhead == true)
        #expect(PrimitiveRegistry.all.filter(\.looksAhead).map(\.name) == ["forward_return"])
    }

    @Test("DESIGN section 3.2's first set is all there")
    func designSet() {
        let names = "sma ema wma std var zscore rolling_sum rolling_max rolling_min rolling_median rank quantile corr cov beta rsi macd atr bbands stoch adx obv vwap roc pct_change log_return lag diff abs log exp sign clip where fillna ffill cumsum cumprod crossover crossunder bars_since ic forward_return spearman hour_of_day day_of_week gt lt ge le eq ne"
        for name in names.split(separator: " ") {
            #expect(PrimitiveRegistry.byName[String(name)] != nil, "missing \(name)")
        }
    }

    @Test("Every example runs", arguments: PrimitiveRegistry.all.map(\.key))
    func exampleRuns(key: String) {
        let spec = PrimitiveRegistry.byName[key]!
        let outcome = ScriptHarness.run(spec.example)
        #expect(outcome.error == nil, "\(spec.example): \(String(describing: outcome.error))")
    }

    @Test("First valid index matches the documented lookback", arguments: [
        ("sma(d.close, 20)", 19), ("ema(d.close, 20)", 19), ("rsi(d.close, 14)", 14), ("atr(d.high, d.low, d.close, 14)", 14),
        ("select(1, macd(d.close, 12, 26, 9))", 33), ("select(2, macd(d.close, 12, 26, 9))", 33), ("adx(d.high, d.low, d.close, 14)", 27),
        ("stoch(d.high, d.low, d.close, 14, 3, 3)", 17), ("roc(d.close, 10)", 10), ("lag(d.close, 3)", 3), ("obv(d.close, d.volume)", 0),
        ("ema(rsi(d.close, 14), 10)", 23),
    ])
    func lookbacks(expression: String, firstValid: Int) throws {
        let outcome = ScriptHarness.run("print((\(expression)):first_valid())")
        #expect(outcome.printed == "\(firstValid + 1)\n", "\(expression): \(outcome.printed) \(String(describing: outcome.error))")
    }

    @Test("Series arithmetic and masks from Lua, by hand")
    func arithmetic() {
        let outcome = ScriptHarness.run("""
            local c = d.close
            print(((c + 1) - c):mean(), (2 * c / c):mean(), (c - c * 1):max(), (-c + c):min())
            print(((c % c)):sum(), (c ^ 0):mean(), (c // c):mean())
            local up, down = gt(c, d.open), le(c, d.open)
            print((up & down):count(), (up | down):count() == #c, (~up):count() == down:count(), (up ~ down):count() == #c)
            print(where(up, 1, -1):sum() == up:count() - down:count())
            """)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.printed == "1.0\t2.0\t0.0\t0.0\n0.0\t1.0\t1.0\n0\ttrue\ttrue\ttrue\ntrue\n")
    }

    @Test("param.choice returns the chosen value; a log-scaled float keeps its scale; --param picks a choice by its text")
    func choicesAndLogScale() throws {
        let source = """
            local average = param.choice("average", { "sma", "ema", 3 }, "ema")
            local band = param.float("band", 0.001, 0.1, 0.01, { log = true })
            local window = param.int("window", 2, 500, 20, { log = true })
            print(average, band, math.type(window))
            """
        let plain = ScriptHarness.run(source)
        let result = try plain.result.get()
        #expect(plain.printed == "ema\t0.01\tinteger\n")
        let choice = result.parameters[0]
        #expect(choice.kind == .choice && choice.choices == [.text("sma"), .text("ema"), .number(3)])
        #expect(choice.value == 1 && choice.defaultValue == 1 && choice.minimum == 0 && choice.maximum == 2)
        #expect(choice.valueText == "ema")
        #expect(result.parameters[1].scale == .log && result.parameters[2].scale == .log && result.parameters[2].kind == .int)
        let picked = ScriptHarness.run(source, parameters: ["average": "3"])
        #expect(picked.printed.hasPrefix("3\t"), "\(picked.printed) \(String(describing: picked.error))")
        let bad = ScriptHarness.run(source, parameters: ["average": "wma"]).error
        #expect(bad?.kind == .usage && bad?.description.contains("--param average=wma is not one of the choices (sma, ema, 3)") == true)
    }

    @Test("Declarations an optimizer cannot use are contract errors at the script's line", arguments: [
        ("local x = param.float('x', 0, 1, 0.5, { log = true })", "attack.lua:1: param 'x': a log scale needs min > 0, got 0"),
        ("local x = param.choice('x', {}, 1)", "attack.lua:1: param 'x': param.choice needs a non-empty list of values"),
        ("local x = param.choice('x', { 'a', 'b' }, 'c')", "attack.lua:1: param 'x': the default c is not one of the choices (a, b)"),
        ("local x = param.choice('x', { 'a', 'a' }, 'a')", "attack.lua:1: param 'x': the choices repeat a value"),
        ("local x = param.int('x', 1, 9, 2, { scale = 'log' })", "attack.lua:1: param 'x': unknown option 'scale' (options: log)"),
        ("local x = param.float('x', -1/0, 1, 0)", "attack.lua:1: param 'x': min and max must be finite numbers"),
    ])
    func badDeclarations(source: String, message: String) {
        let error = ScriptHarness.run(source).error
        #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
    }

    @Test("A param declared inside factor(d) is a contract error that says where params belong")
    func paramInsideFactor() {
        let error = ScriptHarness.run("""
            function factor(d)
              local n = param.int("n", 2, 50, 10)
              return sma(d.close, n)
            end
            """).error
        #expect(error?.kind == .contract)
        #expect(error?.description.contains("attack.lua:2: param 'n' is declared inside factor(d) or signal(d, f); declare every param.* at the top level") == true,
                "\(String(describing: error))")
    }

    @Test("Calls of primitives that read future bars are reported, wherever they happen")
    func lookaheadCallsAreReported() throws {
        let clean = try ScriptHarness.run("function factor(d) return rsi(d.close, 14) end").result.get()
        #expect(clean.lookaheadPrimitives.isEmpty)
        let peeking = try ScriptHarness.run("""
            local future = forward_return(d, 1)
            function factor(d) return future end
            """).result.get()
        #expect(peeking.lookaheadPrimitives == ["forward_return"])
        let aliased = try ScriptHarness.run("""
            local f = forward_return
            function factor(d) return d.close * (1 + f(d.close, 1)) end
            """).result.get()
        #expect(aliased.lookaheadPrimitives == ["forward_return"])
    }

    @Test("series{...} builds a Series from a Lua array and s:totable(a, b) gives one back")
    func seriesFromTable() {
        let outcome = ScriptHarness.run("""
            local s = series{1.5, 2, 3, 4}
            local t = sma(s, 2):totable()
            print(#s, s:mean(), t[1] ~= t[1], t[4], #d.close:totable(2, 5))
            print(select(2, pcall(series, {1, "2", 3})))
            print(select(2, pcall(series, {1, true})))
            print(#series{})
            local t = {} for i = 1, 2e6 do t[i] = i end
            local long = series(t)
            print(select(2, pcall(long.totable, long)))
            print(select(2, pcall(long.values, long)))
            """, limits: SandboxLimits(timeout: 30, maxInstructions: 0, maxMemoryBytes: 512 << 20, maxOutputBytes: 1 << 20))
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        // The mean of 1.5, 2, 3, 4 is 2.625; the last 2-bar average 3.5; the first is warm-up (NaN).
        // A whole 2M-bar series is over the 1M-value cap, and the message names the method used.
        #expect(outcome.printed == """
            4\t2.625\ttrue\t3.5\t4
            series: element 2 is string, not a number (hint: series{1.5, 2, ...} takes an array of numbers)
            series: element 2 is boolean, not a number (hint: series{1.5, 2, ...} takes an array of numbers)
            0
            totable: 2000000 values asked, at most 1000000 at once (hint: totable(a, b) takes a range)
            values: 2000000 values asked, at most 1000000 at once (hint: values(a, b) takes a range)

            """, "\(outcome.printed)")
    }

    @Test("A Series built from a table counts against the memory cap")
    func seriesMemory() {
        let outcome = ScriptHarness.run("""
            local t = {} for i = 1, 3e6 do t[i] = i end
            local kept = {} for k = 1, 100 do kept[k] = series(t) end
            """, limits: SandboxLimits(timeout: 20, maxInstructions: 0, maxMemoryBytes: 256 << 20))
        #expect(outcome.error?.kind == .resourceLimit(.memory), "\(String(describing: outcome.error))")
    }

    @Test("resample: a series with the bars' own times, whole bars as a table, and a clear error below the bars' interval")
    func resampleForms() {
        let outcome = ScriptHarness.run("""
            local c = resample(d.close, "4h")
            local b = resample(d, "4h")
            print(#c == #d.close, b.interval, b.close[10] == c[10], b.high[10] >= b.low[10], type(b.volume))
            print(select(2, pcall(resample, d.close, "5m")))
            print(select(2, pcall(resample, d.close, "4h", "median")))
            print(select(2, pcall(resample, d, "4h", "max")))
            print(select(2, pcall(resample, { close = d.close }, "4h")))
            """)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        let lines = outcome.printed.split(separator: "\n").map(String.init)
        #expect(lines.first == "true\t4h\ttrue\ttrue\tuserdata", "\(outcome.printed)")
        #expect(lines.count == 5 && lines[1].contains("resample: 5m is not a multiple of the bars' interval"), "\(outcome.printed)")
        #expect(lines.count == 5 && lines[2].contains("how must be one of"), "\(outcome.printed)")
        #expect(lines.count == 5 && lines[3].contains("whole bars take no 'how'"), "\(outcome.printed)")
        #expect(lines.count == 5 && lines[4].contains("the table has no time column"), "\(outcome.printed)")
    }

    @Test("resample of a mask: a mask with last, first, max (any) and min (all), false until known; sum and mean count")
    func resampleMask() {
        // Hourly bars from 2024-01-01 00:00 UTC; the mask is true at 02:00. Each bar reads the
        // 4h bucket that closed by its open: bars 4..7 read the bucket of hours 0..3, and so on.
        let outcome = ScriptHarness.run("""
            local m = eq(hour_of_day(d.time), 2)
            local function show(s) local t = {} for i = 1, 12 do t[i] = tostring(s[i]) end return table.concat(t, " ") end
            print(show(resample(m, "4h", "max")))
            print(show(resample(m, "4h")))
            print(show(resample(~m, "4h", "min")))
            print(show(resample(m, "4h", "sum")))
            print(tostring(resample(m, "1d", "max")):sub(1, 4), tostring(resample(m, "4h", "mean")):sub(1, 6))
            """)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.printed == """
            false false false false true true true true false false false false
            false false false false false false false false false false false false
            false false false false false false false false true true true true
            nan nan nan nan 1.0 1.0 1.0 1.0 0.0 0.0 0.0 0.0
            Mask\tSeries

            """, "\(outcome.printed)")
    }
}
