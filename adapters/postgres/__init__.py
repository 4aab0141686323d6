"""The sample store on PostgreSQL: compressed per-series chunks written with binary COPY."""

from adapters.postgres.store import PostgresSampleStore

__all__ = ["PostgresSampleStore"]
