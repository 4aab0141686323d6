"""The native JSON route with Content-Encoding: gzip and zstd, their failure modes, and
fuzzing of the three decompressors (gzip, zstd, snappy block)."""

from __future__ import annotations

import gzip
import json

import cramjam
import hypothesis.strategies as st
import zstandard
from hypothesis import given, settings

from adapters.http.ingest_formats.compression import gunzip, unsnappy, unzstd
from adapters.http.ingest_formats.errors import MalformedPayload
from domain.errors import LimitExceeded
from tests.unit.http.conftest import NOW_MS, Api

BATCH = json.dumps({"series": [{"name": "cpu", "labels": {"host": "a"}, "samples": [[NOW_MS, 1.5]]}]}).encode()
JSON = {"content-type": "application/json"}


async def test_gzip_and_zstd_bodies_are_accepted(api: Api) -> None:
    for coding, body in (("gzip", gzip.compress(BATCH)), ("zstd", zstandard.ZstdCompressor().compress(BATCH)), ("identity", BATCH)):
        resp = await api.client.post("/api/v1/ingest", content=body, headers=JSON | {"content-encoding": coding})
        assert resp.status_code == 202, (coding, resp.text)


async def test_compression_failures_are_named(api: Api) -> None:
    truncated = await api.client.post("/api/v1/ingest", content=gzip.compress(BATCH)[:-6], headers=JSON | {"content-encoding": "gzip"})
    assert truncated.status_code == 400 and truncated.json()["title"] == "Malformed gzip"
    assert "truncated" in truncated.json()["detail"]
    bad_zstd = await api.client.post("/api/v1/ingest", content=b"\x28\xb5\x2f\xfdnope", headers=JSON | {"content-encoding": "zstd"})
    assert bad_zstd.status_code == 400 and bad_zstd.json()["format"] == "zstd"
    bomb = zstandard.ZstdCompressor(level=19).compress(b" " * (40 * 1024 * 1024))
    over = await api.client.post("/api/v1/ingest", content=bomb, headers=JSON | {"content-encoding": "zstd"})
    assert over.status_code == 413 and over.json()["limit"] == "max_decompressed_bytes"
    brotli = await api.client.post("/api/v1/ingest", content=BATCH, headers=JSON | {"content-encoding": "br"})
    assert brotli.status_code == 415 and "gzip" in brotli.headers["accept-encoding"]


async def test_deeply_nested_json_is_a_client_error(api: Api) -> None:
    resp = await api.client.post("/api/v1/ingest", content=b"[" * 60_000, headers=JSON)
    assert resp.status_code == 422 and "not valid JSON" in resp.json()["detail"]


# -- fuzzing the decompressors directly -----------------------------------------------------

VALID = {"gzip": gzip.compress(BATCH * 20), "zstd": zstandard.ZstdCompressor().compress(BATCH * 20),
         "snappy": bytes(cramjam.snappy.compress_raw(BATCH * 20))}
DECODERS = {"gzip": gunzip, "zstd": unzstd, "snappy": unsnappy}


def _mutated(codec: str) -> st.SearchStrategy[bytes]:
    golden = VALID[codec]
    flip = st.tuples(st.integers(0, len(golden) - 1), st.integers(0, 255)).map(
        lambda p: golden[: p[0]] + bytes([p[1]]) + golden[p[0] + 1:])
    return st.one_of(st.binary(max_size=200), flip, st.integers(0, len(golden)).map(lambda n: golden[:n]))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), codec=st.sampled_from(sorted(DECODERS)), limit=st.sampled_from([10, 1024, 1 << 20]))
def test_decompressors_fail_only_cleanly(data, codec: str, limit: int) -> None:
    body = data.draw(_mutated(codec))
    try:
        out = DECODERS[codec](body, limit)
    except (MalformedPayload, LimitExceeded):
        return
    assert len(out) <= limit


# Multi-member bodies: decoded in time linear in the body (ADR 0013); these check the
# results on many members, members of every size around the chunk steps, and limits.

@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.binary(max_size=3000), min_size=1, max_size=12), codec=st.sampled_from(["gzip", "zstd"]),
       padding=st.integers(0, 3))
def test_concatenated_members_decode_to_the_concatenation(parts: list[bytes], codec: str, padding: int) -> None:
    if codec == "gzip":
        body = b"".join(gzip.compress(p) for p in parts) + b"\x00" * padding
        assert gunzip(body, 1 << 20) == b"".join(parts)
    else:
        body = b"".join(zstandard.ZstdCompressor().compress(p) for p in parts)
        assert unzstd(body, 1 << 20) == b"".join(parts)
    whole = len(b"".join(parts))
    if whole:
        try:
            (gunzip if codec == "gzip" else unzstd)(body, whole - 1)
            raise AssertionError("over the limit, yet decoded")
        except LimitExceeded as exc:
            assert exc.limit == "max_decompressed_bytes"


def test_many_tiny_members_decode() -> None:
    member = gzip.compress(b"x")
    assert gunzip(member * 50_000, 1 << 20) == b"x" * 50_000
    frame = zstandard.ZstdCompressor().compress(b"y")
    assert unzstd(frame * 50_000, 1 << 20) == b"y" * 50_000


def test_a_zstd_bomb_in_a_later_frame_is_refused() -> None:
    # The first frame is small; the second inflates past the limit. Both passes must see it.
    body = zstandard.ZstdCompressor().compress(b"ok") + zstandard.ZstdCompressor().compress(b"\x00" * (8 << 20))
    try:
        unzstd(body, 1 << 20)
        raise AssertionError("a bomb in the second frame was decoded")
    except LimitExceeded as exc:
        assert exc.limit == "max_decompressed_bytes"


def test_a_truncated_later_member_is_malformed() -> None:
    for body, decode, fmt in ((gzip.compress(b"a") + gzip.compress(b"b" * 100)[:-3], gunzip, "gzip"),
                              (zstandard.ZstdCompressor().compress(b"a") + zstandard.ZstdCompressor().compress(b"b" * 100)[:-3], unzstd, "zstd")):
        try:
            decode(body, 1 << 20)
            raise AssertionError(f"a truncated {fmt} body was decoded")
        except MalformedPayload as exc:
            assert exc.format == fmt if hasattr(exc, "format") else True
