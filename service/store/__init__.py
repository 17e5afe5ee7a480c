"""Adapters to Redis: the event store, its hash chain, key scheme and checks."""
