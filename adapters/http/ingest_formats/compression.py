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


def gunzip(data: bytes, limit: int) -> bytes:
    """Inflate gzip (every member of a multi-member stream), at most ``limit`` bytes."""
    if not data:
        return b""
    out: list[bytes] = []
    size = 0
    rest = data
    while True:
        d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            chunk = d.decompress(rest, limit - size + 1)
        except zlib.error as exc:
            raise MalformedPayload("gzip", str(exc), field="body") from None
        size += len(chunk)
        if size > limit:
            raise _too_big("gzip", limit)
        out.append(chunk)
        if not d.eof:
            # Output stopped short of the limit and the stream did not end: truncated.
            raise MalformedPayload("gzip", "the stream is truncated", field="body")
        rest = d.unused_data
        if not rest.strip(b"\x00"):  # trailing zero padding is tolerated, as gzip(1) does
            return b"".join(out)


def unzstd(data: bytes, limit: int) -> bytes:
    """Decompress every zstd frame, at most ``limit`` bytes.

    Streaming first (so a bomb is stopped after ``limit`` bytes), then once more with
    the one-shot object, whose ``eof`` tells a complete stream from a truncated one
    (the streaming reader silently stops at a truncation).
    """
    size = 0
    dctx = zstandard.ZstdDecompressor()
    try:
        for chunk in dctx.read_to_iter(data, write_size=65536):
            size += len(chunk)
            if size > limit:
                raise _too_big("zstd", limit)
        out: list[bytes] = []
        rest = data
        while rest:
            obj = dctx.decompressobj()
            out.append(obj.decompress(rest))
            if not obj.eof:
                raise MalformedPayload("zstd", "the stream is truncated", field="body")
            rest = obj.unused_data
    except zstandard.ZstdError as exc:
        raise MalformedPayload("zstd", str(exc), field="body") from None
    result = b"".join(out)
    if len(result) > limit:  # frames the streaming pass could not see (defensive)
        raise _too_big("zstd", limit)
    return result


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
