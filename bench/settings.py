"""How long and how often to measure; quick mode exists so the harness never rots."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    redis_url: str
    quick: bool
    repetitions: int
    seconds: float  # duration of one timed client run
    concurrency: tuple[int, ...] = (1, 4, 16)

    @classmethod
    def for_mode(cls, redis_url: str, quick: bool) -> Settings:
        if quick:
            return cls(redis_url, True, repetitions=3, seconds=0.4)
        return cls(redis_url, False, repetitions=5, seconds=3.0)
