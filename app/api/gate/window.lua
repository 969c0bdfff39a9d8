-- A budget's moving window: a sorted set of the requests it granted, scored by their time.
-- A request is granted while fewer than `amount` were granted in the `expiry` seconds before
-- it, so no span of `expiry` seconds ever holds more, across any boundary. Members are
-- numbers from one counter (`sequence`), unique in this Redis, so no two grants collapse.

-- Charge one request to every budget in `names` at once, or to none: it is granted only if
-- each has room (a key's own limit and its owner's budget). Returns 1 if granted else 0,
-- then for each budget the count in its window after it and the oldest time in it.
local function charge_all(names, sequence, now, amounts, expiries)
  local counts, granted = {}, 1
  for i, name in ipairs(names) do
    redis.call('ZREMRANGEBYSCORE', name, '-inf',
               string.format('%.17g', tonumber(now) - expiries[i]))
    counts[i] = redis.call('ZCARD', name)
    if counts[i] >= amounts[i] then granted = 0 end
  end
  local member = granted == 1 and redis.call('INCR', sequence)
  local answer = {granted}
  for i, name in ipairs(names) do
    if granted == 1 then
      redis.call('ZADD', name, now, member)
      redis.call('EXPIRE', name, expiries[i])
      counts[i] = counts[i] + 1
    end
    answer[#answer + 1] = counts[i]
    answer[#answer + 1] = redis.call('ZRANGE', name, 0, 0, 'WITHSCORES')[2] or ''
  end
  return answer
end

-- One budget: 1 if granted else 0, the count in the window after it, the oldest time in it.
local function charge(name, sequence, now, amount, expiry)
  local answer = charge_all({name}, sequence, now, {amount}, {expiry})
  return answer[1], answer[2], answer[3]
end
