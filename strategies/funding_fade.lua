-- Funding fade: when funding is extreme against its recent history, lean against the crowd.
-- Run: llmalpha backtest run -s BTC,ETH,SOL -S funding_fade
hypothesis {
  name      = "funding_fade",
  rationale = "Extreme positive funding means crowded longs paying to stay in; price tends to mean-revert.",
  timeframe = "1h",
  symbols   = { "BTCUSDT", "ETHUSDT" },
  tags      = { "funding", "mean-reversion" },
}

local lookback = param.int("lookback", 24, 336, 72)
local entry_z  = param.float("entry_z", 1.0, 3.0, 2.0)

function factor(d)
  return -zscore(d.funding, lookback)
end

function signal(d, f)
  return { long = gt(f, entry_z), short = lt(f, -entry_z), exit = lt(abs(f), 0.5) }
end

strategy { fees = 0.0004, slippage = 0.0002, stop_loss = 0.03, max_hold = 48 }
