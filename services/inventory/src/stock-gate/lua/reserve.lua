-- Hold stock for one order, atomically: idempotent by orderId, per-user limit checked in the same step.
-- KEYS: sale, reservations, users, expiries   ARGV: orderId, userId, quantity, ttlMs
-- The expiry is on Redis's clock, never an instance's (the ledger's own expiry is on Postgres's clock).
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_LOADED'} end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return {'EXISTS', existing} end
local quantity = tonumber(ARGV[3])
local limit = tonumber(redis.call('HGET', KEYS[1], 'perUserLimit'))
local mine = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0')
if limit > 0 and mine + quantity > limit then return {'PURCHASE_LIMIT_EXCEEDED'} end
if tonumber(redis.call('HGET', KEYS[1], 'available')) < quantity then return {'SOLD_OUT'} end
redis.call('HINCRBY', KEYS[1], 'available', -quantity)
redis.call('HINCRBY', KEYS[1], 'held', quantity)
redis.call('HINCRBY', KEYS[3], ARGV[2], quantity)
local now = redis.call('TIME')
local expiresAt = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[4])
local hold = cjson.encode({ s = 'HELD', u = ARGV[2], q = quantity, x = expiresAt })
redis.call('HSET', KEYS[2], ARGV[1], hold)
redis.call('ZADD', KEYS[4], expiresAt, ARGV[1])
return {'HELD', hold}
