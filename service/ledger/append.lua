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
-- this append makes and answers 'ok' with the first event's position, as the first send
-- did (head_refusal in streams.lua, which is loaded in front of this script).
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
local refusal = head_refusal(KEYS[3], KEYS[1], ARGV[1], expected, new, first)
if refusal then
  return refusal
end
local last = last_position(KEYS[3])
if wanted ~= '' and tonumber(wanted) ~= last + 1 then
  return {'moved', string.format('%d', last)}
end
add_events(KEYS[1], KEYS[2], KEYS[3], ARGV[1], new, first, last, events_from, #ARGV - events_from + 1)
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
