-- A hypothesis: breakouts on heavy volume continue.
-- Run: llmalpha run examples/breakout_volume.lua --from 2023-01-01 --json
hypothesis {
  name      = "breakout_volume",
  rationale = "A close near the recent high on unusually high volume signals demand that persists for hours.",
  timeframe = "1h",
  tags      = { "momentum", "volume" },
}

local window = param.int("window", 12, 240, 48)
local vol_window = param.int("vol_window", 24, 720, 168)

function factor(d)
  local range_pos = (d.close - rolling_min(d.low, window)) / (rolling_max(d.high, window) - rolling_min(d.low, window))
  local volume_rank = rank(d.volume, vol_window)
  return range_pos * volume_rank
end
