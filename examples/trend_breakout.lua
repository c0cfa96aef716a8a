-- A complete hypothesis (factor, signal, strategy): breakouts scaled by volatility continue.
-- Run: llmalpha validate examples/trend_breakout.lua --mode quick
hypothesis {
  name      = "vol_scaled_breakout",
  rationale = "A close far above its recent range, measured in ATRs, marks new information that takes hours to be priced in.",
  timeframe = "1h",
  tags      = { "breakout", "momentum" },
}

local n     = param.int("n", 24, 336, 96)          -- bars of the reference range
local entry = param.float("entry", 0.5, 3.0, 1.5)  -- ATRs beyond the range's middle that open a position

function factor(d)
  local middle = (rolling_max(d.high, n) + rolling_min(d.low, n)) / 2
  return (d.close - middle) / atr(d.high, d.low, d.close, n)
end

function signal(d, f)
  return {
    long  = crossover(f, entry),
    short = crossunder(f, -entry),
    exit  = lt(abs(f), 0.25),
  }
end

strategy { fees = 0.0004, slippage = 0.0001, stop_loss = 0.05, max_hold = 72 }
