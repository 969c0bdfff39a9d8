-- Charge one request to a budget (window.lua, prepended): KEYS[1] the budget, KEYS[2] the
-- sequence; ARGV: now (Unix seconds), amount, expiry (seconds).
local granted, count, oldest = charge(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]),
                                      tonumber(ARGV[3]))
return {granted, count, oldest}
