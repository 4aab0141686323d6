"""The two ways a request body can fail before domain validation even starts.

``MalformedPayload`` (400) means the bytes are not what they claim to be: a bad snappy
block, a truncated gzip stream, protobuf that does not parse. ``format`` names the
layer that failed, so the client learns *which* decoding went wrong. Senders treat 400
as final (Prometheus and OTLP exporters do not retry it), which is right: resending the
same bytes cannot help. ``UnsupportedMedia`` (415) is a content type or encoding we do
not speak; ``accept`` lists what we do.
"""

from __future__ import annotations


class MalformedPayload(Exception):
    def __init__(self, fmt: str, message: str, field: str | None = None) -> None:
        super().__init__(f"malformed {fmt}: {message}")
        self.format = fmt
        self.message = message
        self.field = field


class UnsupportedMedia(Exception):
    def __init__(self, message: str, accept: tuple[str, ...] = (), header: str = "Content-Type") -> None:
        super().__init__(message)
        self.message = message
        self.accept = accept
        self.header = header
