-- Commit a batch of pending appends planned by the group committer, atomically.
-- KEYS: 1 global log, 2 heads hash, 3 pending list, 4 committer lease, 5.. keys the plan
--       names by index (aggregate streams, idempotency records, children lists, replies).
-- ARGV: 1 the plan (JSON, see group_commit.py), 2 the committer's lease token.
local plan = cjson.decode(ARGV[1])
local taken = #plan.ids
-- The pending list must still start with exactly the requests this plan answers.
if taken > 0 then
  local head = redis.call('LRANGE', KEYS[3], 0, taken - 1)
  if #head ~= taken then return {'stale'} end
  for i = 1, taken do
    if string.sub(head[i], 1, #plan.ids[i] + 1) ~= plan.ids[i] .. '|' then
      return {'stale'}
    end
  end
end
-- Compare-and-set every head the plan builds on, and every idempotency key it uses.
if (redis.call('HGET', KEYS[2], '$global') or '') ~= plan.global[1] then return {'moved'} end
for _, s in ipairs(plan.streams) do
  if (redis.call('HGET', KEYS[2], s[1]) or '') ~= s[2] then return {'moved'} end
end
for _, i in ipairs(plan.idempotency) do
  if redis.call('EXISTS', KEYS[i[1]]) == 1 then return {'moved'} end
end
for _, e in ipairs(plan.events) do
  redis.call('XADD', KEYS[e[1]], e[2] .. '-0', 'e', e[4])
  redis.call('XADD', KEYS[1], e[3] .. '-0', 'e', e[4])
end
for _, s in ipairs(plan.streams) do
  if s[3] ~= s[2] then redis.call('HSET', KEYS[2], s[1], s[3]) end
end
if plan.global[2] ~= plan.global[1] then
  redis.call('HSET', KEYS[2], '$global', plan.global[2])
end
for _, i in ipairs(plan.idempotency) do
  redis.call('SET', KEYS[i[1]], i[2], 'EX', plan.ttl)
end
for _, c in ipairs(plan.children) do
  redis.call('RPUSH', KEYS[c[1]], c[2])
end
for _, r in ipairs(plan.replies) do
  redis.call('RPUSH', KEYS[r[1]], r[2])
  redis.call('EXPIRE', KEYS[r[1]], 30)
end
if taken > 0 then redis.call('LTRIM', KEYS[3], taken, -1) end
if redis.call('GET', KEYS[4]) == ARGV[2] then
  if redis.call('LLEN', KEYS[3]) == 0 then
    redis.call('DEL', KEYS[4])
    return {'ok', 'released'}
  end
  redis.call('PEXPIRE', KEYS[4], plan.lease_ms)
  return {'ok', 'more'}
end
-- The lease ran out and another client commits now: leave the queue to it.
return {'ok', 'lost'}
