-- A hypothesis on perpetual funding: crowded longs pay, and price leans back.
-- Run: llmalpha run examples/funding_fade.lua --symbol ETH --param lookback=96
hypothesis {
  name      = "funding_fade",
  rationale = "Extreme positive funding means crowded longs; price tends to mean-revert.",
  timeframe = "1h",
  symbols   = { "BTCUSDT", "ETHUSDT" },
  tags      = { "funding", "mean-reversion" },
}

local lookback = param.int("lookback", 24, 336, 72)
local entry_z  = param.float("entry_z", 1.0, 3.0, 2.0)

function factor(d)
  -- funding is published every 8h and held between settlements; its z-score over `lookback` bars
  return -zscore(d.funding, lookback)
end

function signal(d, f)
  return { long = gt(f, entry_z), short = lt(f, -entry_z), exit = lt(abs(f), 0.5) }
end

strategy { fees = 0.0004, slippage = 0.0002, stop_loss = 0.03, max_hold = 48 }
