"""The body-size cap is a middleware: every route is covered before it reads a body.

Content-Length over the cap is answered without reading a byte; a chunked body is
counted while it streams and cut off at the cap; both are 413 problem+json naming
``max_body_bytes``."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.responses import JSONResponse

from adapters.http.middleware.body_limit import BodyLimitMiddleware
from tests.unit.http.conftest import Api, problem

CAP = 64 * 1024  # the api fixture's max_body_bytes


def _is_body_limit_problem(resp) -> None:
    body = problem(resp, 413, "body")
    assert body["limit"] == "max_body_bytes" and body["limit_value"] == CAP


async def test_a_route_without_its_own_reader_is_capped(api: Api) -> None:
    # A rule is parsed by FastAPI before the route runs: without the middleware the whole
    # body would be read and parsed (and answered 422).
    resp = await api.client.post("/api/v1/rules", content=b"{" + b" " * CAP + b"}",
                                 headers={"content-type": "application/json"})
    _is_body_limit_problem(resp)
    assert "over the limit" in resp.json()["detail"]


async def test_a_chunked_body_is_cut_off_at_the_cap(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"matchers": [], "comment": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}'

    resp = await api.client.post("/api/v1/silences", content=chunks(), headers={"content-type": "application/json"})
    _is_body_limit_problem(resp)


async def test_bodies_under_the_cap_reach_the_route(api: Api) -> None:
    resp = await api.client.post("/api/v1/rules", json={"name": "x", "selector": "up", "threshold": 1,
                                                         "annotations": {"summary": "y" * (CAP // 2)}})
    assert resp.status_code == 201, resp.text


async def _run(app, body_chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[list, int]:
    """Drive the middleware directly: what it sent, and how many chunks it pulled."""
    pulled = 0
    queue = list(body_chunks)

    async def receive():
        nonlocal pulled
        pulled += 1
        chunk = queue.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

    out: list = []

    async def send(message):
        out.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": headers, "query_string": b""}
    await app(scope, receive, send)
    return out, pulled


async def test_a_declared_length_over_the_cap_is_refused_without_reading() -> None:
    called = False

    async def inner(scope, receive, send):
        nonlocal called
        called = True

    out, pulled = await _run(BodyLimitMiddleware(inner, max_body_bytes=1000), [b"x" * 2000],
                             [(b"content-length", b"2000")])
    assert not called and pulled == 0
    assert out[0]["status"] == 413 and (b"connection", b"close") in out[0]["headers"]


async def test_the_application_never_gets_more_than_the_cap() -> None:
    got: list[int] = []

    async def reader(scope, receive, send):
        # An application that reads everything and then answers 200.
        while True:
            message = await receive()
            got.append(len(message["body"]))
            if not message.get("more_body"):
                break
        await JSONResponse({"read": sum(got)})(scope, receive, send)

    out, pulled = await _run(BodyLimitMiddleware(reader, max_body_bytes=25_000), [b"x" * 10_000] * 10, [])
    assert pulled == 3  # the third chunk crosses the cap; nothing after it is pulled
    assert sum(got) <= 25_000
    assert out[0]["status"] == 413  # the application's 200 was replaced
