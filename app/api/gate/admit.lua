-- Admit one API request in one round trip. redis_gate.py puts before this text the constants
-- it derives from KeyRecord and the settings (FIELDS, KEY_FIELDS, OWNER_FIELDS, BUDGETS...)
-- and window.lua's charge().
-- KEYS[1]: the key's record; KEYS[2]: its "use recorded this minute" marker.
-- ARGV[1]: the presented key's verifier; ARGV[2]: now (Unix seconds); ARGV[3]: the
-- generation the caller saw before it read the key's row ('' on a first try); then the
-- presented key's verifier under each of the FALLBACKS secrets (none without fallbacks);
-- then that row, FIELDS as text.
local presented, now, seen = ARGV[1], ARGV[2], ARGV[3]
local ROW = 3 + FALLBACKS  -- the row's first field is ARGV[ROW + 1]

-- The cached record under `name`: a table of `fields`, or nil (none, or a tombstone).
local function cached(name, fields)
  local values = redis.call('HMGET', name, 'stale', unpack(fields))
  if values[1] then return nil end
  local record = {}
  for i, field in ipairs(fields) do
    if not values[i + 1] then return nil end
    record[field] = values[i + 1]
  end
  return record
end

-- Every change replaces the generation, so a row read before a change is never cached.
local function generation()
  local value = redis.call('GET', GENERATION)
  if not value then
    value = now  -- Redis lost it (a restart): no row in flight was read under this value
    redis.call('SET', GENERATION, value)
  end
  return value
end

-- Cache `fields` of the caller's row under `name`, unless a tombstone stands there.
local function keep(name, fields, record)
  if redis.call('HEXISTS', name, 'stale') == 1 then return end
  local flat = {}
  for _, field in ipairs(fields) do
    flat[#flat + 1] = field
    flat[#flat + 1] = record[field]
  end
  redis.call('HSET', name, unpack(flat))
  redis.call('EXPIRE', name, RECORD_SECONDS)
end

local record
if #ARGV >= ROW + #FIELDS then
  -- The caller read the row: it decides this request, and is cached if nothing changed.
  record = {}
  for i, field in ipairs(FIELDS) do record[field] = ARGV[ROW + i] end
  if seen == generation() then
    keep(KEYS[1], KEY_FIELDS, record)
    keep(USERS .. record.user_id, OWNER_FIELDS, record)
  end
else
  record = cached(KEYS[1], KEY_FIELDS)
  local owner = record and cached(USERS .. record.user_id, OWNER_FIELDS)
  if not owner then return {'miss', generation()} end
  for field, value in pairs(owner) do record[field] = value end
end

if record.revoked_at ~= '' then return {'revoked', record.key_pk} end
if record.user_active ~= '1' then return {'inactive_user', record.key_pk} end
-- A verifier is "<secret id>:<hmac>". Under the current secret or a fallback, it decides;
-- made under no known secret (or none at all), bcrypt decides. Admitted under a fallback,
-- the caller sees the stored verifier in the answer and rewrites it.
if record.verifier ~= presented then
  local tag = string.sub(record.verifier, 1, TAG_LENGTH)
  if tag == string.sub(presented, 1, TAG_LENGTH) then return {'wrong_secret', record.key_pk} end
  local known = false
  for i = 4, ROW do
    if string.sub(ARGV[i], 1, TAG_LENGTH) == tag then
      if ARGV[i] ~= record.verifier then return {'wrong_secret', record.key_pk} end
      known = true
      break
    end
  end
  if not known then return {'unverified', record.key_pk} end
end
if record.expires_at ~= '' and tonumber(now) >= tonumber(record.expires_at) then
  return {'expired', record.key_pk}
end

local budget = BUDGETS[record.role]
if not budget then return redis.error_reply('no budget for role ' .. record.role) end
local granted, count, oldest = charge(budget[1] .. record.user_id .. budget[2], SEQUENCE, now,
                                      budget[3], budget[4])
local touched = 0
if granted == 1 and redis.call('SET', KEYS[2], '1', 'NX', 'EX', TOUCH_SECONDS) then
  touched = 1
end
local answer = {'ok', granted, count, oldest, touched}
for _, field in ipairs(FIELDS) do answer[#answer + 1] = record[field] end
return answer
