"""The routing service's versions as a state machine (hypothesis): any sequence of
creates, replaces and deletes with right or stale versions gives exactly the model's
answers: a write at the stored version succeeds and raises it by one, any other is
refused with 409 naming the stored version, and the tenant's revision counts the
writes that succeeded."""

from __future__ import annotations

import asyncio

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import Conflict, NotFound
from ports.routing import RoutingKind
from tests.unit.services.routing.conftest import ALICE, make_routing

NAMES = st.sampled_from(["a", "b", "c"])
R = RoutingKind.TIME_INTERVAL  # no references to other items: every write is valid on its own


def doc(name: str, hour: int) -> dict:
    return {"name": name, "time_intervals": [{"times": [{"start_time": f"{hour:02d}:00", "end_time": "24:00"}]}]}


class Versions(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.routing = make_routing()
        self.model: dict[str, tuple[int, int]] = {}  # name -> (version, hour)
        self.revision = self.run(self.routing.service.snapshot("acme")).revision  # the seed's

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        if hasattr(self, "loop"):
            self.loop.close()

    @rule(name=NAMES, hour=st.integers(0, 23))
    def create(self, name: str, hour: int) -> None:
        try:
            item = self.run(self.routing.service.create("acme", ALICE, R, doc(name, hour)))
        except Conflict:
            assert name in self.model
            return
        assert name not in self.model and item.version == 1
        self.model[name] = (1, hour)
        self.revision += 1

    @rule(name=NAMES, hour=st.integers(0, 23), offset=st.sampled_from([0, 0, 0, -1, 1, 5]))
    def replace(self, name: str, hour: int, offset: int) -> None:
        stored = self.model.get(name)
        version = (stored[0] if stored else 1) + offset
        if version < 1:
            return
        try:
            item = self.run(self.routing.service.replace("acme", ALICE, R, name, doc(name, hour), version))
        except NotFound:
            assert stored is None
            return
        except Conflict as exc:
            assert stored is not None and offset != 0 and exc.current_version == stored[0]
            return
        assert stored is not None and offset == 0 and item.version == stored[0] + 1
        self.model[name] = (item.version, hour)
        self.revision += 1

    @rule(name=NAMES, offset=st.sampled_from([0, 0, -1, 2]))
    def delete(self, name: str, offset: int) -> None:
        stored = self.model.get(name)
        version = (stored[0] if stored else 1) + offset
        if version < 1:
            return
        try:
            self.run(self.routing.service.delete("acme", ALICE, R, name, version))
        except NotFound:
            assert stored is None
            return
        except Conflict as exc:
            assert stored is not None and offset != 0 and exc.current_version == stored[0]
            return
        assert stored is not None and offset == 0
        del self.model[name]
        self.revision += 1

    @invariant()
    def stored_is_the_model(self) -> None:
        items = self.run(self.routing.service.list("acme", R))
        hours = {i.name: (i.version, int(i.document["time_intervals"][0]["times"][0]["start_time"][:2])) for i in items}
        assert hours == self.model
        assert self.run(self.routing.service.snapshot("acme")).revision == self.revision


Versions.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestVersions = Versions.TestCase
