"""A deployment from before the one-tag key scheme keeps its tokens and read models: the
bootstrap moves them under the log's hash tag once, and never again."""

from __future__ import annotations

import redis

from service.bootstrap import bootstrap
from service.ledger.keys import Keys
from service.ledger.rekey import move_legacy_keys
from service.runtime.config import Config


def test_every_key_of_a_deployment_shares_one_hash_tag() -> None:
    keys = Keys("ministry")
    named = [keys.log, keys.heads, keys.stream("milestone-1"), keys.idempotency("t", "k")]
    named += [keys.read_model("generations"), keys.tokens, keys.admin("subscriptions")]
    named += [keys.projector_wake, keys.ratelimit, keys.scheme_marker]
    assert {name.split("}", 1)[0] + "}" for name in named} == {"{ministry}"}


def test_legacy_keys_are_moved_once_and_a_newer_key_wins(redis_client: redis.Redis) -> None:
    keys = Keys("rt")
    redis_client.hset("{rt:admin}:tokens", "hash-of-a-token", "{}")
    redis_client.set("{rt:rm}:g0:milestones:checkpoint", "41")
    redis_client.set("{rt:rm}:generations", "old")
    redis_client.set(keys.read_model("generations"), "new")  # written by this version
    redis_client.set("{other:admin}:tokens", "another deployment's")

    assert move_legacy_keys(redis_client, keys) == 2
    assert redis_client.hgetall(keys.tokens) == {"hash-of-a-token": "{}"}
    assert redis_client.get(keys.read_model("g0:milestones:checkpoint")) == "41"
    assert redis_client.get(keys.read_model("generations")) == "new"
    assert redis_client.get("{other:admin}:tokens") == "another deployment's"
    # Marked done: a later start does not scan again, whatever it would find.
    redis_client.set("{rt:rm}:late", "x")
    assert move_legacy_keys(redis_client, keys) == 0
    assert redis_client.get("{rt:rm}:late") == "x"


def test_the_bootstrap_moves_them_so_an_old_token_still_works(
    redis_client: redis.Redis, config: Config
) -> None:
    issued = bootstrap(config, client=redis_client)
    plaintext = issued.tokens.create("viewer", None, "before the move")[0]
    keys = Keys(config.key_prefix)
    for new, old in [(keys.tokens, "{rt:admin}:tokens")] + [
        (name, name.replace("{rt}:admin", "{rt:admin}"))
        for name in redis_client.scan_iter(match="{rt}:admin:*")
    ]:
        if redis_client.exists(new):
            redis_client.rename(new, old)
    redis_client.delete(keys.scheme_marker)
    assert bootstrap(config, client=redis_client).tokens.authenticate(plaintext) is not None
