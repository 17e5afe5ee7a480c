-- Append events to one aggregate stream and the global log, atomically.
-- KEYS: 1 stream, 2 global log, 3 heads hash, then the idempotency record if the header
--       says 'i', then the children list if it says 'c', then the wake flag if it says 'w'.
-- ARGV: 1 stream name,
--       2 header "expected stream head|new stream head|first version|position|ttl|flags|
--         wake ms":
--         heads are "version:hash" ('' = empty stream); position is the global position
--         the first event must get ('' = the next one: only an import that replays
--         positions sets it); ttl is the idempotency record's, in seconds; flags hold 'i'
--         (idempotency record follows), 'c' (register the stream as a child) and 'w' (set
--         the wake flag for wake ms unless it is set: a projector job is due),
--       3 the idempotency record if flagged, then the encoded events.
-- Few, packed arguments on purpose: every argument costs the client and Redis time.
-- The heads hash also holds '$position', the last global position given out, so the
-- script numbers the events itself and appends to different streams never wait for each
-- other. Returns {'ok', first position, 1 if it set the wake flag else 0} |
-- {'dup', idempotency record} |
-- {'conflict', actual stream head} | {'moved', last position}.
-- Sending the same append twice commits it once (a client may be set to resend a
-- command whose reply was lost): the second send finds the stream already at the head
-- this append makes (its hash covers the events' ids, so no other append can make it)
-- and answers 'ok' with the first event's position, as the first send did.
-- Both answers that report events committed by an earlier send ('dup', and 'ok' on a
-- resend) rewrite a value as it is: a write of this connection, so that a WAIT sent after
-- the script counts the replicas that have the earlier send too.
local expected, new, first, wanted, ttl, flags, wake_ms =
  string.match(ARGV[2], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
local idempotent = string.find(flags, 'i', 1, true) ~= nil
local child = string.find(flags, 'c', 1, true) ~= nil
local wake = string.find(flags, 'w', 1, true) ~= nil
local idem_key = idempotent and KEYS[4] or nil
local children_key = child and KEYS[idempotent and 5 or 4] or nil
local events_from = idempotent and 4 or 3
if idempotent then
  local existing = redis.call('GET', idem_key)
  if existing then
    redis.call('SET', idem_key, existing, 'KEEPTTL')
    return {'dup', existing}
  end
end
local stream_head = redis.call('HGET', KEYS[3], ARGV[1]) or ''
if stream_head ~= expected then
  if stream_head == new then
    redis.call('HSET', KEYS[3], ARGV[1], new)
    local entry = redis.call('XRANGE', KEYS[1], first .. '-0', first .. '-0')[1]
    return {'ok', entry[2][4], 0}
  end
  return {'conflict', stream_head}
end
local last = tonumber(redis.call('HGET', KEYS[3], '$position') or '0')
if wanted ~= '' and tonumber(wanted) ~= last + 1 then
  return {'moved', string.format('%d', last)}
end
local version = tonumber(first)
local n = #ARGV - events_from + 1
for i = 1, n do
  local encoded = ARGV[events_from + i - 1]
  local position = string.format('%d', last + i)
  redis.call('XADD', KEYS[1], string.format('%d-0', version + i - 1), 'e', encoded, 'p', position)
  redis.call('XADD', KEYS[2], position .. '-0', 'e', encoded)
end
redis.call('HSET', KEYS[3], ARGV[1], new, '$position', string.format('%d', last + n))
if idempotent then
  redis.call('SET', idem_key, ARGV[3], 'EX', tonumber(ttl))
end
if child then
  redis.call('RPUSH', children_key, ARGV[1])
end
local woke = 0
if wake and redis.call('SET', KEYS[#KEYS], '1', 'NX', 'PX', tonumber(wake_ms)) then
  woke = 1
end
return {'ok', string.format('%d', last + 1), woke}
