"""Session, one-time token, login throttle and audit repositories over ``oe_identity``."""

from __future__ import annotations

from django.db.models import F, Q

from adapters.django_orm.identity import mappers
from adapters.django_orm.identity.models import AuditEntry as AuditRow
from adapters.django_orm.identity.models import LoginThrottle as ThrottleRow
from adapters.django_orm.identity.models import OneTimeToken as TokenRow
from adapters.django_orm.identity.models import Session as SessionRow
from adapters.django_orm.rows import insert, upsert
from domain.identity.audit import AuditEntry, AuditQuery
from domain.identity.sessions import OneTimeToken, Session
from domain.identity.throttle import ThrottleState


class DjangoSessionRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, session: Session) -> None:
        insert(SessionRow, self._db, mappers.session_fields(session), "a session with this token")

    def save(self, session: Session) -> None:
        upsert(SessionRow, self._db, mappers.session_fields(session), ["token_hash"])

    def by_token(self, token_hash: str) -> Session | None:
        row = SessionRow.objects.using(self._db).filter(token_hash=token_hash).first()
        return mappers.session_from_row(row) if row is not None else None

    def get(self, tenant: str, session_id: str) -> Session | None:
        row = SessionRow.objects.using(self._db).filter(tenant=tenant, session_id=session_id).first()
        return mappers.session_from_row(row) if row is not None else None

    def list(self, tenant: str, user_id: str) -> list[Session]:
        rows = SessionRow.objects.using(self._db).filter(tenant=tenant, user_id=user_id)
        return [mappers.session_from_row(r) for r in rows.order_by("-created_at_ms", "-session_id")]

    def revoke_all(self, tenant: str, user_id: str | None, now_ms: int) -> int:
        rows = SessionRow.objects.using(self._db).filter(tenant=tenant, revoked_at_ms__isnull=True)
        if user_id is not None:
            rows = rows.filter(user_id=user_id)
        return rows.update(revoked_at_ms=now_ms)

    def purge(self, before_ms: int) -> int:
        ended = (Q(expires_at_ms__lt=before_ms) | Q(revoked_at_ms__lt=before_ms)
                 | Q(last_seen_at_ms__lt=before_ms - F("idle_ms")))
        deleted, _ = SessionRow.objects.using(self._db).filter(ended).delete()
        return deleted


class DjangoOneTimeTokenRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, token: OneTimeToken) -> None:
        insert(TokenRow, self._db, {"token_hash": token.token_hash, "kind": token.kind,
                                    "expires_at_ms": token.expires_at_ms, "payload": token.payload},
               "this one-time token")

    def take(self, kind: str, token_hash: str, now_ms: int) -> OneTimeToken | None:
        rows = TokenRow.objects.using(self._db).filter(token_hash=token_hash, kind=kind)
        row = rows.first()
        # The DELETE decides who took it: of two concurrent takers only one deletes a row.
        if row is None or rows.filter(pk=row.pk).delete()[0] == 0:
            return None
        return mappers.one_time_token_from_row(row) if now_ms < row.expires_at_ms else None

    def purge(self, now_ms: int) -> int:
        deleted, _ = TokenRow.objects.using(self._db).filter(expires_at_ms__lte=now_ms).delete()
        return deleted


class DjangoLoginThrottleRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def get(self, key: str) -> ThrottleState | None:
        row = ThrottleRow.objects.using(self._db).filter(key=key).first()
        return mappers.throttle_from_row(row) if row is not None else None

    def save(self, key: str, state: ThrottleState, forget_after_ms: int) -> None:
        upsert(ThrottleRow, self._db, {
            "key": key, "failures": state.failures, "window_start_ms": state.window_start_ms,
            "locked_until_ms": state.locked_until_ms, "lockouts": state.lockouts, "forget_after_ms": forget_after_ms,
        }, ["key"])

    def delete(self, key: str) -> None:
        ThrottleRow.objects.using(self._db).filter(key=key).delete()

    def purge(self, now_ms: int) -> int:
        deleted, _ = ThrottleRow.objects.using(self._db).filter(forget_after_ms__lte=now_ms).delete()
        return deleted


class DjangoAuditRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, entry: AuditEntry) -> None:
        insert(AuditRow, self._db, mappers.audit_fields(entry), f"audit entry {entry.id!r}")

    def query(self, query: AuditQuery) -> list[AuditEntry]:
        rows = AuditRow.objects.using(self._db).filter(tenant=query.tenant)
        if query.actor is not None:
            rows = rows.filter(actor=query.actor)
        if query.action is not None:
            rows = (rows.filter(action__startswith=query.action[:-1]) if query.action.endswith(".*")
                    else rows.filter(action=query.action))
        if query.target is not None:
            rows = rows.filter(target=query.target)
        if query.since_ms is not None:
            rows = rows.filter(at_ms__gte=query.since_ms)
        if query.until_ms is not None:
            rows = rows.filter(at_ms__lt=query.until_ms)
        if query.before is not None:
            rows = rows.filter(entry_id__lt=query.before)
        return [mappers.audit_from_row(r) for r in rows.order_by("-entry_id")[: query.limit]]

    def purge(self, before_ms: int) -> int:
        deleted, _ = AuditRow.objects.using(self._db).filter(at_ms__lt=before_ms).delete()
        return deleted
