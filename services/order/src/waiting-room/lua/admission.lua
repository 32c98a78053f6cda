-- An admission token spent by the order it buys (docs/contract.md §2, "Admission tokens").
-- KEYS: the room's state, the token's spent record (libs/contracts/src/order/room-keys.ts), one hash tag.
-- ARGV[1] is the step: spend (ARGV: epoch, spender, exp in ms) or give-back (ARGV: spender).
-- The spender is 'k:' .. the order's Idempotency-Key, or '-' without one: a retry with the same key passes.
local state, spent = KEYS[1], KEYS[2]
local step = ARGV[1]

if step == 'spend' then
  if redis.call('EXISTS', state) == 0 then return 'closed' end
  -- A token of a queue opened before Redis lost it: its spent record may have gone with it.
  if redis.call('HGET', state, 'epoch') ~= ARGV[2] then return 'stale' end
  if redis.call('SET', spent, ARGV[3], 'NX', 'PXAT', ARGV[4]) then return 'taken' end
  if ARGV[3] ~= '-' and redis.call('GET', spent) == ARGV[3] then return 'again' end
  return 'spent'
end

if step == 'give-back' then
  if redis.call('GET', spent) == ARGV[2] then redis.call('DEL', spent) end
  return 'ok'
end

return redis.error_reply('admission.lua: unknown step ' .. tostring(step))
