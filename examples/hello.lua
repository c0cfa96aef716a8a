-- A plain script: look at the data. Run: llmalpha run examples/hello.lua [--symbol ETH]
print(string.format("%s %s: %d bars", d.symbol, d.interval, #d.close))
print(string.format("last close %.2f, mean volume %.1f", d.close:last(), d.volume:mean()))

local r = log_return(d.close)
-- hourly volatility, annualized with 24*365 bars a year (for 1h data)
print(string.format("annualized volatility %.1f%%", r:std() * math.sqrt(24 * 365) * 100))

local up = gt(d.close, d.open)
print(string.format("up bars: %d of %d (%.1f%%)", up:count(), #up, 100 * up:count() / #up))

if d.funding then
  print(string.format("mean funding per 8h: %.4f%%", d.funding:mean() * 100))
end
