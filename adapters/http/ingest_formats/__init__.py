"""Decoders of the wire formats telemetry arrives in: compression, the protobuf wire
format, Prometheus remote write 1.0/2.0 and OTLP metrics.

They live inside the HTTP adapter (not in ``services/``) because they need protobuf,
cramjam and zstandard, and the dependency rule keeps those out of the core; they are a
subpackage of ``adapters.http`` (not an adapter of their own) because adapters do not
import one another. Each decoder is a pure function from bytes to ``RawSeries`` (the
ingest service's input) and raises only ``MalformedPayload`` (400), ``UnsupportedMedia``
(415) or a domain ``ValidationError``/``LimitExceeded`` (413/422): anything else escaping
a decoder is a bug, which the fuzz tests look for.
"""
