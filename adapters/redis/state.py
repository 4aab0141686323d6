"""Evaluator checkpoints (ports.state) in Redis: one string key per (tenant, rule, slot).

Why a key per item rather than one hash per rule: each item needs its own expiry (the
state of a series that went away must go, while its neighbours' stays), and per-field
expiry in a hash needs Redis 7.4. Keys are ``<prefix>:evstate:<tenant>:<rule>:<slot>``
with tenant and rule id percent-encoded, so a ``:`` in either cannot make two keys
collide. Values are compact JSON (NaN and ±Inf as Python's json writes them).

Loads are ``MGET`` and saves one pipelined ``SET ... PX`` per item (no MULTI: items are
independent, and a partial save is harmless because the evaluator commits its bus
offsets only after the save returned), both in chunks so one call never builds an
unbounded command.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import redis.asyncio as aioredis

from ports.state import StateKey

CHUNK = 1000


class RedisEvaluatorStateStore:
    def __init__(self, client: aioredis.Redis, prefix: str = "oe") -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, key: StateKey) -> str:
        tenant, rule_id, slot = key
        return f"{self._prefix}:evstate:{quote(tenant, safe='')}:{quote(rule_id, safe='')}:{int(slot)}"

    async def load(self, keys: Sequence[StateKey]) -> dict[StateKey, dict[str, Any]]:
        out: dict[StateKey, dict[str, Any]] = {}
        keys = list(keys)
        for i in range(0, len(keys), CHUNK):
            part = keys[i:i + CHUNK]
            values = await self._client.mget([self._key(k) for k in part])
            for key, raw in zip(part, values):
                if raw is not None:
                    out[key] = json.loads(raw)
        return out

    async def save(self, items: Mapping[StateKey, dict[str, Any]], ttl_s: float) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be > 0, got {ttl_s}")
        ttl_ms = max(1, int(ttl_s * 1000))
        encoded = [(self._key(k), json.dumps(v, separators=(",", ":"))) for k, v in items.items()]
        for i in range(0, len(encoded), CHUNK):
            pipe = self._client.pipeline(transaction=False)
            for key, text in encoded[i:i + CHUNK]:
                pipe.set(key, text, px=ttl_ms)
            await pipe.execute()

    async def delete(self, keys: Sequence[StateKey]) -> None:
        names = [self._key(k) for k in keys]
        for i in range(0, len(names), CHUNK):
            await self._client.delete(*names[i:i + CHUNK])
