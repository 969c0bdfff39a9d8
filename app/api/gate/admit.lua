-- Admit one API request in one round trip. redis_gate.py puts before this text the constants
-- it derives from KeyRecord and the settings (FIELDS, KEY_FIELDS, OWNER_FIELDS, BUDGETS...)
-- and window.lua's charge().
-- KEYS[1]: the key's record; KEYS[2]: its "use recorded this minute" marker.
-- ARGV[1]: the presented key's verifier; ARGV[2]: now (Unix seconds); ARGV[3]: the
-- generation the caller saw before it read the key's row ('' on a first try); ARGV[4]: the
-- client's address, 32 hex digits of its IPv6 form ('' if it has none); then the
-- presented key's verifier under each of the FALLBACKS secrets (none without fallbacks);
-- then that row, FIELDS as text.
local presented, now, seen, address = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ROW = 4 + FALLBACKS  -- the row's first field is ARGV[ROW + 1]

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

-- IPv4 as it travels here: inside ::ffff:0:0/96.
local MAPPED = '00000000000000000000ffff'

-- Whether `address` is in one of `networks` ("<32 hex>/<prefix length>,..."; '': anywhere).
-- An IPv4 address is only in IPv4 networks (as in allowed_networks.is_allowed): an IPv6
-- range such as ::/0 also spans ::ffff:0:0/96, yet allows no IPv4 client.
local function allowed(networks, address)
  if networks == '' then return true end
  local v4 = string.sub(address, 1, 24) == MAPPED
  for hex, bits in string.gmatch(networks, '(%x+)/(%d+)') do
    bits = tonumber(bits)
    local whole = math.floor(bits / 4)
    local family = v4 == (bits >= 96 and string.sub(hex, 1, 24) == MAPPED)
    if address ~= '' and family
        and string.sub(hex, 1, whole) == string.sub(address, 1, whole) then
      local rest = bits - whole * 4
      if rest == 0 then return true end
      local unit = 2 ^ (4 - rest)
      local mine = tonumber(string.sub(hex, whole + 1, whole + 1), 16)
      local theirs = tonumber(string.sub(address, whole + 1, whole + 1), 16)
      if math.floor(mine / unit) == math.floor(theirs / unit) then return true end
    end
  end
  return false
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
  for i = 5, ROW do
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

if record.disabled_at ~= '' then return {'disabled', record.key_pk} end
if not allowed(record.allowed_networks, address) then
  local answer = {'address_not_allowed'}
  for _, field in ipairs(FIELDS) do answer[#answer + 1] = record[field] end
  return answer
end

-- The owner's budget and, if the key has one, its own limit ("<amount>/<seconds>/<text>"):
-- the request is counted in both or in neither.
local budget = BUDGETS[record.role]
if not budget then return redis.error_reply('no budget for role ' .. record.role) end
local names = {budget[1] .. record.user_id .. budget[2]}
local amounts, expiries = {budget[3]}, {budget[4]}
local amount, expiry = string.match(record.rate_limit, '^(%d+)/(%d+)/')
if amount then
  names[2] = KEY_BUDGET .. record.key_pk .. ':' .. amount .. '/' .. expiry
  amounts[2], expiries[2] = tonumber(amount), tonumber(expiry)
end
local charged = charge_all(names, SEQUENCE, now, amounts, expiries)
local granted = charged[1]
local touched = 0
if granted == 1 and redis.call('SET', KEYS[2], '1', 'NX', 'EX', TOUCH_SECONDS) then
  touched = 1
end
local answer = {'ok', granted, charged[2], charged[3], touched, charged[4] or '',
                charged[5] or ''}
for _, field in ipairs(FIELDS) do answer[#answer + 1] = record[field] end
return answer
