"""The one-time seed: a tenant that never had a stored routing configuration gets the
one of ``OBSERVER_ALERTING_CONFIG`` (the JSON file of earlier releases), or the default
(everything to a ``default`` receiver that logs), when it is first used. After that the
stored resources are the only source; the file is not read again for that tenant.

Secrets given in the file as ``<field>_file`` are read when the file is loaded and
stored sealed like any other.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.errors import Conflict, ValidationError
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.identity.audit import Actor
from services.pipeline.config import AlertingConfig
from services.routing.documents import DEFAULT_DOCUMENT, replace_all
from services.routing.secrets import ReceiverSecrets, channel_lists

log = logging.getLogger(__name__)


def load_seed_document(path: Path | str | None) -> dict[str, Any]:
    """The JSON file at ``path`` as a document with its ``*_file`` secrets read in (the
    default document if unset); validated whole, errors naming the field."""
    if path is None or str(path) in ("", "."):
        return copy.deepcopy(dict(DEFAULT_DOCUMENT))
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except OSError as exc:
        raise ValidationError(f"cannot read the alerting configuration {p}: {exc.strerror}", field="alerting_config") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{p} is not JSON: {exc.msg} at line {exc.lineno}", field="alerting_config") from None
    AlertingConfig.from_dict(doc, base_dir=p.parent)  # refuse a bad file at start, naming the field
    for receiver in doc.get("receivers", []):
        for _, _, _, channel in channel_lists(receiver):
            for key in [k for k in channel if k.endswith("_file") and k != "tls_ca_file"]:
                secret = Path(channel.pop(key))
                channel[key[:-5]] = (secret if secret.is_absolute() else p.parent / secret).read_text().strip()
    return doc


class RoutingSeed:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, secrets: ReceiverSecrets, document: Mapping[str, Any]) -> None:
        self._uow = uow
        self._clock = clock
        self._secrets = secrets
        self.document = document
        self._seeded: set[str] = set()  # tenants known to have a stored configuration

    async def ensure(self, tenant: str) -> None:
        """Seed ``tenant`` unless it has (or had) a stored configuration."""
        if tenant in self._seeded:
            return
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> bool:
            if uow.routing.revision(tenant) > 0:
                return False
            replace_all(uow, tenant, self.document, self._secrets, Actor.system("routing seed"), now, "routing.seed")
            uow.routing.bump(tenant, 0)
            return True

        try:
            if await self._uow.run(work):
                log.info("seeded the routing configuration of tenant %s", tenant)
        except Conflict:
            pass  # another process seeded it meanwhile
        self._seeded.add(tenant)
