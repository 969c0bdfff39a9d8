-- Admit one API request in one round trip: the key's cached record, its owner's, and the
-- owner's budget. Run by app/api/gate/redis_gate.py, which documents KEYS and ARGV.
-- limits' own moving-window scripts are pasted in as the two functions below (each takes
-- its own KEYS and ARGV), so the budget is counted exactly as limits counts it.

local function acquire(KEYS, ARGV)
--[[ limits: acquire_moving_window.lua ]]
end

local function window(KEYS, ARGV)
--[[ limits: moving_window.lua ]]
end

local KEY_FIELDS = {'pk', 'uid', 'name', 'ver', 'rev', 'exp', 'acc'}
local USER_FIELDS = {'email', 'role', 'act'}
local ROLES_AT, ROLE_WIDTH = 8, 5
local GIVEN_AT = ROLES_AT + ROLE_WIDTH * tonumber(ARGV[7])

local user_prefix, presented, now = ARGV[1], ARGV[2], ARGV[3]
local touch_key, touch_seconds, record_seconds = ARGV[4], ARGV[5], ARGV[6]

-- A stored record, 'stale' for a tombstone (a change was just made: ask the database), or nil.
local function stored(key, names)
  local values = redis.call('HMGET', key, 'stale', unpack(names))
  if values[1] then return 'stale' end
  if not values[2] then return nil end
  local record = {}
  for i, name in ipairs(names) do record[name] = values[i + 1] end
  return record
end

-- The record the caller read from the database and passed after the fixed arguments, or nil.
local function given(first, names)
  if #ARGV < first + #names - 1 then return nil end
  local record = {}
  for i, name in ipairs(names) do record[name] = ARGV[first + i - 1] end
  return record
end

-- The stored record; else the given one, kept for next time unless a tombstone says a
-- change is under way (then the database's answer serves this request only).
local function resolve(key, names, first)
  local record = stored(key, names)
  if type(record) == 'table' then return record end
  local fresh = given(first, names)
  if fresh and record == nil then
    local flat = {}
    for _, name in ipairs(names) do
      flat[#flat + 1] = name
      flat[#flat + 1] = fresh[name]
    end
    redis.call('HSET', key, unpack(flat))
    redis.call('EXPIRE', key, record_seconds)
  end
  return fresh
end

local key = resolve(KEYS[1], KEY_FIELDS, GIVEN_AT)
if not key then return {'miss'} end
local user = resolve(user_prefix .. key.uid, USER_FIELDS, GIVEN_AT + #KEY_FIELDS)
if not user then return {'miss'} end

if key.rev == '1' then return {'revoked', key.pk} end
if user.act ~= '1' then return {'inactive_user', key.pk} end
-- The verifier: "<secret id>:<hmac>". Made under another secret (or none): only bcrypt can tell.
local tag = string.sub(presented, 1, string.find(presented, ':', 1, true))
if key.ver == '' or string.sub(key.ver, 1, #tag) ~= tag then return {'unverified', key.pk} end
if key.ver ~= presented then return {'wrong_secret', key.pk} end
if key.exp ~= '' and tonumber(now) >= tonumber(key.exp) then return {'expired', key.pk} end

local head, tail, amount, expiry
for i = ROLES_AT, GIVEN_AT - 1, ROLE_WIDTH do
  if ARGV[i] == user.role then
    head, tail, amount, expiry = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  end
end
if not head then return redis.error_reply('no budget for role ' .. user.role) end
local budget = head .. key.uid .. tail
local acquired = acquire({budget}, {now, amount, expiry, 1}) and 1 or 0
local found = window({budget}, {tonumber(now) - tonumber(expiry), amount})
local oldest, count = '', 0
if found then oldest, count = found[1], found[2] end
local touched = redis.call('SET', touch_key, '1', 'NX', 'EX', touch_seconds) and 1 or 0
return {'ok', acquired, oldest, count, touched,
         key.pk, key.uid, key.name, user.email, user.role, key.acc}
