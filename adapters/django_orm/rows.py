"""Row writes shared by the repositories: insert-or-Conflict and single-statement upsert."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction

from domain.errors import Conflict


def insert(model: type[models.Model], using: str, fields: dict[str, Any], what: str) -> models.Model:
    """INSERT one row; a unique-constraint violation becomes ``Conflict``.

    The insert runs in a savepoint, so a caller that catches the Conflict (say, to mint
    another API key prefix) keeps a usable transaction, on PostgreSQL too.
    """
    try:
        with transaction.atomic(using=using):
            return model.objects.using(using).create(**fields)
    except IntegrityError as exc:
        raise Conflict(f"{what} already exists") from exc


def upsert(model: type[models.Model], using: str, fields: dict[str, Any], unique: list[str]) -> None:
    """INSERT ... ON CONFLICT (unique) DO UPDATE: one statement, no read-then-write race."""
    update = [f for f in fields if f not in unique]
    model.objects.using(using).bulk_create(
        [model(**fields)], update_conflicts=True, unique_fields=unique, update_fields=update
    )
