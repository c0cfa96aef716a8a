-- A planted edge, to see what a validated hypothesis looks like end to end. It runs on
-- examples/planted-edge.csv, a SYNTHETIC market (SyntheticMarket.bars(count: 12000, seed: 11,
-- edge: 0.12) in Sources/SyntheticMarket): GARCH volatility, fat-tailed returns, and a column
-- `hint` that leads the next bar's return. Real markets offer nothing this clean.
--   llmalpha validate examples/planted_edge.lua --data examples/planted-edge.csv --promote
hypothesis {
  name      = "planted edge",
  rationale = "The synthetic hint leads returns: trade in its direction while it is strong.",
  tags      = { "synthetic", "example" },
}

local n    = param.int("n", 1, 48, 6)              -- smoothing of the hint, in bars
local band = param.float("band", 0.2, 2.0, 0.8)    -- how strong the hint must be to trade
local side = param.choice("side", { "both", "long" }, "both")

function factor(d)
  return sma(d.hint, n)
end

function signal(d, f)
  local short = lt(f, -band)
  if side == "long" then short = lt(f, -1e9) end   -- never
  return { long = gt(f, band), short = short, exit = lt(abs(f), band / 4) }
end

strategy { fees = 0.0004, slippage = 0.0001 }
