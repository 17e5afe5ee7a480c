-- Grow the Merkle tree: store the complete subtrees a run of sealed events completes.
-- KEYS: 1 the tree hash
-- ARGV: 1 the size this run extends, 2 the new size, 3.. field, hash, field, hash, ...
-- Returns 1, or 0 if another process grew the tree first (nothing written).
if (redis.call('HGET', KEYS[1], 'size') or '0') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('HSET', KEYS[1], 'size', ARGV[2])
return 1
