"""Properties of the whole pipeline, against a reference model, over random streams of
alerts firing and resolving, silences created and expired, and an inhibit rule, on a
fake clock that ticks every group_interval (G):

1. a silenced or inhibited alert is never notified: no notification carries an alert,
   firing or resolved, that is silenced or inhibited at the time it is sent;
2. a firing alert that is neither is notified exactly once per repeat interval:
   with one group per alert, from group_wait after it became notifiable on, every
   window of repeat_interval holds exactly one notification of it (none closer than
   repeat_interval); with shared groups, at least one (a group re-sends when others
   join it, and an alert coming back from a mute may wait for its group's repeat);
3. no idempotency key is ever delivered twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from domain.alerts.fingerprint import fingerprint
from domain.alerts.silences import Silence
from domain.alerts.state import AlertState
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import parse_matchers
from tests.unit.services.pipeline.conftest import NOW_MS, TENANT, make_harness

G = 10_000
ALERTS = [
    LabelSet.of({"alertname": "Down", "severity": "critical", "cluster": "c1"}),
    LabelSet.of({"alertname": "Disk", "severity": "warning", "cluster": "c1", "host": "h1"}),
    LabelSet.of({"alertname": "Disk", "severity": "warning", "cluster": "c2", "host": "h2"}),
    LabelSet.of({"alertname": "Cpu", "severity": "warning", "cluster": "c1", "host": "h2"}),
]
FPS = [fingerprint(a) for a in ALERTS]
SILENCE_MATCHERS = ['host="h1"', 'cluster="c2"', 'alertname="Cpu"', 'severity="critical"']

toggle = st.tuples(st.just("toggle"), st.integers(0, len(ALERTS) - 1))
silence = st.tuples(st.just("silence"), st.integers(0, len(SILENCE_MATCHERS) - 1), st.integers(1, 6))
expire = st.tuples(st.just("expire"), st.integers(0, 7))
steps = st.lists(st.lists(st.one_of(toggle, toggle, silence, expire), max_size=3), min_size=1, max_size=36)


@dataclass
class Model:
    """The reference: what is true at each tick, computed without the pipeline."""

    inhibit: bool
    firing: list[set[int]] = field(default_factory=list)  # per tick: firing alert indexes
    silences: list[tuple[str, int, int]] = field(default_factory=list)  # matcher, start, end (ms)

    def silenced(self, i: int, t: int) -> bool:
        return any(LabelSet.of(ALERTS[i]).get(m.split("=")[0]) == m.split('"')[1] and s <= t < e
                   for m, s, e in self.silences)

    def inhibited(self, i: int, k: int) -> bool:
        a = ALERTS[i]
        return self.inhibit and a.get("severity") == "warning" and any(
            ALERTS[j].get("severity") == "critical" and ALERTS[j].get("cluster") == a.get("cluster") for j in self.firing[k])

    def notifiable(self, i: int, k: int) -> bool:
        t = NOW_MS + k * G
        return i in self.firing[k] and not self.silenced(i, t) and not self.inhibited(i, k)


def config(group_wait: int, repeat: int, group_by: list[str], inhibit: bool) -> dict:
    return {
        "route": {"receiver": "default", "group_by": group_by, "group_wait": f"{group_wait}ms",
                  "group_interval": f"{G}ms", "repeat_interval": f"{repeat}ms"},
        "receivers": [{"name": "default", "log_configs": [{}]}],
        "inhibit_rules": [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                           "equal": ["cluster"]}] if inhibit else [],
    }


async def simulate(plan, group_wait: int, repeat: int, group_by: list[str], inhibit: bool):
    h = make_harness(config(group_wait, repeat, group_by, inhibit))
    model = Model(inhibit)
    firing: set[int] = set()
    created: list[Silence] = []
    resolved_at: dict[int, list[int]] = {}
    for k, actions in enumerate(plan):
        now = h.clock.now_ms()
        toggled: set[int] = set()
        for action in actions:
            if action[0] == "toggle" and action[1] not in toggled:
                i = action[1]
                toggled.add(i)
                if i in firing:
                    firing.discard(i)
                    resolved_at.setdefault(i, []).append(k)
                    await h.resolve(ALERTS[i])
                else:
                    firing.add(i)
                    await h.fire(ALERTS[i])
            elif action[0] == "silence":
                _, m, ticks = action
                s = await h.silence(SILENCE_MATCHERS[m], sid=f"s{len(created)}", minutes=1)
                s.ends_at_ms = now + ticks * G
                await h.uow.run(lambda u, s=s: u.silences.save(s))
                created.append(s)
                model.silences.append((SILENCE_MATCHERS[m], now, s.ends_at_ms))
            elif action[0] == "expire" and action[1] < len(created):
                s = created[action[1]]
                if s.state_at(now).value != "expired":
                    s.expire(now)
                    await h.uow.run(lambda u, s=s: u.silences.save(s))
                    m, start, _ = model.silences[action[1]]
                    model.silences[action[1]] = (m, start, now)
        model.firing.append(set(firing))
        await h.tick()
        h.clock.advance(G)
    return h, model, resolved_at


def observed(h) -> dict[int, list[tuple[int, str]]]:
    """Per alert: (tick, status) of every notification that carried it."""
    out: dict[int, list[tuple[int, str]]] = {i: [] for i in range(len(ALERTS))}
    for n in h.notifier.sent:
        k = (n.payload["at_ms"] - NOW_MS) // G
        assert (n.payload["at_ms"] - NOW_MS) % G == 0
        for a in n.payload["alerts"]:
            out[FPS.index(a["fingerprint"])].append((k, a["status"]))
    return out


def stretches(model: Model, i: int) -> list[tuple[int, int]]:
    """Maximal runs [a, b) of ticks at which alert i is notifiable."""
    runs, start = [], None
    for k in range(len(model.firing) + 1):
        ok = k < len(model.firing) and model.notifiable(i, k)
        if ok and start is None:
            start = k
        if not ok and start is not None:
            runs.append((start, k))
            start = None
    return runs


def check(h, model: Model, resolved_at, wait_ticks: int, repeat_ticks: int, exact: bool) -> None:
    keys = [n.idempotency_key for n in h.notifier.sent]
    assert len(keys) == len(set(keys)), "an idempotency key was delivered twice"
    seen = observed(h)
    for i, notes in seen.items():
        for k, status in notes:
            if status == "firing":
                assert model.notifiable(i, k), f"alert {i} notified firing at tick {k} while muted or not firing"
            else:
                t = NOW_MS + k * G
                assert i not in model.firing[k] and any(r <= k for r in resolved_at.get(i, []))
                assert not model.silenced(i, t) and not model.inhibited(i, k), f"alert {i}: muted resolution sent at {k}"
        for a, b in stretches(model, i):
            ticks = sorted(k for k, s in notes if s == "firing" and a <= k < b)
            first_due = a + (wait_ticks if exact else max(wait_ticks, repeat_ticks))
            for t in range(first_due, b):
                assert any(t - repeat_ticks < k <= t for k in ticks), (
                    f"alert {i} notifiable over ticks [{a}, {b}) but not notified in ({t - repeat_ticks}, {t}]: {ticks}")
            if exact:
                gaps = [y - x for x, y in zip(ticks, ticks[1:])]
                assert all(g >= repeat_ticks for g in gaps), f"alert {i} notified more than once per repeat: {ticks}"


@given(plan=steps, wait=st.integers(0, 2), repeat=st.integers(1, 4), inhibit=st.booleans())
def test_one_group_per_alert_is_notified_exactly_once_per_repeat_interval_and_never_when_muted(plan, wait, repeat, inhibit):
    h, model, resolved_at = asyncio.run(simulate(plan, wait * G, repeat * G, ["..."], inhibit))
    check(h, model, resolved_at, wait, repeat, exact=True)


@given(plan=steps, wait=st.integers(0, 2), repeat=st.integers(1, 4), inhibit=st.booleans(),
       group_by=st.sampled_from([["alertname"], ["cluster"], [], ["..."]]))
def test_shared_groups_never_notify_muted_alerts_and_repeat_the_others(plan, wait, repeat, inhibit, group_by):
    h, model, resolved_at = asyncio.run(simulate(plan, wait * G, repeat * G, group_by, inhibit))
    check(h, model, resolved_at, wait, repeat, exact=False)


def test_the_model_sees_what_the_scenario_means():
    plan = [[("toggle", 1)], [], [("silence", 0, 2)], [], [], [("toggle", 0)], []]
    h, model, resolved_at = asyncio.run(simulate(plan, 0, 2 * G, ["..."], True))
    assert [model.notifiable(1, k) for k in range(7)] == [True, True, False, False, True, False, False]
    assert observed(h)[1] == [(0, "firing"), (4, "firing")] and observed(h)[0] == [(5, "firing")]
    assert TENANT == "t1" and AlertState.FIRING.value == "firing"
