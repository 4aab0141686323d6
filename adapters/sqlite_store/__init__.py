"""The sample store on SQLite (the embedded default)."""

from adapters.sqlite_store.store import SqliteSampleStore

__all__ = ["SqliteSampleStore"]
