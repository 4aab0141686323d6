"""Tenant, API key, user and team repositories over ``oe_identity`` (ports/identity_store.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from adapters.django_orm.identity import mappers
from adapters.django_orm.identity.models import ApiKey as ApiKeyRow
from adapters.django_orm.identity.models import ExternalAccount as ExternalAccountRow
from adapters.django_orm.identity.models import Team as TeamRow
from adapters.django_orm.identity.models import TeamMember as TeamMemberRow
from adapters.django_orm.identity.models import Tenant as TenantRow
from adapters.django_orm.identity.models import User as UserRow
from adapters.django_orm.rows import insert, upsert
from domain.errors import Conflict
from domain.identity.api_keys import ApiKey
from domain.identity.teams import Team
from domain.identity.tenants import Tenant
from domain.identity.users import User, UserStatus


class DjangoTenantRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, tenant: Tenant) -> None:
        insert(TenantRow, self._db, mappers.tenant_fields(tenant), f"tenant {tenant.id!r}")

    def save(self, tenant: Tenant) -> None:
        fields = mappers.tenant_fields(tenant)
        TenantRow.objects.using(self._db).filter(id=fields.pop("id")).update(**fields)

    def get(self, tenant_id: str) -> Tenant | None:
        row = TenantRow.objects.using(self._db).filter(id=tenant_id).first()
        return mappers.tenant_from_row(row) if row is not None else None

    def list(self) -> list[Tenant]:
        rows = TenantRow.objects.using(self._db).order_by("created_at_ms", "id")
        return [mappers.tenant_from_row(r) for r in rows]


class DjangoApiKeyRepository:
    """Keys are looked up by their globally unique prefix (the ingest hot path)."""

    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, key: ApiKey) -> None:
        insert(ApiKeyRow, self._db, mappers.api_key_fields(key), "an API key with this prefix")

    def save(self, key: ApiKey) -> None:
        upsert(ApiKeyRow, self._db, mappers.api_key_fields(key), ["prefix"])

    def by_prefix(self, prefix: str) -> ApiKey | None:
        row = ApiKeyRow.objects.using(self._db).filter(prefix=prefix).first()
        return mappers.api_key_from_row(row) if row is not None else None

    def get(self, tenant: str, key_id: str) -> ApiKey | None:
        row = ApiKeyRow.objects.using(self._db).filter(tenant=tenant, key_id=key_id).first()
        return mappers.api_key_from_row(row) if row is not None else None

    def list(self, tenant: str) -> list[ApiKey]:
        rows = ApiKeyRow.objects.using(self._db).filter(tenant=tenant).order_by("created_at_ms", "key_id")
        return [mappers.api_key_from_row(r) for r in rows]


class DjangoUserRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def _rows(self):
        return UserRow.objects.using(self._db).prefetch_related("external_accounts")

    def _conflict(self, user: User) -> Conflict:
        """Which uniqueness rule a failed write broke (the database only says "one")."""
        rows = UserRow.objects.using(self._db).filter(tenant=user.tenant).exclude(user_id=user.id)
        if rows.filter(username=user.username).exists():
            return Conflict(f"username {user.username!r} is taken in tenant {user.tenant!r}")
        if rows.filter(email__iexact=user.email).exists():
            return Conflict(f"email {user.email!r} is taken in tenant {user.tenant!r}")
        if UserRow.objects.using(self._db).filter(tenant=user.tenant, user_id=user.id).exists():
            return Conflict(f"user {user.id!r} already exists")
        return Conflict("this external account is linked to another user")

    def add(self, user: User) -> None:
        try:
            with transaction.atomic(using=self._db):
                row = UserRow.objects.using(self._db).create(**mappers.user_fields(user))
                self._link(row, user)
        except IntegrityError:
            raise self._conflict(user) from None

    def save(self, user: User) -> None:
        fields = mappers.user_fields(user)
        try:
            with transaction.atomic(using=self._db):
                row = UserRow.objects.using(self._db).select_for_update().get(tenant=user.tenant, user_id=user.id)
                for name, value in fields.items():
                    setattr(row, name, value)
                row.save()
                ExternalAccountRow.objects.using(self._db).filter(user=row).delete()
                self._link(row, user)
        except UserRow.DoesNotExist:
            raise Conflict(f"user {user.id!r} does not exist; add it first") from None
        except IntegrityError:
            raise self._conflict(user) from None

    def _link(self, row: UserRow, user: User) -> None:
        ExternalAccountRow.objects.using(self._db).bulk_create([
            ExternalAccountRow(tenant=user.tenant, user=row, provider=a.provider, issuer=a.issuer, subject=a.subject)
            for a in sorted(user.external_accounts, key=lambda a: (a.issuer, a.subject))
        ])

    def _one(self, **filters) -> User | None:
        row = self._rows().filter(**filters).first()
        return mappers.user_from_row(row) if row is not None else None

    def get(self, tenant: str, user_id: str) -> User | None:
        return self._one(tenant=tenant, user_id=user_id)

    def by_username(self, tenant: str, username: str) -> User | None:
        return self._one(tenant=tenant, username=username)

    def by_email(self, tenant: str, email: str) -> User | None:
        return self._one(tenant=tenant, email__iexact=email)

    def by_external(self, tenant: str, issuer: str, subject: str) -> User | None:
        return self._one(tenant=tenant, external_accounts__issuer=issuer, external_accounts__subject=subject)

    def by_invite_token(self, token_hash: str) -> User | None:
        return self._one(invite_token_hash=token_hash)

    def list(self, tenant: str, statuses: Sequence[UserStatus] = ()) -> list[User]:
        rows = self._rows().filter(tenant=tenant)
        if statuses:
            rows = rows.filter(status__in=[UserStatus(s).value for s in statuses])
        return [mappers.user_from_row(r) for r in rows.order_by("username")]


class DjangoTeamRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, team: Team) -> None:
        try:
            with transaction.atomic(using=self._db):
                row = TeamRow.objects.using(self._db).create(
                    tenant=team.tenant, team_id=team.id, name=team.name, description=team.description)
                self._members(row, team)
        except IntegrityError:
            raise self._conflict(team) from None

    def save(self, team: Team) -> None:
        try:
            with transaction.atomic(using=self._db):
                row = TeamRow.objects.using(self._db).select_for_update().get(tenant=team.tenant, team_id=team.id)
                row.name, row.description = team.name, team.description
                row.save()
                TeamMemberRow.objects.using(self._db).filter(team=row).delete()
                self._members(row, team)
        except TeamRow.DoesNotExist:
            raise Conflict(f"team {team.id!r} does not exist; add it first") from None
        except IntegrityError:
            raise self._conflict(team) from None

    def _conflict(self, team: Team) -> Conflict:
        if TeamRow.objects.using(self._db).filter(tenant=team.tenant, team_id=team.id).exists():
            return Conflict(f"team {team.id!r} already exists")
        return Conflict(f"a team named {team.name!r} exists already")

    def _members(self, row: TeamRow, team: Team) -> None:
        TeamMemberRow.objects.using(self._db).bulk_create(
            [TeamMemberRow(team=row, user_id=u) for u in sorted(team.members)])

    def _out(self, rows) -> list[Team]:
        rows = list(rows.prefetch_related("memberships"))
        return [mappers.team_from_row(r, [m.user_id for m in r.memberships.all()]) for r in rows]

    def get(self, tenant: str, team_id: str) -> Team | None:
        found = self._out(TeamRow.objects.using(self._db).filter(tenant=tenant, team_id=team_id))
        return found[0] if found else None

    def list(self, tenant: str, member: str | None = None) -> list[Team]:
        rows = TeamRow.objects.using(self._db).filter(tenant=tenant)
        if member is not None:
            rows = rows.filter(memberships__user_id=member)
        teams = self._out(rows.distinct())
        return sorted(teams, key=lambda t: (t.name.lower(), t.id))

    def remove(self, tenant: str, team_id: str) -> bool:
        deleted, _ = TeamRow.objects.using(self._db).filter(tenant=tenant, team_id=team_id).delete()
        return deleted > 0
