-- A hypothesis: short-term RSI extremes mean-revert.
-- Run: llmalpha run examples/rsi_reversion.lua --param period=7
hypothesis {
  name      = "rsi_reversion",
  rationale = "After a run of one-sided closes, short-horizon returns tend to partly reverse.",
  timeframe = "1h",
  symbols   = { "BTCUSDT", "ETHUSDT" },
  tags      = { "mean-reversion", "rsi" },
}

local period = param.int("period", 2, 50, 14)        -- name, min, max, default
local smooth = param.int("smooth", 1, 10, 3)

-- Layer 1: high RSI should rank low forward returns, so the factor is its negative.
function factor(d)
  return -(sma(rsi(d.close, period), smooth) - 50)
end
