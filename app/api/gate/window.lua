-- A budget's moving window: a sorted set of the requests it granted, scored by their time.
-- A request is granted while fewer than `amount` were granted in the `expiry` seconds before
-- it, so no span of `expiry` seconds ever holds more, across any boundary. Members are
-- numbers from one counter (`sequence`), unique in this Redis, so no two grants collapse.
-- Returns: 1 if granted else 0, the count in the window after it, the oldest time in it.
local function charge(name, sequence, now, amount, expiry)
  redis.call('ZREMRANGEBYSCORE', name, '-inf', string.format('%.17g', tonumber(now) - expiry))
  local count = redis.call('ZCARD', name)
  local granted = 0
  if count < amount then
    redis.call('ZADD', name, now, redis.call('INCR', sequence))
    redis.call('EXPIRE', name, expiry)
    granted, count = 1, count + 1
  end
  local oldest = redis.call('ZRANGE', name, 0, 0, 'WITHSCORES')[2] or ''
  return granted, count, oldest
end
