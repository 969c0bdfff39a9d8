-- Charge one request to one or more budgets at once (window.lua, prepended): KEYS the
-- budgets, then the sequence; ARGV: now (Unix seconds), then amount and expiry (seconds)
-- for each budget. Returns charge_all's answer.
local names, amounts, expiries = {}, {}, {}
for i = 1, #KEYS - 1 do
  names[i] = KEYS[i]
  amounts[i] = tonumber(ARGV[2 * i])
  expiries[i] = tonumber(ARGV[2 * i + 1])
end
return charge_all(names, KEYS[#KEYS], ARGV[1], amounts, expiries)
