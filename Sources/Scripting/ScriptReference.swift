package import Primitives

/// What a script can read and call, generated from the registry: `llmalpha docs` prints it and
/// the research prompt gives it to a language model, so both say the same thing.
package enum ScriptReference {
    /// The data table, series semantics and the hypothesis contract, before the primitives.
    package static let preamble = """
    # llmalpha Lua reference

    Data: `d.time` (open time, ms UTC), `d.open d.high d.low d.close d.volume`, and where loaded `d.funding`
    (last published funding rate as of each bar), `d.open_interest d.open_interest_value` (as of each bar's open,
    when `data download --oi` fetched them), `d.mark_open d.mark_high d.mark_low d.mark_close` (the mark-price bar
    opening with each bar, when `data download --mark` fetched them), `d.quote_volume d.trades d.taker_buy_volume`; `d.symbol`,
    `d.interval` are strings. Series are 1-based (`s[1]`, `#s`, `s:last()`, `s:values(a, b)` or `s:totable(a, b)`
    for a Lua array) and read-only; `series{1.5, 2, 3}` makes one from a Lua array of numbers. `market("ETH")` is another
    symbol's bars shaped like `d`, aligned to the script's own bars by open time (NaN where it has none; never a later bar).
    NaN marks warm-up and missing values; comparisons with NaN are false.
    Arithmetic `+ - * / % ^ //` and unary `-` mix series and numbers. Compare with `gt lt ge le eq ne`
    (`a < b` on series is an error); combine masks with `& | ~`.
    Hypothesis contract: `hypothesis{...}`; parameters declared at the top level of the script (never inside
    `factor` or `signal`): `param.int(name, min, max, default)`, `param.float(...)`, either with `{ log = true }` for
    a log-scaled search, `param.bool(name, default)`, `param.choice(name, { "a", "b" }, default)`; `function factor(d)`
    (a series that ranks forward returns), `function signal(d, f)` (returns `{ long = mask, short = mask, exit = mask }`),
    `strategy{...}`, `output{ name = series }`. Windows are integers in 1...#s. Primitives marked LOOKS AHEAD are
    for research in plain scripts only: validation refuses a factor or signal that calls them.


    """

    /// The builtins that are not registry primitives (the host's and the contract's), one entry
    /// each for the REPL's help(); the preamble above says the same in prose.
    package static let builtins: [(name: String, entry: String)] = [
        ("market", """
            market("ETH") -> table shaped like d
              another symbol's bars (d.close, d.high, ...), aligned to the script's own bars by open time:
              NaN where it has none, never a later bar; loaded once per run. "ETH" means ETHUSDT.
              example: local eth = market("ETH"); local spread = pct_change(d.close, 24) - pct_change(eth.close, 24)
            """),
        ("series", """
            series{1.5, 2, 3} -> series
              a series from a Lua array of numbers (holes or non-numbers are refused with their index)
              example: local w = series{0.2, 0.3, 0.5}
            """),
        ("totable", """
            s:totable(a, b) -> Lua array      (also s:values(a, b))
              the values of s[a..b] (default: all) as a plain Lua array, for loops; counts against the memory cap
              example: local last10 = d.close:totable(#d.close - 9, #d.close)
            """),
        ("hypothesis", """
            hypothesis{ name = "...", rationale = "...", tags = {...} }
              declares what the script bets on; with factor(d), signal(d, f) and strategy{...} it makes a hypothesis
              example: hypothesis{ name = "funding fade", rationale = "crowded longs unwind after extreme funding" }
            """),
        ("param", """
            param.int(name, min, max, default)   param.float(name, min, max, default[, { log = true }])
            param.bool(name, default)            param.choice(name, { "a", "b" }, default)
              a tunable value, declared at the top level of the script (never inside factor or signal)
              example: local lookback = param.int("lookback", 24, 336, 72)
            """),
    ]

    /// The preamble (when `full`) and the primitives of `specs`, grouped.
    package static func document(_ specs: [PrimitiveSpec], full: Bool) -> String {
        (full ? preamble : "") + PrimitiveReference.grouped(specs)
    }
}
