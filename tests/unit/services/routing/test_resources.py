"""The routing resources service: seeding once, versions, validation naming the field,
secrets sealed and never shown, the audit, the announcement, the pipeline's cache."""

from __future__ import annotations

import asyncio
import json

import pytest

from domain.identity.audit import AuditQuery
from domain.errors import Conflict, NotFound, ValidationError
from domain.metrics.labels import LabelSet
from ports.routing import ROOT, RoutingKind
from services.config_changes import CONFIG_CHANNEL, ConfigWatcher
from services.routing import REDACTED, has_secrets
from tests.unit.services.routing.conftest import ALICE, make_routing

R, TREE, RULE, TI = RoutingKind.RECEIVER, RoutingKind.TREE, RoutingKind.INHIBIT_RULE, RoutingKind.TIME_INTERVAL


def audit(routing):
    return routing.uow.run_sync(lambda u: u.audit.query(AuditQuery("acme")))


async def test_a_tenant_is_seeded_once_from_the_file_and_then_reads_only_what_is_stored(routing) -> None:
    tree = await routing.service.get("acme", TREE, ROOT)
    assert tree.version == 1 and tree.document["receiver"] == "ops"
    assert [r.name for r in await routing.service.list("acme", R)] == ["ops", "pager"]
    assert [r.name for r in await routing.service.list("acme", RULE)] == ["inhibit-1"]
    assert (await routing.service.snapshot("acme")).revision == 1
    pager = await routing.service.get("acme", R, "pager")
    # Deleting everything the seed made does not bring the seed back.
    await routing.service.replace("acme", ALICE, TREE, ROOT, {"receiver": "pager"}, 1)
    await routing.service.delete("acme", ALICE, R, "ops", 1)
    routing.service._seed._seeded.clear()  # a new process
    assert [r.name for r in await routing.service.list("acme", R)] == ["pager"]
    assert pager.version == 1
    assert sorted(e.action for e in audit(routing)) == ["routing.receiver.delete", "routing.seed", "routing.tree.update"]


async def test_secrets_are_sealed_never_shown_and_kept_when_a_write_leaves_them_out(routing) -> None:
    doc = {"name": "chat", "slack_configs": [{"url": "https://hooks.slack.com/services/T0/B0/s3cret", "channel": "#ops"}]}
    item = await routing.service.create("acme", ALICE, R, doc)
    assert "s3cret" not in json.dumps(item.document) and has_secrets(item.document)
    shown = (await routing.service.snapshot("acme")).document
    assert next(r for r in shown["receivers"] if r["name"] == "chat")["slack_configs"][0]["url"] == REDACTED
    assert "s3cret" not in repr(audit(routing))
    # An update without the URL (or with the marker sent back) keeps it.
    await routing.service.replace("acme", ALICE, R, "chat", {"slack_configs": [{"channel": "#ops2"}]}, 1)
    await routing.service.replace("acme", ALICE, R, "chat", {"slack_configs": [{"url": REDACTED, "channel": "#ops3"}]}, 2)
    config = await routing.configs.for_tenant("acme")
    channel = config.channel("chat", "slack-0")
    assert channel.settings["url"] == "https://hooks.slack.com/services/T0/B0/s3cret" and channel.settings["channel"] == "#ops3"


async def test_a_new_channel_needs_its_secret_and_files_are_refused(routing) -> None:
    with pytest.raises(ValidationError) as missing:
        await routing.service.create("acme", ALICE, R, {"name": "hook", "webhook_configs": [{"send_resolved": False}]})
    assert missing.value.field == "webhook_configs[0].url"
    with pytest.raises(ValidationError) as placeholder:
        await routing.service.create("acme", ALICE, R, {"name": "hook", "webhook_configs": [{"url": REDACTED}]})
    assert placeholder.value.field == "webhook_configs[0].url"
    with pytest.raises(ValidationError) as from_file:
        await routing.service.create("acme", ALICE, R, {"name": "hook", "webhook_configs": [{"url_file": "/etc/passwd"}]})
    assert from_file.value.field == "webhook_configs[0].url_file"
    with pytest.raises(ValidationError) as bad_url:
        await routing.service.create("acme", ALICE, R, {"name": "hook", "webhook_configs": [{"url": "ftp://x"}]})
    assert bad_url.value.field == "webhook_configs[0].url"
    with pytest.raises(NotFound):
        await routing.service.get("acme", R, "hook")


async def test_versions_guard_every_write(routing) -> None:
    await routing.service.replace("acme", ALICE, TREE, ROOT, {"receiver": "pager"}, 1)
    with pytest.raises(Conflict) as stale:
        await routing.service.replace("acme", ALICE, TREE, ROOT, {"receiver": "ops"}, 1)
    assert stale.value.current_version == 2
    with pytest.raises(Conflict):
        await routing.service.create("acme", ALICE, R, {"name": "ops", "webhook_configs": [{"url": "https://a.example"}]})
    with pytest.raises(Conflict) as stale_delete:
        await routing.service.delete("acme", ALICE, R, "ops", 7)
    assert stale_delete.value.current_version == 1


async def test_references_are_checked_with_the_whole_configuration(routing) -> None:
    with pytest.raises(ValidationError) as unknown:
        await routing.service.replace("acme", ALICE, TREE, ROOT, {"receiver": "nobody"}, 1)
    assert "nobody" in unknown.value.message
    with pytest.raises(ValidationError) as in_use:
        await routing.service.delete("acme", ALICE, R, "pager", 1)
    assert "pager" in in_use.value.message
    assert (await routing.service.get("acme", R, "pager")).version == 1  # rolled back
    with pytest.raises(ValidationError) as no_interval:
        await routing.service.replace("acme", ALICE, TREE, ROOT, {
            "receiver": "ops", "routes": [{"receiver": "pager", "mute_time_intervals": ["nights"]}]}, 1)
    assert no_interval.value.field == "route.routes[0].mute_time_intervals[0]"
    await routing.service.create("acme", ALICE, TI, {"name": "nights", "time_intervals": [
        {"times": [{"start_time": "22:00", "end_time": "24:00"}]}]})
    await routing.service.replace("acme", ALICE, TREE, ROOT, {
        "receiver": "ops", "routes": [{"receiver": "pager", "mute_time_intervals": ["nights"]}]}, 1)
    with pytest.raises(ValidationError):
        await routing.service.delete("acme", ALICE, TI, "nights", 1)


async def test_item_errors_name_the_field_inside_the_item(routing) -> None:
    with pytest.raises(ValidationError) as bad_rule:
        await routing.service.create("acme", ALICE, RULE, {"name": "r", "source_matchers": ["x=~"], "target_matchers": ["y=1"]})
    assert bad_rule.value.field == "source_matchers[0]"
    with pytest.raises(ValidationError) as bad_interval:
        await routing.service.create("acme", ALICE, TI, {"name": "t", "time_intervals": [{"weekdays": ["funday"]}]})
    assert bad_interval.value.field == "time_intervals[0].weekdays[0]"
    with pytest.raises(ValidationError) as bad_name:
        await routing.service.create("acme", ALICE, R, {"name": "no spaces", "log_configs": [{}]})
    assert bad_name.value.field == "name"


async def test_every_change_is_audited_with_before_and_after(routing) -> None:
    await routing.service.replace("acme", ALICE, TREE, ROOT, {"receiver": "pager"}, 1)
    entry = next(e for e in audit(routing) if e.action != "routing.seed")
    assert (entry.action, entry.target, entry.actor) == ("routing.tree.update", "tree:root", "usr-alice")
    assert entry.before["receiver"] == "ops" and entry.after == {"receiver": "pager"}


async def test_the_pipeline_sees_a_change_once_announced_or_once_its_cache_expires() -> None:
    routing = make_routing(max_age_s=5)
    assert routing.configs is not None
    first = await routing.configs.for_tenant("acme")
    assert first.route.match(LabelSet.of({"alertname": "x"}))[0].receiver == "ops"
    watcher = ConfigWatcher(routing.pubsub)
    heard = asyncio.Event()
    watcher.on("routing", routing.configs.invalidate)
    watcher.on("routing", lambda tenant: heard.set())
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await asyncio.sleep(0)  # the watcher subscribes
    await routing.service.replace("acme", ALICE, TREE, ROOT, {"receiver": "pager"}, 1)
    await heard.wait()
    assert (await routing.configs.for_tenant("acme")).route.match(LabelSet.of({"alertname": "x"}))[0].receiver == "pager"
    stop.set()
    await task
    # Without an announcement: the cached configuration until it expires.
    await routing.service.replace("acme", ALICE, TREE, ROOT, {"receiver": "ops"}, 2)
    assert (await routing.configs.for_tenant("acme")).route.match(LabelSet.of({"alertname": "x"}))[0].receiver == "pager"
    routing.clock.advance(5_000)
    assert (await routing.configs.for_tenant("acme")).route.match(LabelSet.of({"alertname": "x"}))[0].receiver == "ops"
    assert CONFIG_CHANNEL == "config"


async def test_a_whole_import_checks_the_revision_and_replaces_everything(routing) -> None:
    snap = await routing.service.snapshot("acme")
    doc = {"route": {"receiver": "new"}, "receivers": [{"name": "new", "email_configs": [
        {"to": "ops@example.com", "from": "oe@example.com", "smarthost": "smtp.example.com:587", "password": "pw"}]}]}
    revision = await routing.service.replace_all("acme", ALICE, doc, snap.revision)
    assert revision == snap.revision + 1
    assert [r.name for r in await routing.service.list("acme", R)] == ["new"]
    assert await routing.service.list("acme", RULE) == []
    with pytest.raises(Conflict) as stale:
        await routing.service.replace_all("acme", ALICE, doc, snap.revision)
    assert stale.value.current_version == revision
    with pytest.raises(ValidationError) as twice:
        await routing.service.replace_all("acme", ALICE, {**doc, "receivers": doc["receivers"] * 2}, revision)
    assert twice.value.field == "receivers[1].name"
