"""Reading request bodies within the limits, and what their headers say they are.

Two limits (DESIGN.md §7), both answered with 413 naming the limit: ``max_body_bytes``
on the bytes received (checked against ``Content-Length`` before reading, and while
streaming, so an oversized body is never buffered), and ``max_decompressed_bytes`` on
what a compressed body inflates to (so a small "zip bomb" cannot take the memory).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from adapters.http.ingest_formats.compression import CONTENT_ENCODINGS, check_content_encoding, decode_content_encoding
from adapters.http.ingest_formats.errors import UnsupportedMedia
from domain.errors import LimitExceeded

T = TypeVar("T")
OFF_LOOP_BYTES = 64 * 1024  # decoding a body larger than this would stall the event loop


async def read_body(request: Request, limit: int) -> bytes:
    """Read at most ``limit`` bytes; a longer body is refused before it is buffered."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise LimitExceeded(f"request body is {declared} bytes, over the limit of {limit}", field="body", limit="max_body_bytes", value=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise LimitExceeded(f"request body is over the limit of {limit} bytes", field="body", limit="max_body_bytes", value=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> tuple[str, dict[str, str]]:
    """``Content-Type`` as (lowercased type, parameters): ``application/x-protobuf;proto=X``
    gives ``("application/x-protobuf", {"proto": "X"})``."""
    raw = request.headers.get("content-type", "")
    kind, *params = raw.split(";")
    out: dict[str, str] = {}
    for p in params:
        name, _, value = p.partition("=")
        if name.strip():
            out[name.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), out


def require_media_type(request: Request, accepted: tuple[str, ...], *, allow_missing: bool = False) -> str:
    kind, _ = media_type(request)
    if kind in accepted or (allow_missing and not kind):
        return kind or accepted[0]
    raise UnsupportedMedia(f"unsupported content type {kind or '(none)'!r}; send {' or '.join(accepted)}", accepted)


async def read_decoded_body(request: Request, max_body: int, max_decompressed: int,
                            encodings: tuple[str, ...] = CONTENT_ENCODINGS) -> bytes:
    """The body with its ``Content-Encoding`` (gzip, zstd) undone, both limits enforced."""
    coding = check_content_encoding(request.headers.get("content-encoding"), encodings)  # 415 before reading
    body = await read_body(request, max_body)
    return await decode_off_loop(len(body), decode_content_encoding, body, coding, max_decompressed, encodings)


async def decode_off_loop(size: int, fn: Callable[..., T], *args: object) -> T:
    """Run a pure-Python decoder: inline for small bodies (a thread hop costs more than
    the work), in the thread pool for large ones, so one big request does not stall
    every other connection of this worker (DESIGN.md §7: nothing blocking in the loop)."""
    if size <= OFF_LOOP_BYTES:
        return fn(*args)
    return await run_in_threadpool(fn, *args)
