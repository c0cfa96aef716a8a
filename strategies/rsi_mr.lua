-- RSI mean reversion: buy oversold, sell overbought, exit when RSI returns to the middle.
-- Run: llmalpha backtest run -s BTC,ETH -S rsi_mr     or     llmalpha run strategies/rsi_mr.lua
hypothesis {
  name      = "rsi_mr",
  rationale = "Short-term RSI extremes on perpetuals overshoot and partly revert within a day.",
  timeframe = "1h",
  symbols   = { "BTCUSDT", "ETHUSDT" },
  tags      = { "mean-reversion", "rsi" },
}

local period   = param.int("period", 2, 30, 14)
local low_band = param.float("low_band", 5, 45, 25)

function factor(d)
  return 50 - rsi(d.close, period)          -- high when oversold
end

function signal(d, f)
  local r = rsi(d.close, period)
  return {
    long  = crossunder(r, low_band),        -- RSI falls into oversold
    short = crossover(r, 100 - low_band),   -- RSI rises into overbought
    exit  = crossover(r, 50) | crossunder(r, 50),
  }
end

strategy { fees = 0.0004, slippage = 0.0001, stop_loss = 0.04, max_hold = 48 }
