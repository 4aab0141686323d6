"""A routing service on the in-memory unit of work, a fake clock and a real secret box."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from adapters.memory.cache import MemoryPubSub
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.secretbox import AesGcmSecretBox
from services.identity.audit import Actor
from services.routing import ReceiverSecrets, RoutingSeed, RoutingService, StoredAlertingConfigs
from tests.support.clock import FakeClock

SEED = {
    "route": {"receiver": "ops", "group_by": ["alertname"],
              "routes": [{"matchers": ['severity="critical"'], "receiver": "pager"}]},
    "receivers": [{"name": "ops", "webhook_configs": [{"url": "https://hooks.example.com/ops-token"}]},
                  {"name": "pager", "pagerduty_configs": [{"routing_key": "pd-key-123"}]}],
    "inhibit_rules": [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                       "equal": ["alertname"]}],
}
ALICE = Actor("usr-alice", "alice", "acme")


@dataclass
class Routing:
    uow: MemoryUnitOfWorkRunner
    clock: FakeClock
    pubsub: MemoryPubSub
    service: RoutingService
    configs: StoredAlertingConfigs


def make_routing(seed=SEED, max_age_s: float = 5.0) -> Routing:
    uow, clock, pubsub = MemoryUnitOfWorkRunner(), FakeClock(), MemoryPubSub()
    box = ReceiverSecrets(AesGcmSecretBox(secrets.token_bytes(32)))
    seeder = RoutingSeed(uow, clock, box, seed)
    return Routing(uow, clock, pubsub, RoutingService(uow, clock, box, seeder, pubsub),
                   StoredAlertingConfigs(uow, clock, box, seeder, max_age_s=max_age_s))


@pytest.fixture
def routing() -> Routing:
    return make_routing()
