-- Compute common indicators and export them as columns.
-- Run: llmalpha run examples/indicators.lua --from 2024-01-01 --output indicators.csv
local macd_line, macd_signal, macd_hist = macd(d.close, 12, 26, 9)
local upper, middle, lower = bbands(d.close, 20, 2)

output {
  close     = d.close,
  rsi14     = rsi(d.close, 14),
  macd      = macd_line,
  signal    = macd_signal,
  hist      = macd_hist,
  bb_upper  = upper,
  bb_lower  = lower,
  atr14     = atr(d.high, d.low, d.close, 14),
  z48       = zscore(d.close, 48),
  golden    = crossover(sma(d.close, 50), sma(d.close, 200)),
}

print("latest RSI(14):", rsi(d.close, 14):last())
