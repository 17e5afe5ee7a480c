-- Append events to one aggregate stream and the global log, atomically.
-- KEYS: 1 stream, 2 global log, 3 heads hash, 4 idempotency record, 5 children list,
--       6 (optional) the group committer's lease: while it is held, appends queue for it
-- ARGV: 1 stream name, 2 expected stream head, 3 expected global head,
--       4 new stream head, 5 new global head, 6 idempotency record ('' = none),
--       7 idempotency ttl seconds, 8 child to register ('' = none),
--       9 first version, 10 first position, 11 n, 12.. n encoded events
-- Heads are "version:hash" / "position:hash"; '' means an empty stream or log.
if ARGV[6] ~= '' then
  local existing = redis.call('GET', KEYS[4])
  if existing then
    return {'dup', existing}
  end
end
local stream_head = redis.call('HGET', KEYS[3], ARGV[1]) or ''
local global_head = redis.call('HGET', KEYS[3], '$global') or ''
if KEYS[6] and redis.call('EXISTS', KEYS[6]) == 1 then
  return {'moved', stream_head, global_head}
end
if stream_head ~= ARGV[2] then
  return {'conflict', stream_head, global_head}
end
if global_head ~= ARGV[3] then
  return {'moved', stream_head, global_head}
end
local version = tonumber(ARGV[9])
local position = tonumber(ARGV[10])
local n = tonumber(ARGV[11])
for i = 1, n do
  local encoded = ARGV[11 + i]
  redis.call('XADD', KEYS[1], (version + i - 1) .. '-0', 'e', encoded)
  redis.call('XADD', KEYS[2], (position + i - 1) .. '-0', 'e', encoded)
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4], '$global', ARGV[5])
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[4], ARGV[6], 'EX', tonumber(ARGV[7]))
end
if ARGV[8] ~= '' then
  redis.call('RPUSH', KEYS[5], ARGV[8])
end
return {'ok'}
