-- Hold stock for orders, atomically: idempotent by orderId, per-user limit checked in the same step.
-- KEYS: sale, reservations, users, expiries   ARGV: orderId, userId, quantity, ttlMs, then as many more such fours
-- Answers a kind and a hold (or '') per order, in order; one call of one order is the single reserve.
-- The expiry is on Redis's clock, never an instance's (the ledger's own expiry is on Postgres's clock).
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_LOADED'} end
local limit = tonumber(redis.call('HGET', KEYS[1], 'perUserLimit'))
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local answers = {}
for i = 1, #ARGV, 4 do
  local orderId, userId, quantity = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local existing = redis.call('HGET', KEYS[2], orderId)
  local mine = tonumber(redis.call('HGET', KEYS[3], userId) or '0')
  if existing then
    answers[#answers + 1], answers[#answers + 2] = 'EXISTS', existing
  elseif limit > 0 and mine + quantity > limit then
    answers[#answers + 1], answers[#answers + 2] = 'PURCHASE_LIMIT_EXCEEDED', ''
  elseif tonumber(redis.call('HGET', KEYS[1], 'available')) < quantity then
    answers[#answers + 1], answers[#answers + 2] = 'SOLD_OUT', ''
  else
    redis.call('HINCRBY', KEYS[1], 'available', -quantity)
    redis.call('HINCRBY', KEYS[1], 'held', quantity)
    redis.call('HINCRBY', KEYS[3], userId, quantity)
    local expiresAt = nowMs + tonumber(ARGV[i + 3])
    local hold = cjson.encode({ s = 'HELD', u = userId, q = quantity, x = expiresAt })
    redis.call('HSET', KEYS[2], orderId, hold)
    redis.call('ZADD', KEYS[4], expiresAt, orderId)
    answers[#answers + 1], answers[#answers + 2] = 'HELD', hold
  end
end
return answers
