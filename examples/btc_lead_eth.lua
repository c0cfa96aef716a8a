-- A cross-market hypothesis: bitcoin moves first, the alts follow. Run it on ETH:
--   llmalpha run examples/btc_lead_eth.lua -s ETH
--   llmalpha validate examples/btc_lead_eth.lua -s ETH --mode quick
-- market("BTC") gives BTCUSDT's bars aligned to ETH's own: the bar that opens with each ETH bar
-- (and closes with it), never a later one.
hypothesis {
  name      = "btc_leads_eth",
  rationale = "Information reaches bitcoin first; ETH catches up over the next hours, so BTC's recent move beyond ETH's predicts ETH's next one.",
  timeframe = "1h",
  tags      = { "momentum", "cross_market" },
}

local n     = param.int("n", 1, 24, 3)             -- bars of the two moves compared
local norm  = param.int("norm", 48, 720, 168)      -- bars of history that scale the gap
local entry = param.float("entry", 0.5, 3.0, 1.5)

function factor(d)
  local btc = market("BTC")
  local gap = pct_change(btc.close, n) - pct_change(d.close, n)   -- how far ETH lags BTC
  return zscore(gap, norm)
end

function signal(d, f)
  return { long = gt(f, entry), short = lt(f, -entry), exit = lt(abs(f), 0.25) }
end

strategy { fees = 0.0004, slippage = 0.0001, max_hold = 12 }
