-- Return holds to stock. Idempotent; a committed hold stays committed.
-- An unknown order id is barred (a RELEASED entry), so a reserve that arrives after its release holds nothing.
-- KEYS: sale, reservations, users, expiries   ARGV: orderIds   Answers one outcome per order, in order.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_LOADED'} end
local answers = {}
for i, orderId in ipairs(ARGV) do
  local raw = redis.call('HGET', KEYS[2], orderId)
  if not raw then
    redis.call('HSET', KEYS[2], orderId, cjson.encode({ s = 'RELEASED', u = '', q = 0, x = 0 }))
    answers[i] = 'NOT_FOUND'
  else
    local hold = cjson.decode(raw)
    if hold.s == 'HELD' then
      redis.call('HINCRBY', KEYS[1], 'held', -hold.q)
      redis.call('HINCRBY', KEYS[1], 'available', hold.q)
      if redis.call('HINCRBY', KEYS[3], hold.u, -hold.q) <= 0 then redis.call('HDEL', KEYS[3], hold.u) end
      hold.s = 'RELEASED'
      redis.call('HSET', KEYS[2], orderId, cjson.encode(hold))
      redis.call('ZREM', KEYS[4], orderId)
    end
    answers[i] = hold.s
  end
end
return answers
