-- One sale's waiting room (docs/contract.md §2, "The waiting room"), every step atomic on Redis's own clock, so
-- that any order instance may run it and none advances the serving counter twice.
-- KEYS: state, buyers, entries, prequeue, served (libs/contracts/src/order/room-keys.ts), one hash tag.
-- ARGV[1] is the step: open, pause, rate, stock, enter, look, status, peek. Answers start with 'ok', or 'closed' when the state is
-- gone (Redis lost the queue: the caller answers 503 WAITING_ROOM_CLOSED, never "admitted").
local state, buyers, entries, prequeue, served = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local step = ARGV[1]

-- Integers as Redis stores them: Lua's own tostring would write 1.7e+15 for a time in microseconds.
local function int(x)
  return string.format('%.0f', x)
end

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function num(key, field)
  return tonumber(redis.call('HGET', key, field) or '0')
end

-- The pre-queue is a sorted set: each entry scored by a random draw made in Node (crypto, ARGV of 'enter'), never by
-- Lua's math.random, which Redis 7 does not reseed: its sequence restarts the same on every Redis start. The scores
-- of pre-queue number g (state 'gen') lie in [g * DRAW, (g + 1) * DRAW), so a later pre-queue never mixes with one
-- already placed.
local DRAW = 1099511627776 -- 2^40: the scores' range, g * DRAW exact in a double for any g that matters

local function pre_queued(gen)
  return redis.call('ZCOUNT', prequeue, gen * DRAW, '(' .. int((gen + 1) * DRAW))
end

-- At the pre-queue's end (on the first step of any kind after it, or at once when `open` takes the end away) its entries take the next positions in the order
-- of their scores (every order equally likely, none predictable), ahead of later arrivals. Nothing is written per
-- entry: the pre-queue's first position is kept ('base:<g>') and an entry's own is read from its rank (position_of),
-- so that placing 100,000 entries does not block Redis.
-- A pre-queue whose end was taken away (open with no end, or one past) is placed at once, never stranded.
-- A room turned off ('offAt': when, on Redis's clock, step pause) is frozen until it is opened again: its counter
-- does not move and its pre-queue is not placed, whatever step an instance that still thinks it on takes.
local function paused()
  return num(state, 'offAt') > 0
end

-- The sale's stock as last read (step stock: inventory's ledger, every second), trusted until 'stockUntil' (µs,
-- Redis's clock). Past it, nothing is known and the room admits at its rate.
local function stock_of(now)
  if now >= num(state, 'stockUntil') then return 'unknown' end
  if num(state, 'stockAvailable') > 0 then return 'on_sale' end
  if num(state, 'stockHeld') > 0 then return 'all_held' end
  return 'sold_out'
end

-- Until when (µs, at most now) the counter stands for want of tickets: a trusted reading of none available. 0: it
-- does not. The time it stands is owed nothing, also when the reading lapses between two steps.
local function stands_until(now)
  if num(state, 'stockAvailable') > 0 then return 0 end
  return math.min(now, num(state, 'stockUntil'))
end

local function shuffle_if_due(now)
  if paused() then return end
  local until_ms = num(state, 'until')
  if until_ms > 0 and now < until_ms * 1000 then return end
  local gen = num(state, 'gen')
  local count = pre_queued(gen)
  if count == 0 then
    if until_ms > 0 then redis.call('HSET', state, 'until', '0') end
    return
  end
  local next = num(state, 'next')
  -- Nobody was waiting: the counter starts now, not when it last looked.
  if count > 0 and num(state, 'serving') >= next then redis.call('HSET', state, 'servedAt', int(now)) end
  redis.call('HSET', state, 'base:' .. int(gen), int(next), 'next', int(next + count), 'gen', int(gen + 1), 'until', '0')
end

-- An entry's position: given at entry, or its rank in a pre-queue placed already; 0 while its pre-queue waits.
local function position_of(id)
  local given = redis.call('HGET', entries, id .. ':position')
  if given then return tonumber(given) end
  local gen = tonumber(redis.call('HGET', entries, id .. ':gen') or '-1')
  if gen < 0 or gen >= num(state, 'gen') then return 0 end
  local rank = redis.call('ZRANK', prequeue, id) - redis.call('ZCOUNT', prequeue, '-inf', '(' .. int(gen * DRAW))
  return num(state, 'base:' .. int(gen)) + rank + 1
end

-- Runs no entry can still need: a run whose next one started an admission's length (`seconds`) ago or longer served
-- every position of its own before then, so each of their admissions has expired. Dropped, 64 at most a call; the
-- positions they covered (up to 'prunedTo', all served before 'prunedAt') are answered as served then: expired.
local function prune(now, seconds)
  local cutoff = now - seconds * 1000000
  local runs = redis.call('ZRANGE', served, 0, 64)
  local drop, to, at = 0, nil, nil
  for i = 2, #runs do
    local from, started = string.match(runs[i], '^(%d+):(%d+):')
    if tonumber(started) > cutoff then break end
    drop, to, at = i - 1, from, started
  end
  if drop == 0 then return end
  redis.call('ZREMRANGEBYRANK', served, 0, drop - 1)
  redis.call('HSET', state, 'prunedTo', to, 'prunedAt', at)
end

-- The serving counter moves rate a second since it last moved, never past the last position given: a room empty
-- for a while banks nothing, and its next arrivals wait their turn. The remainder of a second is kept.
-- Between two restarts (the room empty, or the rate changed: state 'run' back to 0) the counter moves in a straight
-- line; the first move of each such run records where it starts ('served', served_at), once: when a position was
-- served can be told afterwards, whoever looks and whenever. `seconds` (the admission's, when the step knows it):
-- runs older than that are pruned as a new one starts.
local function advance(now, seconds)
  local serving, next = num(state, 'serving'), num(state, 'next')
  if paused() then return serving end
  local rate, at = num(state, 'rate'), num(state, 'servedAt')
  if serving >= next or stands_until(now) >= now then
    redis.call('HSET', state, 'servedAt', int(now), 'run', '0')
    return serving
  end
  -- A stand that lapsed since the last step: the counter goes on from its end, on a new run.
  local stood = stands_until(now)
  if stood > at then
    at = stood
    redis.call('HSET', state, 'servedAt', int(at), 'run', '0')
  end
  local moves = math.floor((now - at) * rate / 1000000)
  if moves <= 0 then return serving end
  if num(state, 'run') == 0 then
    redis.call('ZREMRANGEBYSCORE', served, serving, serving)
    redis.call('ZADD', served, serving, int(serving) .. ':' .. int(at) .. ':' .. int(rate))
    if seconds and seconds > 0 then prune(now, seconds) end
  end
  local run = '1'
  if serving + moves >= next then
    serving, at, run = next, now, '0'
  else
    serving, at = serving + moves, at + math.floor(moves * 1000000 / rate)
  end
  redis.call('HSET', state, 'serving', int(serving), 'servedAt', int(at), 'run', run)
  return serving
end

-- When the counter served a position (µs): on the line of the run it was served in. At most now.
local function served_at(position, now)
  if position <= num(state, 'prunedTo') then return math.min(now, num(state, 'prunedAt')) end
  local run = redis.call('ZREVRANGEBYSCORE', served, '(' .. int(position), '-inf', 'LIMIT', 0, 1)[1]
  if not run then return now end
  local from, at, rate = string.match(run, '^(%d+):(%d+):(%d+)$')
  return math.min(now, tonumber(at) + math.ceil((position - tonumber(from)) * 1000000 / tonumber(rate)))
end

-- An admission's expiry (ms; whole seconds, as the token's exp claim has it), 0 for an entry not served: `seconds`
-- from when its position was served, not from when its buyer first looked, so that nobody banks a turn. Kept once
-- known.
local function expiry(id, position, serving, seconds, now)
  local exp = num(entries, id .. ':exp')
  if exp > 0 or position == 0 or position > serving then return exp end
  exp = (math.floor(served_at(position, now) / 1000000) + seconds) * 1000
  redis.call('HSET', entries, id .. ':exp', int(exp))
  return exp
end

-- What the caller needs to answer: the room's counters, and an entry's own fields.
local function answer_of(now, serving)
  return {
    'ok', int(serving), int(num(state, 'next')), int(num(state, 'rate')), int(num(state, 'until')),
    int(pre_queued(num(state, 'gen'))), redis.call('HGET', state, 'epoch'), int(math.floor(now / 1000)),
    stock_of(now),
  }
end

local function with_entry(answer, id, created)
  local position = int(position_of(id))
  local jti = redis.call('HGET', entries, id .. ':jti') or ''
  local exp = redis.call('HGET', entries, id .. ':exp') or '0'
  for _, v in ipairs({ id, int(created), position, jti, exp }) do
    answer[#answer + 1] = v
  end
  return answer
end

-- A new rate: served at the old rate up to now, at the new one from now on (the remainder of a second carried).
local function set_rate(now, rate, seconds)
  shuffle_if_due(now)
  advance(now, seconds)
  redis.call('HSET', state, 'rate', rate, 'run', '0')
end

-- Turned on again: served up to the moment it went off (pause did that), then on from now: the time it was off is
-- owed nothing, measured on Redis's clock alone. A new run starts (set_rate): the off time lies on no run's line.
local function resume(now, seconds)
  local off = num(state, 'offAt')
  if off == 0 then return end
  redis.call('HDEL', state, 'offAt')
  advance(off, seconds)
  -- A counter moved past the moment it went off (by an older room.lua that knows no pause) owes nothing from now.
  local at = math.min(num(state, 'servedAt'), off)
  redis.call('HSET', state, 'servedAt', int(at + math.max(0, now - off)), 'run', '0')
end

if step == 'open' then
  -- ARGV: rate, until (ms, 0: none), epoch (for a queue opened now), auto ('1': its rate is the controller's from now
  -- on, which goes on from the rate a queue open already has), the admission's seconds. A room paused (off) resumes
  -- first, its pre-queue placed after that. Answers the room's counters, its epoch among them.
  local now = now_us()
  if redis.call('EXISTS', state) == 0 then
    redis.call('HSET', state, 'epoch', ARGV[4], 'rate', ARGV[2], 'until', ARGV[3], 'next', '0', 'serving', '0',
      'servedAt', int(now), 'gen', '0', 'auto', ARGV[5])
  else
    local rate = ARGV[2]
    if ARGV[5] == '1' then rate = redis.call('HGET', state, 'rate') end
    resume(now, tonumber(ARGV[6]))
    set_rate(now, rate, tonumber(ARGV[6]))
    redis.call('HSET', state, 'until', ARGV[3], 'auto', ARGV[5])
  end
  shuffle_if_due(now)
  return answer_of(now, num(state, 'serving'))
end

if step == 'pause' then
  -- ARGV: the admission's seconds. The room turned off: served up to now, then frozen (offAt, Redis's clock) until
  -- open. Pausing a paused room keeps the first moment. 'closed' when the queue is gone (a room off needs none).
  if redis.call('EXISTS', state) == 0 then return { 'closed' } end
  local now = now_us()
  if not paused() then
    shuffle_if_due(now)
    advance(now, tonumber(ARGV[2]))
    redis.call('HSET', state, 'offAt', int(now))
  end
  return answer_of(now, num(state, 'serving'))
end

if step == 'rate' then
  -- ARGV: rate, the admission's seconds. The auto rate controller's: only for a room whose queue is open in auto
  -- (one set to a fixed rate since is left be); 'fixed' otherwise, 'closed' when the queue is gone.
  if redis.call('EXISTS', state) == 0 then return { 'closed' } end
  if redis.call('HGET', state, 'auto') ~= '1' then return { 'fixed' } end
  local now = now_us()
  -- A room off keeps its rate: the controller of an instance that still thinks it on steers nothing.
  if paused() then return answer_of(now, num(state, 'serving')) end
  if num(state, 'rate') ~= tonumber(ARGV[2]) then set_rate(now, ARGV[2], tonumber(ARGV[3])) end
  return answer_of(now, advance(now, tonumber(ARGV[3])))
end

if step == 'stock' then
  -- ARGV: tickets available, held, for how many seconds a reading is trusted, how long ago (µs) it was asked, the
  -- admission's seconds. Taken when it was asked, on Redis's clock (an instance's clock plays no part, only its
  -- measure of the time the answer took): a reading older than the room's is dropped, and trust runs from then.
  -- Served up to now under the reading before (a stand ends or starts now, owing nothing), then this one is the
  -- room's. 'closed' when the queue is gone.
  if redis.call('EXISTS', state) == 0 then return { 'closed' } end
  local now = now_us()
  local seconds = tonumber(ARGV[6])
  shuffle_if_due(now)
  local taken = now - tonumber(ARGV[5])
  if taken > num(state, 'stockAt') then
    advance(now, seconds)
    redis.call('HSET', state, 'stockAvailable', ARGV[2], 'stockHeld', ARGV[3], 'stockAt', int(taken),
      'stockUntil', int(taken + tonumber(ARGV[4]) * 1000000))
  end
  return answer_of(now, advance(now, seconds))
end

if step == 'peek' then
  -- The counters as they stand, nothing moved: a room that is off.
  if redis.call('EXISTS', state) == 0 then return { 'closed' } end
  local now = now_us()
  return answer_of(now, num(state, 'serving'))
end

if redis.call('EXISTS', state) == 0 then return { 'closed' } end
local now = now_us()
shuffle_if_due(now)
local serving = advance(now, tonumber(ARGV[5]))

if step == 'status' then return answer_of(now, serving) end

if step == 'enter' then
  -- ARGV: buyer, a new entry id, its draw (a random integer below 2^40, for the pre-queue), the admission's seconds.
  -- One entry per buyer; one whose admission has expired (looked at or not) gives way to a new one.
  local buyer = ARGV[2]
  local id = redis.call('HGET', buyers, buyer)
  local exp = 0
  if id then
    exp = expiry(id, position_of(id), serving, tonumber(ARGV[5]), now)
    if exp > 0 and exp * 1000 <= now then id = nil end
  end
  -- Sold out: no entry is made, and one whose turn has not come is not answered: there will be no turn. One whose
  -- turn came (its admission live) is answered as ever.
  if stock_of(now) == 'sold_out' and not (id and exp > 0) then return { 'sold_out' } end
  if id then return with_entry(answer_of(now, serving), id, 0) end
  id = ARGV[3]
  redis.call('HSET', buyers, buyer, id)
  -- When it was made (ms): its wait, once admitted, is counted from here (boxoffice_waiting_room_wait_seconds).
  redis.call('HSET', entries, id .. ':buyer', buyer, id .. ':at', int(math.floor(now / 1000)))
  if num(state, 'until') > 0 then
    local gen = num(state, 'gen')
    redis.call('ZADD', prequeue, int(gen * DRAW + tonumber(ARGV[4])), id)
    redis.call('HSET', entries, id .. ':gen', int(gen))
  else
    redis.call('HSET', entries, id .. ':position', int(redis.call('HINCRBY', state, 'next', 1)))
  end
  return with_entry(answer_of(now, serving), id, 1)
end

if step == 'look' then
  -- ARGV: entry id, its buyer ('' for anyone: no buyer tokens), a jti and the admission's seconds, for an entry
  -- admitted now. Once admitted an entry keeps its jti and expiry: asking again signs the same token. An entry served
  -- longer ago than the admission lasts gets no jti: its expiry, past, says so. The answer ends with the owner, '1'
  -- when the jti was given now (first issue: counted once, whoever looks again) and when the entry was made (ms,
  -- '0' for one made before that was kept).
  local id, buyer = ARGV[2], ARGV[3]
  local owner = redis.call('HGET', entries, id .. ':buyer')
  if not owner or (buyer ~= '' and owner ~= buyer) then return { 'none' } end
  local exp = expiry(id, position_of(id), serving, tonumber(ARGV[5]), now)
  local issued = '0'
  if exp * 1000 > now and not redis.call('HGET', entries, id .. ':jti') then
    redis.call('HSET', entries, id .. ':jti', ARGV[4])
    issued = '1'
  end
  local answer = with_entry(answer_of(now, serving), id, 0)
  answer[#answer + 1] = owner
  answer[#answer + 1] = issued
  answer[#answer + 1] = redis.call('HGET', entries, id .. ':at') or '0'
  return answer
end

return redis.error_reply('room.lua: unknown step ' .. tostring(step))
