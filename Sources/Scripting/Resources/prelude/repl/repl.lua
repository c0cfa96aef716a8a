-- llmalpha REPL helpers: loaded only into `llmalpha repl` sessions, after the contract prelude.
-- Like contract.lua, what this file defines becomes a builtin, and `host` is seen only here.
local host = ...

-- Every builtin function by value, so help(rsi) knows its name.
local names = {}
for name, value in pairs(_ENV) do
  if type(value) == "function" then names[value] = name end
end
for lib, t in pairs({ string = string, table = table, math = math, utf8 = utf8 }) do
  for name, value in pairs(t) do names[value] = lib .. "." .. name end
end

-- help() lists primitives by group; help(rsi) or help("rsi") prints its reference entry.
function help(what)
  local name = what
  if type(what) == "function" then name = names[what] end
  if what ~= nil and type(name) ~= "string" then
    print("help: pass a primitive, e.g. help(rsi) or help(\"rsi\")")
    return
  end
  print(host.help_text(name))
end

local function number_text(x)
  if x ~= x then return "nan" end
  if math.type(x) == "integer" then return tostring(x) end
  if x == math.floor(x) and math.abs(x) < 1e15 then return string.format("%.1f", x) end
  return string.format("%.10g", x)
end

local function series_text(s)
  local n = #s
  local text = tostring(s)
  if text:sub(1, 4) == "Mask" then
    local trues = s:count()
    local share = n > 0 and string.format(" (%.1f%%)", 100 * trues / n) or ""
    return string.format("Mask(len=%d, true=%d%s)", n, trues, share)
  end
  local valid = s:count()
  local first = s:first_valid()
  if valid == 0 then return string.format("Series(len=%d, all NaN)", n) end
  local tail = {}
  for _, v in ipairs(s:values(math.max(1, n - 4), n)) do tail[#tail + 1] = number_text(v) end
  return string.format("Series(len=%d, first valid=%d, NaN=%d)  last: %s  min=%s mean=%s max=%s",
    n, first, n - valid, table.concat(tail, " "), number_text(s:min()), number_text(s:mean()), number_text(s:max()))
end

local format_value
local function table_text(t, depth, seen)
  if seen[t] then return "<cycle>" end
  if depth > 2 then return "{...}" end
  seen[t] = true
  local parts, count = {}, 0
  local n = #t
  for i = 1, math.min(n, 20) do parts[#parts + 1] = format_value(t[i], depth + 1, seen) end
  if n > 20 then parts[#parts + 1] = string.format("... (%d items)", n) end
  local keys = {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    count = count + 1
    if count > 20 then parts[#parts + 1] = string.format("... (%d more keys)", #keys - 20) break end
    local key = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or ("[" .. format_value(k, depth + 1, seen) .. "]")
    parts[#parts + 1] = key .. " = " .. format_value(t[k], depth + 1, seen)
  end
  seen[t] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end

format_value = function(v, depth, seen)
  local kind = type(v)
  if kind == "number" then return number_text(v)
  elseif kind == "string" then return depth > 0 and string.format("%q", v) or v
  elseif kind == "userdata" then return series_text(v)
  elseif kind == "table" then return table_text(v, depth, seen)
  elseif kind == "function" then return names[v] and ("<function " .. names[v] .. ">") or "<function>"
  end
  return tostring(v)
end

-- The text the REPL prints for an expression's values; nil when there are none.
function host.repl_format(...)
  local count = select("#", ...)
  if count == 0 then return nil end
  local parts = {}
  for i = 1, count do parts[i] = format_value((select(i, ...)), 0, {}) end
  return table.concat(parts, "\t")
end

-- Names for tab completion: the user's globals and the builtins, or the fields of one table.
function host.repl_names(base)
  local out = {}
  if base == nil then
    for k in pairs(_G) do if type(k) == "string" then out[#out + 1] = k end end
    for k in pairs(_ENV) do if type(k) == "string" and k:sub(1, 2) ~= "__" then out[#out + 1] = k end end
  else
    local t = rawget(_G, base)
    if t == nil then t = rawget(_ENV, base) end
    if type(t) == "table" then
      for k in pairs(t) do if type(k) == "string" then out[#out + 1] = k end end
    end
  end
  return table.concat(out, "\n")
end
