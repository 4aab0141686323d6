"""Bounded decompression: gzip, zstd and snappy (block format).

A compressed body is small on the wire and can be huge once inflated (a "zip bomb":
a few kilobytes of gzip can expand to gigabytes). Every function here takes ``limit``
and never produces more than that many bytes: over it, ``LimitExceeded`` names
``max_decompressed_bytes`` (413). Bad or truncated input is ``MalformedPayload`` naming
the codec (400).
"""

from __future__ import annotations

import zlib

import cramjam
import zstandard

from adapters.http.ingest_formats.errors import MalformedPayload, UnsupportedMedia
from domain.errors import LimitExceeded

LIMIT_NAME = "max_decompressed_bytes"
CONTENT_ENCODINGS = ("identity", "gzip", "x-gzip", "zstd")


def _too_big(fmt: str, limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"{fmt} body inflates to more than the limit of {limit} bytes", field="body", limit=LIMIT_NAME, value=limit
    )


def _members(data: bytes, fmt: str, limit: int, new_decoder, feed) -> bytes:
    """Decode concatenated members/frames in time linear in the input.

    Why not ``rest = decoder.unused_data`` per member: that copies the rest of the body
    once per member, quadratic in the number of members (a 10 MiB body of tiny gzip
    members took minutes). Instead each member is fed from a ``memoryview`` in chunks
    that double from 256 bytes, so what a decoder copies back as unused is never more
    than twice the member's own size. ``feed(decoder, chunk, room)`` returns the output
    (at most ``room + 1`` bytes, so going over the limit is seen).
    """
    view = memoryview(data)
    end = len(data.rstrip(b"\x00"))  # trailing zero padding is tolerated, as gzip(1) does
    out: list[bytes] = []
    size = pos = 0
    while pos < end or not out:  # at least one member, even of an all-zero body
        d = new_decoder()
        step = 256
        while not d.eof:
            if pos >= len(data):
                raise MalformedPayload(fmt, "the stream is truncated", field="body")
            chunk = view[pos:pos + step]
            produced = feed(d, chunk, limit - size)
            size += len(produced)
            if size > limit:
                raise _too_big(fmt, limit)
            out.append(produced)
            pos += len(chunk) - len(d.unused_data)
            step *= 2
    return b"".join(out)


def _gzip_feed(d, chunk: memoryview, room: int) -> bytes:
    try:
        produced = d.decompress(chunk, room + 1)
    except zlib.error as exc:
        raise MalformedPayload("gzip", str(exc), field="body") from None
    if d.unconsumed_tail and len(produced) <= room:  # pragma: no cover - zlib stops only at max_length
        raise MalformedPayload("gzip", "the stream did not advance", field="body")
    return produced


def gunzip(data: bytes, limit: int) -> bytes:
    """Inflate gzip (every member of a multi-member stream), at most ``limit`` bytes."""
    if not data:
        return b""
    return _members(data, "gzip", limit, lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS), _gzip_feed)


def unzstd(data: bytes, limit: int) -> bytes:
    """Decompress every zstd frame, at most ``limit`` bytes.

    First a bounded streaming pass across all frames (a bomb in any frame is stopped
    after ``limit`` bytes); then, knowing the whole output fits, frame by frame with
    the one-shot objects, whose ``eof`` tells a complete frame from a truncated one
    (the streaming reader silently stops at a truncation).
    """
    if not data:
        return b""
    dctx = zstandard.ZstdDecompressor()
    size = 0
    try:
        with dctx.stream_reader(data, read_across_frames=True) as reader:
            while chunk := reader.read(65536):
                size += len(chunk)
                if size > limit:
                    raise _too_big("zstd", limit)

        def feed(d, chunk: memoryview, room: int) -> bytes:
            return d.decompress(chunk)

        return _members(data, "zstd", limit, dctx.decompressobj, feed)
    except zstandard.ZstdError as exc:
        raise MalformedPayload("zstd", str(exc), field="body") from None


def snappy_declared_length(data: bytes) -> int:
    """The uncompressed length a snappy block declares in its leading uvarint."""
    result = shift = 0
    for i, b in enumerate(data[:5]):
        result |= (b & 0x7F) << shift
        if b < 0x80:
            if i == 4 and b > 0x0F:
                break
            return result
        shift += 7
    raise MalformedPayload("snappy", "the block does not start with a valid length", field="body")


def unsnappy(data: bytes, limit: int) -> bytes:
    """Decode the snappy *block* format (what remote write uses, not the framing format).

    The block declares its uncompressed length up front, so an oversized body is refused
    before anything is allocated.
    """
    declared = snappy_declared_length(data)
    if declared > limit:
        raise LimitExceeded(
            f"snappy block declares {declared} bytes, over the limit of {limit}", field="body", limit=LIMIT_NAME, value=limit
        )
    try:
        out = bytes(cramjam.snappy.decompress_raw(data))
    except cramjam.DecompressionError as exc:
        raise MalformedPayload("snappy", str(exc), field="body") from None
    if len(out) != declared:  # pragma: no cover - cramjam checks this itself
        raise MalformedPayload("snappy", "the block is shorter than it declares", field="body")
    return out


def check_content_encoding(encoding: str | None, allowed: tuple[str, ...] = CONTENT_ENCODINGS) -> str:
    """The normalised coding, or 415 if we cannot undo it (checked before reading the body)."""
    coding = (encoding or "identity").strip().lower() or "identity"
    if coding not in allowed:
        raise UnsupportedMedia(
            f"unsupported Content-Encoding {coding!r}; use one of {', '.join(allowed)}", allowed, header="Content-Encoding"
        )
    return coding


def decode_content_encoding(body: bytes, encoding: str | None, limit: int, allowed: tuple[str, ...] = CONTENT_ENCODINGS) -> bytes:
    """Undo ``Content-Encoding`` (gzip, zstd or none). Unknown codings are 415."""
    coding = check_content_encoding(encoding, allowed)
    if coding == "identity":
        if len(body) > limit:
            raise _too_big("identity", limit)
        return body
    if coding in ("gzip", "x-gzip"):
        return gunzip(body, limit)
    if coding == "zstd":
        return unzstd(body, limit)
    return unsnappy(body, limit)  # "snappy": only remote write allows it
