"""The live pipeline's view of each tenant's routing (``AlertingConfigs``): read from
the stored resources, cached per tenant, dropped when a change is announced (the
``ConfigWatcher`` calls ``invalidate``) and re-read after ``max_age_s`` anyway, so a
lost announcement costs seconds, not a restart.
"""

from __future__ import annotations

import logging

from ports.clock import Clock
from ports.repositories import UnitOfWorkRunner
from services.pipeline.config import AlertingConfig
from services.routing.documents import build_config, whole
from services.routing.secrets import ReceiverSecrets
from services.routing.seed import RoutingSeed

log = logging.getLogger(__name__)


class StoredAlertingConfigs:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, secrets: ReceiverSecrets, seed: RoutingSeed, *,
                 max_age_s: float = 5.0) -> None:
        self._uow = uow
        self._clock = clock
        self._secrets = secrets
        self._seed = seed
        self._max_age_ms = int(max_age_s * 1000)
        self._cache: dict[str, tuple[int, AlertingConfig]] = {}  # tenant -> (read at, configuration)

    def invalidate(self, tenant: str) -> None:
        """A reloader for ``ConfigWatcher.on("routing", ...)``: the next read is fresh."""
        self._cache.pop(tenant, None)

    async def for_tenant(self, tenant: str) -> AlertingConfig:
        now = self._clock.now_ms()
        cached = self._cache.get(tenant)
        if cached is not None and now - cached[0] < self._max_age_ms:
            return cached[1]
        await self._seed.ensure(tenant)
        try:
            config = build_config(await self._uow.run(lambda uow: whole(uow, tenant, self._secrets)))
        except ValueError as exc:  # a sealed secret that does not open (another key file), or a bug
            if cached is None:
                raise
            log.error("cannot read the routing configuration of tenant %s (%s); keeping the one read before", tenant, exc)
            config = cached[1]
        self._cache[tenant] = (now, config)
        return config
