"""Authentication benchmark: what checking a credential on every request costs.

The authentication middleware resolves every request's credential against the current
state (the key or session, its user, its tenant) in one unit of work. This measures
requests per second through the whole app, in process (httpx's ASGI transport, one
client, sequential requests), on the embedded stack's repository (Django on SQLite in a
temporary directory) or in memory:

- baseline: ``GET /healthz`` anonymous (routing, middleware, no credential, no database);
- ``GET /api/v1/rules`` (one read: the tenant's rules, none) with an API key
  (``Authorization: Bearer``: the key and its tenant are read);
- the same with the session cookie (the session, its user and its tenant are read; a
  write per minute per session at most).

    .venv/bin/python bench/auth.py [--requests 2000] [--repository django|memory]

Prints one line per case with its rate and its ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from services.identity import Actor

PASSWORD = "a benchmark's password"


async def rate(client: httpx.AsyncClient, path: str, headers: dict[str, str], n: int) -> float:
    for _ in range(min(100, n)):  # warm up: connections, caches, the first session touch
        assert (await client.get(path, headers=headers)).status_code == 200
    start = time.perf_counter()
    for _ in range(n):
        resp = await client.get(path, headers=headers)
    elapsed = time.perf_counter() - start
    assert resp.status_code == 200, resp.text
    return n / elapsed


async def main(requests: int, repository: str, data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, agent=False, repository=repository, frontend_dir=data_dir / "none",
                        database_url=f"sqlite:///{data_dir / 'bench.sqlite3'}")
    container = build_container(settings)
    if repository == "django":
        container.uow()  # sets Django up on the temporary database
        from adapters.django_orm import migrate

        await asyncio.to_thread(migrate)
    await container.tenants().bootstrap_tenant("default")
    await container.accounts().create_user("default", Actor.system(), username="bench", email="bench@example.com",
                                           name="Bench", role="admin", password=PASSWORD)
    _, key = await container.api_keys().create_api_key("default", "bench", ["admin"])
    app = build_app(container, with_agent=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        login = await client.post("/api/v1/auth/login", json={"username": "bench", "password": PASSWORD})
        cookie = {"Cookie": f"oe_session={login.cookies['oe_session']}"}
        client.cookies.clear()
        base = await rate(client, "/healthz", {}, requests)
        by_key = await rate(client, "/api/v1/rules", {"Authorization": f"Bearer {key}"}, requests)
        cases = [("GET /healthz, anonymous (baseline)", base), ("GET /api/v1/rules, API key", by_key),
                 ("GET /api/v1/rules, session cookie", await rate(client, "/api/v1/rules", cookie, requests))]
    if repository == "django":
        await container.uow().aclose()
    print(f"repository={repository} requests={requests} (sequential, in process)")
    for name, value in cases:
        print(f"{name:40s} {value:8.0f} req/s  ratio to baseline {value / base:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repository", choices=["django", "memory"], default="django")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oe-bench-auth-") as tmp:
        asyncio.run(main(args.requests, args.repository, Path(tmp)))
