-- Append events to several aggregate streams and the global log, all or nothing: every
-- stream's expected head (and idempotency record) is checked before anything is written.
-- Loaded with streams.lua in front of it. All keys carry the log's hash tag, so one
-- script may touch them all, on Redis Cluster too.
-- KEYS: 1 global log, 2 heads hash, then per stream its key, then its idempotency
--       record's key if its flags say 'i'.
-- ARGV: 1 the idempotency records' ttl in seconds, then per stream: its name, a header
--       "expected stream head|new stream head|first version|number of events|flags"
--       (heads are "version:hash", '' = empty stream; flags 'i': an idempotency record
--       follows), the idempotency record if flagged, then the encoded events.
-- Returns {'ok', first position of each stream's events...} |
-- {'dup', index of the first stream whose idempotency record exists} |
-- {'conflict', index of the first stream not at its expected head, its actual head}.
-- Sending the same appends twice commits them once: the second send finds every stream
-- already at the head the first made, and answers as the first did.
local streams = {}
local key, arg = 3, 2
while arg <= #ARGV do
  local s = {name = ARGV[arg], key = KEYS[key]}
  s.expected, s.new, s.first, s.n, s.flags =
    string.match(ARGV[arg + 1], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  s.n = tonumber(s.n)
  key, arg = key + 1, arg + 2
  if string.find(s.flags, 'i', 1, true) then
    s.idem_key, s.record = KEYS[key], ARGV[arg]
    key, arg = key + 1, arg + 1
  end
  s.from = arg
  arg = arg + s.n
  streams[#streams + 1] = s
end
for i, s in ipairs(streams) do
  local existing = s.idem_key and redis.call('GET', s.idem_key)
  if existing then
    redis.call('SET', s.idem_key, existing, 'KEEPTTL')  -- for a WAIT, as in append.lua
    return {'dup', i}
  end
end
local resent = {'ok'}
local fresh = 0
for i, s in ipairs(streams) do
  local refusal = head_refusal(KEYS[2], s.key, s.name, s.expected, s.new, s.first)
  if refusal == nil then
    fresh = fresh + 1
  elseif refusal[1] == 'ok' then
    resent[#resent + 1] = refusal[2]
  else
    return {'conflict', i, refusal[2]}
  end
end
if fresh < #streams then
  if fresh == 0 then
    return resent
  end
  for i, s in ipairs(streams) do  -- only some were appended already: not by this send
    local head = redis.call('HGET', KEYS[2], s.name) or ''
    if head ~= s.expected then
      return {'conflict', i, head}
    end
  end
end
local reply = {'ok'}
local last = last_position(KEYS[2])
for _, s in ipairs(streams) do
  reply[#reply + 1] = string.format('%d', last + 1)
  last = add_events(s.key, KEYS[1], KEYS[2], s.name, s.new, s.first, last, s.from, s.n)
  if s.idem_key then
    redis.call('SET', s.idem_key, s.record, 'EX', tonumber(ARGV[1]))
  end
end
return reply
