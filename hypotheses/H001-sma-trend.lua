-- SMA trend: long above the slow average when the fast one crosses up, short on the mirror image.
-- Run: llmalpha backtest run -s BTC -S sma_trend --report sma_trend.html
hypothesis {
  name      = "sma_trend",
  rationale = "Crypto trends persist for weeks; a fast/slow moving-average cross catches the larger moves.",
  timeframe = "1h",
  tags      = { "trend", "moving-average" },
}

local fast = param.int("fast", 5, 100, 24)
local slow = param.int("slow", 20, 500, 168)

function factor(d)
  return sma(d.close, fast) / sma(d.close, slow) - 1
end

function signal(d, f)
  local fast_ma, slow_ma = sma(d.close, fast), sma(d.close, slow)
  return {
    long  = crossover(fast_ma, slow_ma),
    short = crossunder(fast_ma, slow_ma),   -- an opposite entry reverses the position
  }
end

strategy { fees = 0.0004, slippage = 0.0001, trailing_stop = 0.08 }
