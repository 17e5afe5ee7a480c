-- Seal the next run of the global log: store the global chain hash of each position.
-- KEYS: 1 heads hash, 2 seals hash
-- ARGV: 1 the sealed head this run extends ('' = none yet), 2 the new sealed head,
--       3.. position, global hash, position, global hash, ...
-- Returns 1, or 0 if another sealer moved the sealed head first (nothing written).
if (redis.call('HGET', KEYS[1], '$sealed') or '') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('HSET', KEYS[1], '$sealed', ARGV[2])
return 1
