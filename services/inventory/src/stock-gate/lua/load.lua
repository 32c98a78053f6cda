-- Rebuild one sale from the Postgres ledger; a no-op when the sale is already loaded.
-- KEYS: sale, reservations, users, expiries
-- ARGV: totalStock, perUserLimit, unitPrice, currency, reservations as JSON [{o,s,u,q,x}]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
local held, sold = 0, 0
for _, r in ipairs(cjson.decode(ARGV[5])) do
  redis.call('HSET', KEYS[2], r.o, cjson.encode({ s = r.s, u = r.u, q = r.q, x = r.x }))
  if r.s == 'HELD' then
    held = held + r.q
    redis.call('ZADD', KEYS[4], r.x, r.o)
  elseif r.s == 'COMMITTED' then
    sold = sold + r.q
  end
  if r.s ~= 'RELEASED' then redis.call('HINCRBY', KEYS[3], r.u, r.q) end
end
local total = tonumber(ARGV[1])
-- The sale hash is written last: its existence is what tells the other scripts the sale is loaded.
redis.call('HSET', KEYS[1], 'totalStock', total, 'available', total - held - sold, 'held', held, 'sold', sold,
  'perUserLimit', ARGV[2], 'unitPrice', ARGV[3], 'currency', ARGV[4])
return 1
