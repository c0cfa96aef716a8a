-- A multi-timeframe hypothesis: 1h pullbacks, taken only in the direction of the 4h trend.
-- resample(s, "4h") gives each 1h bar the value of the last 4h bar that had closed by its open,
-- never a later one, so the filter cannot peek. On the bundled BTCUSDT it loses money after costs:
-- an example of the syntax, not an edge.
-- Run: llmalpha validate examples/trend_filter_4h.lua --mode quick
hypothesis {
  name      = "pullback_with_4h_trend",
  rationale = "Short pullbacks against a higher-timeframe trend tend to resume in the trend's direction.",
  timeframe = "1h",
  tags      = { "momentum", "mean_reversion", "multi_timeframe" },
}

local trend_n = param.int("trend_n", 6, 60, 20)     -- 4h bars in the trend's moving average
local pull_n  = param.int("pull_n", 4, 48, 12)      -- 1h bars of the pullback z-score
local entry   = param.float("entry", 0.5, 3.0, 1.5)

function factor(d)
  local h4 = resample(d, "4h")                      -- whole 4h bars, aligned onto the 1h bars
  local trend = sign(h4.close - resample(sma(d.close, 4 * trend_n), "4h"))
  return -trend * zscore(d.close, pull_n) * gt(abs(trend), 0)
end

function signal(d, f)
  return { long = gt(f, entry), short = lt(f, -entry), exit = lt(abs(f), 0.25) }
end

strategy { fees = 0.0004, slippage = 0.0001, stop_loss = 0.04, max_hold = 24 }
