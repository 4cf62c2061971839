/**
 * The Lua scripts of the Redis chat bus (see redis-bus.ts for the key layout). Each runs
 * atomically in Redis; the room scripts read Redis's own clock (`TIME`), so deadlines do
 * not depend on the nodes' clocks.
 * @module
 */

const NOW_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: events, history:<room>, hbytes:<room>
 * ARGV: streamLength, event, isHistory, historyLimit, historyBytes, ttl + graceMs,
 *       notAfter (ms on Redis's clock, '0': none)
 * Returns the event's id, or nil when run after notAfter (Redis was hung meanwhile).
 * The history stream is trimmed exactly, oldest first, to both caps; hbytes counts
 * the bytes of the entries it holds (it expires with the room's other keys).
 */
export const PUBLISH_LUA = `
if ARGV[7] ~= '0' then
  ${NOW_LUA}
  -- The sender stopped waiting and was told "not sent": it must stay unsent.
  if now > tonumber(ARGV[7]) then return false end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
if ARGV[3] == '1' then
  local keep = redis.call('PTTL', KEYS[2])
  redis.call('XADD', KEYS[2], id, 'e', ARGV[2])
  local bytes = redis.call('INCRBY', KEYS[3], #ARGV[2])
  local lines = redis.call('XLEN', KEYS[2])
  local maxLines = tonumber(ARGV[4])
  local maxBytes = tonumber(ARGV[5])
  for i = 1, 10000 do
    if lines <= maxLines and bytes <= maxBytes then break end
    local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
    if oldest == nil then
      -- Empty: whatever the counter says (a foreign entry), it is 0 now.
      redis.call('SET', KEYS[3], 0)
      break
    end
    redis.call('XDEL', KEYS[2], oldest[1])
    local v = oldest[2][2]
    if type(v) == 'string' then bytes = redis.call('DECRBY', KEYS[3], #v) end
    lines = lines - 1
  end
  -- The room's keys expire with the room (a new key takes the full ttl + grace).
  if keep < 0 then keep = tonumber(ARGV[6]) end
  redis.call('PEXPIRE', KEYS[2], keep)
  redis.call('PEXPIRE', KEYS[3], keep)
end
return id`;

/**
 * KEYS: rooms, roomnodes:<room>, history:<room>, hbytes:<room>, topic:<room>
 * ARGV: room, nodeId, maxRooms (0: no cap), ttl, graceMs, force, the default room, prefix
 * At the cap, an empty room in its grace period is forgotten to make room.
 * Opens (or, with force=1 from the heartbeat, keeps) a room for this node.
 */
export const OPEN_ROOM_LUA = `${NOW_LUA}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ttl = tonumber(ARGV[4])
local keep = ttl + tonumber(ARGV[5])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and ARGV[6] ~= '1' then
  local max = tonumber(ARGV[3])
  local open = redis.call('ZCARD', KEYS[1])
  -- The default room (ARGV[7]) is always open and not counted.
  if redis.call('ZSCORE', KEYS[1], ARGV[7]) ~= false then open = open - 1 end
  if max > 0 and open >= max then
    -- Full: the empty room (no live node has members there) closest to its end, among
    -- the first few by deadline, gives its place. Its keys are named from the prefix
    -- (ARGV[8]): the eviction is decided here, atomically.
    local evicted = false
    for _, r in ipairs(redis.call('ZRANGE', KEYS[1], 0, 15)) do
      if r ~= ARGV[7] then
        local live = false
        local nodes = redis.call('HGETALL', ARGV[8] .. ':roomnodes:' .. r)
        for i = 2, #nodes, 2 do
          local deadline = tonumber(nodes[i])
          if deadline ~= nil and deadline > now then live = true break end
        end
        if not live then
          redis.call('ZREM', KEYS[1], r)
          redis.call('DEL', ARGV[8] .. ':roomnodes:' .. r, ARGV[8] .. ':history:' .. r,
            ARGV[8] .. ':hbytes:' .. r, ARGV[8] .. ':topic:' .. r)
          evicted = true
          break
        end
      end
    end
    if not evicted then return 0 end
  end
  -- A forgotten room starts afresh, even if a key outlived its deadline by a moment.
  redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
end
redis.call('ZADD', KEYS[1], 'GT', now + keep, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], now + ttl)
for i = 2, 5 do redis.call('PEXPIRE', KEYS[i], keep) end
return 1`;

/**
 * KEYS: rooms, roomnodes:<room>, history:<room>, hbytes:<room>, topic:<room>
 * ARGV: room, nodeId, graceMs
 * This node has no member left in the room; if no live node has, start the grace period.
 */
export const CLOSE_ROOM_LUA = `${NOW_LUA}
redis.call('HDEL', KEYS[2], ARGV[2])
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local deadline = tonumber(all[i + 1])
  if deadline ~= nil and deadline > now then return 0 end
  redis.call('HDEL', KEYS[2], all[i])
end
local grace = tonumber(ARGV[3])
if grace <= 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
  return 1
end
redis.call('ZADD', KEYS[1], 'XX', now + grace, ARGV[1])
for i = 2, 5 do redis.call('PEXPIRE', KEYS[i], grace) end
return 1`;

/** KEYS: rooms. Forgets the rooms past their deadline (run by every heartbeat). */
export const PRUNE_ROOMS_LUA = `${NOW_LUA}
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`;

export const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export const REFRESH_LUA = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** Raises the guest counter to at least ARGV[1] (after Redis restarted empty). */
export const ADVANCE_GUEST_LUA = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;
