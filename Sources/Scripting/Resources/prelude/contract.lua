-- llmalpha prelude: the hypothesis contract of DESIGN.md section 3.3, in plain Lua.
--
-- Loaded into every sandbox before the script runs. What it defines here becomes a builtin:
-- scripts can call hypothesis{}, param.int(...), strategy{}, output{} but cannot replace them.
-- `host` holds llmalpha's callbacks; only this file sees it. Host callbacks return
-- (nil, message) on bad input so the error below can point at the script's own line.
local host = ...

local function fail(message, level)
  error(message, (level or 1) + 1)
end

local function expect_table(fname, t)
  if type(t) ~= "table" then
    fail(fname .. " expects a table, as in " .. fname .. " { ... }, got " .. type(t), 3)
  end
end

local function field_list(fields)
  local names = {}
  for k in pairs(fields) do names[#names + 1] = k end
  table.sort(names)
  return table.concat(names, ", ")
end

-- hypothesis { name = ..., rationale = ..., timeframe = ..., symbols = {...}, tags = {...}, parent = ... }
local hypothesis_fields = {
  name = "string", rationale = "string", timeframe = "string", parent = "string",
  symbols = "list", tags = "list",
}
local hypothesis_seen = false

function hypothesis(t)
  expect_table("hypothesis", t)
  if hypothesis_seen then fail("hypothesis{} may appear only once per script", 2) end
  hypothesis_seen = true
  if type(t.name) ~= "string" or t.name == "" then
    fail("hypothesis: name is required, as a non-empty string", 2)
  end
  for k, v in pairs(t) do
    local kind = hypothesis_fields[k]
    if kind == nil then
      fail(string.format("hypothesis: unknown field '%s' (fields: %s)", tostring(k), field_list(hypothesis_fields)), 2)
    elseif kind == "string" then
      if type(v) ~= "string" then fail(string.format("hypothesis: %s must be a string, got %s", k, type(v)), 2) end
      host.meta("hypothesis", k, v)
    else
      if type(v) == "string" then v = { v } end
      if type(v) ~= "table" then fail(string.format("hypothesis: %s must be a list of strings, got %s", k, type(v)), 2) end
      for _, item in ipairs(v) do
        if type(item) ~= "string" then fail(string.format("hypothesis: %s must hold strings, got %s", k, type(item)), 2) end
        host.meta("hypothesis", k, item)
      end
    end
  end
end

-- param.int / param.float / param.bool / param.choice: the script's tunable values. Each returns
-- its default unless `--param name=value` or an optimizer sets it; the declared range (or list)
-- is the optimizer's search space. Declare them at the top level of the script, never inside
-- factor or signal: the optimizer reads them from the main chunk.
--   param.int("lookback", 24, 336, 72)                   name, min, max, default
--   param.float("entry_z", 1.0, 3.0, 2.0)
--   param.float("band", 0.001, 0.1, 0.01, { log = true })  searched on a log scale (min > 0)
--   param.bool("use_funding", true)
--   param.choice("average", { "sma", "ema" }, "ema")        a value from a list (strings or numbers)
param = {}
local declared = {}
local max_choices = 64

local function declare(kind, name, lo, hi, default, options)
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
    fail(string.format("param.%s: the name must be an identifier string, got %s", kind, tostring(name)), 3)
  end
  if declared[name] then fail(string.format("param '%s' is declared twice", name), 3) end
  local log = false
  if options ~= nil then
    if type(options) ~= "table" then
      fail(string.format("param '%s': options must be a table, as in { log = true }, got %s", name, type(options)), 3)
    end
    for k, v in pairs(options) do
      if k ~= "log" then fail(string.format("param '%s': unknown option '%s' (options: log)", name, tostring(k)), 3) end
      if type(v) ~= "boolean" then fail(string.format("param '%s': log must be true or false, got %s", name, type(v)), 3) end
      log = v
    end
  end
  declared[name] = true
  local value, err
  if kind == "choice" then
    if type(lo) ~= "table" or #lo == 0 then
      fail(string.format("param '%s': param.choice needs a non-empty list of values, as in param.choice(\"%s\", { \"sma\", \"ema\" }, \"sma\")",
                         name, name), 3)
    end
    if #lo > max_choices then fail(string.format("param '%s': at most %d choices, got %d", name, max_choices, #lo), 3) end
    value, err = host.param(kind, name, nil, nil, default, false, table.unpack(lo))
  else
    value, err = host.param(kind, name, lo, hi, default, log)
  end
  if err then fail(err, 3) end
  return value
end

-- Not tail calls: error levels count on param.* keeping its own frame.
function param.int(name, lo, hi, default, options) local v = declare("int", name, lo, hi, default, options) return v end
function param.float(name, lo, hi, default, options) local v = declare("float", name, lo, hi, default, options) return v end
function param.bool(name, default) local v = declare("bool", name, 0, 1, default) return v end
function param.choice(name, choices, default) local v = declare("choice", name, choices, nil, default) return v end

-- strategy { fees = 0.0004, slippage = 0.0002, stop_loss = 0.03, ... }: the backtest layer's settings.
local strategy_fields = {
  fees = "number", slippage = "number", stop_loss = "number", take_profit = "number",
  trailing_stop = "number", max_hold = "number", size = "number", fill = "string", funding = "boolean",
}
local strategy_seen = false

function strategy(t)
  expect_table("strategy", t)
  if strategy_seen then fail("strategy{} may appear only once per script", 2) end
  strategy_seen = true
  for k, v in pairs(t) do
    local kind = strategy_fields[k]
    if kind == nil then
      fail(string.format("strategy: unknown field '%s' (fields: %s)", tostring(k), field_list(strategy_fields)), 2)
    end
    if type(v) ~= kind then fail(string.format("strategy: %s must be a %s, got %s", k, kind, type(v)), 2) end
    local ok, err = host.meta("strategy", k, v)
    if err then fail(err, 2) end
  end
end

-- output { name = series, ... }: columns for `llmalpha run --output FILE.csv`, in the order written.
local anchored = {}   -- keeps every exported Series alive until the host has copied it

function output(t)
  expect_table("output", t)
  for k, v in pairs(t) do
    if type(k) ~= "string" then fail("output: name every column, as in output{ rsi = r }", 2) end
    if type(v) ~= "userdata" then
      fail(string.format("output: '%s' must be a Series, got %s", k, type(v)), 2)
    end
    anchored[#anchored + 1] = v
    local ok, err = host.output(k, v)
    if err then fail(err, 2) end
  end
end

-- printf("%.3f", x): print with string.format.
function printf(fmt, ...)
  print(string.format(fmt, ...))
end

-- forward_return(d, h) reads d.close when given the data table itself.
local forward_return_series = forward_return
function forward_return(x, h)
  if type(x) == "table" then x = x.close end
  -- Called through pcall so a bad argument is reported at the script's line, not this file's.
  local ok, r = pcall(forward_return_series, x, h)
  if not ok then error(r, 2) end
  return r
end

-- market("ETH"): another symbol's bars shaped like d, aligned to the script's own bars.
function market(symbol)
  if type(symbol) ~= "string" then fail("market: expected a symbol, as in market(\"ETH\")", 2) end
  if host.market == nil then fail("market() is not available here (the bars have no store to find other symbols in)", 2) end
  local bars, err = host.market(symbol)
  if err then fail(err, 2) end
  return bars
end

-- resample(s, "4h"[, how]) passes the bars' times itself; resample(d, "4h") (or a market table)
-- resamples every column: open first, high max, low min, close last, volumes and trades summed,
-- the rest last.
local resample_series = resample
local interval_ms = { ["1m"] = 60000, ["3m"] = 180000, ["5m"] = 300000, ["15m"] = 900000, ["30m"] = 1800000,
                      ["1h"] = 3600000, ["2h"] = 7200000, ["4h"] = 14400000, ["6h"] = 21600000, ["8h"] = 28800000,
                      ["12h"] = 43200000, ["1d"] = 86400000, ["3d"] = 259200000, ["1w"] = 604800000 }
local column_how = { open = "first", high = "max", low = "min", close = "last", volume = "sum", quote_volume = "sum",
                     trades = "sum", taker_buy_volume = "sum", mark_open = "first", mark_high = "max", mark_low = "min",
                     mark_close = "last", time = "first" }
local mask_hows = { last = true, first = true, max = true, min = true }
function resample(x, interval, how)
  local bars = type(x) == "table" and x or d
  local coarse, fine = interval_ms[interval], bars and interval_ms[bars.interval]
  if coarse and fine and (coarse < fine or coarse % fine ~= 0) then
    error(string.format("resample: %s is not a multiple of the bars' interval (%s)", interval, bars.interval), 2)
  end
  if type(x) == "table" then
    if how ~= nil then
      error("resample: whole bars take no 'how' (each column has its own); resample one series for that", 2)
    end
    if type(x.time) ~= "userdata" then error("resample: the table has no time column (pass d, or a market() table)", 2) end
    local out = { symbol = x.symbol, interval = interval }
    for name, column in pairs(x) do
      if type(column) == "userdata" then
        local ok, r = pcall(resample_series, column, interval, column_how[name] or "last", x.time)
        if not ok then error(r, 2) end
        out[name] = r
      end
    end
    return out
  end
  local ok, r = pcall(resample_series, x, interval, how or "last", bars and bars.time)
  if not ok then error(r, 2) end
  -- A mask stays a mask where the aggregate is still true or false (max is any, min is all),
  -- false until its first coarse bar has closed; sum and mean count, so they stay numbers.
  if #x > 0 and type(x[1]) == "boolean" and mask_hows[how or "last"] then return gt(r, 0) end
  return r
end

-- The signal layer: the host calls this with the script's signal function, d and the factor.
-- signal(d, f) returns masks, either { long = m, short = m, exit = m } or
-- { entries = m, exits = m, short_entries = m, short_exits = m }; any may be left out.
local signal_fields = { long = true, short = true, exit = true, entries = true, exits = true,
                        short_entries = true, short_exits = true }

function host.evaluate_signal(signal_fn, data, f)
  local masks = signal_fn(data, f)
  if type(masks) ~= "table" then
    error("signal(d, f) must return a table of masks, as in { long = gt(f, 2), exit = lt(f, 0) }, got " .. type(masks), 0)
  end
  for k, v in pairs(masks) do
    if not signal_fields[k] then
      error(string.format("signal(d, f): unknown field '%s' (fields: %s)", tostring(k), field_list(signal_fields)), 0)
    end
    if type(v) ~= "userdata" then
      error(string.format("signal(d, f): '%s' must be a mask, got %s", k, type(v)), 0)
    end
  end
  local ok, err = host.signal_masks(masks.long, masks.short, masks.exit, masks.entries, masks.exits,
                                    masks.short_entries, masks.short_exits)
  if err then error(err, 0) end
end

-- backtest { entries = m, exits = m, ... }: a backtest from inside a plain script. Masks are
-- entries/exits/short_entries/short_exits or the short form long/short/exit; settings as in
-- strategy{}. Returns a table of metrics (total_return, sharpe, max_drawdown, ...), `equity`
-- (a Series) and `trades` (a list of tables).
local backtest_masks = { entries = true, exits = true, short_entries = true, short_exits = true,
                         long = true, short = true, exit = true }

function backtest(t)
  expect_table("backtest", t)
  if host.backtest == nil then fail("backtest{} is not available here", 2) end
  local options = {}
  for k, v in pairs(t) do
    if backtest_masks[k] then
      if type(v) ~= "userdata" then fail(string.format("backtest: '%s' must be a mask, got %s", k, type(v)), 2) end
    elseif strategy_fields[k] then
      if type(v) ~= strategy_fields[k] then
        fail(string.format("backtest: %s must be a %s, got %s", k, strategy_fields[k], type(v)), 2)
      end
      options[#options + 1] = k
      options[#options + 1] = v
    else
      local names = {}
      for name in pairs(backtest_masks) do names[name] = true end
      for name in pairs(strategy_fields) do names[name] = true end
      fail(string.format("backtest: unknown field '%s' (fields: %s)", tostring(k), field_list(names)), 2)
    end
  end
  local result, err = host.backtest(t.long, t.short, t.exit, t.entries, t.exits, t.short_entries, t.short_exits,
                                    table.unpack(options))
  if err then fail(err, 2) end
  return result
end

-- The REPL's `.load` runs several scripts in one session: each starts the contract afresh.
function host.reset_contract()
  hypothesis_seen = false
  strategy_seen = false
  declared = {}
end
