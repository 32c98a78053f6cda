-- Return a hold to stock. Idempotent; a committed hold stays committed.
-- An unknown order id is barred (a RELEASED entry), so a reserve that arrives after its release holds nothing.
-- KEYS: sale, reservations, users, expiries   ARGV: orderId
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_LOADED'} end
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then
  redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({ s = 'RELEASED', u = '', q = 0, x = 0 }))
  return {'NOT_FOUND'}
end
local hold = cjson.decode(raw)
if hold.s ~= 'HELD' then return {hold.s} end
redis.call('HINCRBY', KEYS[1], 'held', -hold.q)
redis.call('HINCRBY', KEYS[1], 'available', hold.q)
if redis.call('HINCRBY', KEYS[3], hold.u, -hold.q) <= 0 then redis.call('HDEL', KEYS[3], hold.u) end
hold.s = 'RELEASED'
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(hold))
redis.call('ZREM', KEYS[4], ARGV[1])
return {'RELEASED'}
