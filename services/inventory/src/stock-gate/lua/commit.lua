-- Turn holds into sales. Idempotent; a released hold stays released.
-- KEYS: sale, reservations, users, expiries   ARGV: orderIds   Answers one outcome per order, in order.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_LOADED'} end
local answers = {}
for i, orderId in ipairs(ARGV) do
  local raw = redis.call('HGET', KEYS[2], orderId)
  if not raw then
    answers[i] = 'NOT_FOUND'
  else
    local hold = cjson.decode(raw)
    if hold.s == 'HELD' then
      redis.call('HINCRBY', KEYS[1], 'held', -hold.q)
      redis.call('HINCRBY', KEYS[1], 'sold', hold.q)
      hold.s = 'COMMITTED'
      redis.call('HSET', KEYS[2], orderId, cjson.encode(hold))
      redis.call('ZREM', KEYS[4], orderId)
    end
    answers[i] = hold.s
  end
end
return answers
