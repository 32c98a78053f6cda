-- A lease held by one order instance at a time (the auto rooms' rate controller, auto-rooms.ts).
-- KEYS: the lease. ARGV: the holder's id, how long it lasts (ms). Taken when free, renewed by its holder: 1; 0 when
-- another holds it. SET NX PX and a renewal that cannot renew someone else's, in one step.
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
