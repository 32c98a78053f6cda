-- An admission token spent by the order it buys (docs/contract.md §2, "Admission tokens").
-- KEYS: the room's state, the token's spent record (libs/contracts/src/order/room-keys.ts), one hash tag.
-- ARGV[1] is the step: spend (ARGV: epoch, spender, exp in ms) or give-back (ARGV: spender).
-- The spender is 'k:' .. the order's Idempotency-Key, or '-' without one: a retry with the same key passes.
local state, spent = KEYS[1], KEYS[2]
local KEPT_AFTER_EXP_MS = 300000
local step = ARGV[1]

if step == 'spend' then
  if redis.call('EXISTS', state) == 0 then return 'closed' end
  -- A token of a queue opened before Redis lost it: its spent record may have gone with it.
  if redis.call('HGET', state, 'epoch') ~= ARGV[2] then return 'stale' end
  -- Expired on Redis's clock, whatever the caller's says: SET ... PXAT a time past answers OK and keeps nothing, so
  -- an instance whose clock lags would spend such a token again and again.
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) >= tonumber(ARGV[4]) then return 'expired' end
  -- Kept a while past the token's exp: clocks apart by less than that cannot make it spendable again.
  if redis.call('SET', spent, ARGV[3], 'NX', 'PXAT', string.format('%.0f', tonumber(ARGV[4]) + KEPT_AFTER_EXP_MS)) then
    return 'taken'
  end
  if ARGV[3] ~= '-' and redis.call('GET', spent) == ARGV[3] then return 'again' end
  return 'spent'
end

if step == 'give-back' then
  if redis.call('GET', spent) == ARGV[2] then redis.call('DEL', spent) end
  return 'ok'
end

return redis.error_reply('admission.lua: unknown step ' .. tostring(step))
