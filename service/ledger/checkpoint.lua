-- Keep a signed checkpoint: at most one per tree size, never replaced.
-- KEYS: 1 hash size -> "issued-at\nnote", 2 sorted set of sizes
-- ARGV: 1 tree size, 2 the stored value
-- Returns 1 when stored, 0 when this size already has a checkpoint (nothing written).
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
return 1
