-- Revoke one token, unless it is the last admin token and the caller keeps one.
-- Counting the admin tokens and deleting one happen in this one script, so two
-- revocations of the last two admin tokens cannot both see the other one still there.
-- KEYS[1]: tokens (SHA-256 of a token -> its record, JSON)
-- KEYS[2]: token ids (id -> SHA-256)
-- ARGV[1]: the token id; ARGV[2]: "1" to refuse revoking the last admin token
-- Returns 1 revoked, 0 no such token, -1 refused: it is the last admin token.
local hashed = redis.call('HGET', KEYS[2], ARGV[1])
if not hashed then
  return 0
end
if ARGV[2] == '1' then
  local record = redis.call('HGET', KEYS[1], hashed)
  if record and cjson.decode(record).role == 'admin' then
    local admins = 0
    for _, raw in ipairs(redis.call('HVALS', KEYS[1])) do
      if cjson.decode(raw).role == 'admin' then
        admins = admins + 1
      end
    end
    if admins <= 1 then
      return -1
    end
  end
end
redis.call('HDEL', KEYS[1], hashed)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
