-- Shared by append.lua and append_all.lua, which are loaded with this text in front of
-- them (eventstore.script): one copy of the steps that keep a stream, the global log and
-- the heads hash in step.

-- Nil if the stream is at the head an append expects ('' = empty stream); otherwise
-- the reply for it: {'ok', first position, 0} when the stream is already at the head
-- the append makes (the same append sent twice: its hash covers the events' ids, so
-- no other append can make it), else {'conflict', actual stream head}. The 'ok' rewrites
-- the head as it is: a write of this connection, so that a WAIT sent after the script
-- counts the replicas that have the earlier send too.
local function head_refusal(heads_key, stream_key, name, expected, new, first)
  local stream_head = redis.call('HGET', heads_key, name) or ''
  if stream_head == expected then
    return nil
  end
  if stream_head == new then
    redis.call('HSET', heads_key, name, new)
    local entry = redis.call('XRANGE', stream_key, first .. '-0', first .. '-0')[1]
    return {'ok', entry[2][4], 0}
  end
  return {'conflict', stream_head}
end

-- The last global position given out ('$position' in the heads hash).
local function last_position(heads_key)
  return tonumber(redis.call('HGET', heads_key, '$position') or '0')
end

-- Add the n encoded events ARGV[from], ARGV[from + 1], ... to the stream (versions
-- from `first`) and to the global log (positions after `last`), and move the stream's
-- head to `new` and '$position' to the last position given. Returns that position.
local function add_events(stream_key, log_key, heads_key, name, new, first, last, from, n)
  local version = tonumber(first)
  for i = 1, n do
    local encoded = ARGV[from + i - 1]
    local position = string.format('%d', last + i)
    redis.call('XADD', stream_key, string.format('%d-0', version + i - 1), 'e', encoded, 'p', position)
    redis.call('XADD', log_key, position .. '-0', 'e', encoded)
  end
  redis.call('HSET', heads_key, name, new, '$position', string.format('%d', last + n))
  return last + n
end
