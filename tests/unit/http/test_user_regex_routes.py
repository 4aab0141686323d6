"""Every route that takes a user's regex compiles it on RE2: what RE2 refuses
(backreferences, lookaround) is a 422 naming the field, and on the live stream an
error naming the selector; nested-too-deep stream messages get an error, not a crash."""

from __future__ import annotations

import json

import pytest

from tests.unit.http.conftest import Api, problem
from tests.unit.http.test_stream import live, recv  # noqa: F401  (the live fixture)

LOOKAHEAD = "(?=x)x"
BACKREFERENCE = "(a)\\1"


def _refused(resp, field: str, hint: str) -> None:
    assert hint in problem(resp, 422, field)["detail"]


@pytest.mark.parametrize("pattern, hint", [(LOOKAHEAD, "lookahead"), (BACKREFERENCE, "backreferences")])
async def test_queries_refuse_what_re2_refuses(api: Api, pattern: str, hint: str) -> None:
    selector = 'up{job=~"%s"}' % pattern.replace("\\", "\\\\")
    _refused(await api.client.get("/api/v1/query_range", params={"query": selector, "start": "0", "end": "60", "step": "15"}),
             "query", hint)
    _refused(await api.client.get("/api/v1/series", params={"match[]": selector}), "match[]", hint)
    _refused(await api.client.post("/api/v1/rules", json={"name": "x", "selector": selector, "threshold": 1}),
             "selector", hint)


async def test_silences_refuse_what_re2_refuses(api: Api) -> None:
    silence = {"matchers": [{"name": "job", "value": "api"}, {"name": "host", "value": LOOKAHEAD, "isRegex": True}],
               "startsAt": "2027-01-15T08:00:00Z", "endsAt": "2027-01-15T09:00:00Z", "comment": "deploy"}
    _refused(await api.client.post("/api/v1/silences", json=silence), "matchers[1].value", "lookahead")


def test_stream_selectors_refuse_what_re2_refuses(live) -> None:  # noqa: F811
    with live.client.websocket_connect("/api/v1/stream", headers=live.auth()) as ws:
        assert recv(ws)["type"] == "hello"
        ws.send_json({"op": "subscribe", "series": ['cpu{host=~"%s"}' % LOOKAHEAD]})
        reply = recv(ws)
        assert reply["type"] == "error" and reply["field"] == "series[0]" and "lookahead" in reply["message"], reply
        ws.send_text("[" * 20_000 + "]" * 20_000)  # too deep to parse: an error, and the connection stays
        assert recv(ws)["type"] == "error"
        ws.send_text(json.dumps({"op": "ping", "id": 1}))
        assert recv(ws) == {"type": "pong", "id": 1}
