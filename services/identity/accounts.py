"""People and teams: your own profile and second factor; the users and teams of a tenant
(an admin's work). Every change is audited in the unit of work that makes it.

Two rules keep a tenant manageable: its last active admin can be neither demoted nor
deactivated, and a deactivated user, or one whose new role is below what their API keys
may do, loses those keys (and a deactivated user their sessions) at once.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from domain.errors import Conflict, NotFound, ValidationError
from domain.identity.permissions import Role
from domain.identity.principal import Principal
from domain.identity.profile import parse_contacts, validate_timezone
from domain.identity.sessions import hash_token, new_token
from domain.identity.teams import Team
from domain.identity.tenants import validate_name
from domain.identity.users import Totp, User, UserStatus, check_new_password
from ports.clock import Clock
from ports.credentials import PasswordHasher, SecondFactor, TotpEnrolment
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.identity.audit import Actor, team_view, user_view
from services.identity.config import IdentityOptions
from services.identity.verified_keys import VerifiedKeys, credentials_changed


@dataclass(frozen=True, slots=True)
class Profile:
    """Who the caller is: the principal, and the user and their teams when it is a person."""

    principal: Principal
    user: User | None
    teams: tuple[Team, ...] = ()


@dataclass(frozen=True, slots=True)
class Invitation:
    user: User
    token: str  # shown once: the invited person sets their password with it
    expires_at_ms: int


def _user(uow: UnitOfWork, tenant: str, user_id: str) -> User:
    found = uow.users.get(tenant, user_id)
    if found is None:
        raise NotFound(f"no user {user_id!r}")
    return found


def _existing_tenant(uow: UnitOfWork, tenant: str) -> None:
    if uow.tenants.get(tenant) is None:
        raise NotFound(f"no tenant {tenant!r}")


def _keep_an_admin(uow: UnitOfWork, user: User) -> None:
    """Refuse a change that would leave the tenant without an active admin."""
    others = [u for u in uow.users.list(user.tenant, [UserStatus.ACTIVE]) if u.role is Role.ADMIN and u.id != user.id]
    if user.role is Role.ADMIN and user.active and not others:
        raise Conflict(f"{user.username!r} is the last active admin of tenant {user.tenant!r}; make someone else "
                       "admin first")


def revoke_keys(uow: UnitOfWork, actor: Actor, user: User, now: int, *, beyond: Role | None = None) -> int:
    """Revoke the active keys ``user`` owns (only those exceeding ``beyond`` if given)."""
    count = 0
    for key in uow.api_keys.list(user.tenant):
        if key.owner == user.id and key.is_active(now) and (beyond is None or key.exceeds(beyond)):
            uow.api_keys.save(key.revoke(now))
            uow.audit.add(actor.entry(user.tenant, "api_key.revoke", f"api_key:{key.id}", now,
                                      after={"reason": "owner deactivated" if beyond is None else f"owner is now {beyond.value}"}))
            count += 1
    return count


class AccountService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, hasher: PasswordHasher, second_factor: SecondFactor,
                 options: IdentityOptions | None = None, verified_keys: VerifiedKeys | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._totp = second_factor
        self._options = options or IdentityOptions()
        self._verified = verified_keys

    # ================================================================== yourself

    async def profile(self, principal: Principal) -> Profile:
        def work(uow: UnitOfWork) -> Profile:
            if principal.user_id is None:
                return Profile(principal, None)
            user = uow.users.get(principal.tenant, principal.user_id)
            return Profile(principal, user, tuple(uow.teams.list(principal.tenant, member=principal.user_id)))

        return await self._uow.run(work)

    def _own(self, principal: Principal) -> str:
        if principal.user_id is None:
            raise ValidationError("only a signed-in person has a profile; this credential is not one", field="credential")
        return principal.user_id

    async def update_profile(self, principal: Principal, actor: Actor, *, name: str | None = None,
                             timezone: str | None = None, contacts: Sequence[object] | None = None) -> Profile:
        user_id, now = self._own(principal), self._clock.now_ms()
        changes: dict[str, object] = {}
        if name is not None:
            changes["name"] = validate_name(name)
        if timezone is not None:
            changes["timezone"] = validate_timezone(timezone)
        if contacts is not None:
            changes["contacts"] = parse_contacts(list(contacts))

        def work(uow: UnitOfWork) -> None:
            user = _user(uow, principal.tenant, user_id)
            updated = replace(user, **changes)  # type: ignore[arg-type]
            uow.users.save(updated)
            uow.audit.add(actor.entry(user.tenant, "user.update_profile", f"user:{user.id}", now,
                                      before=user_view(user), after=user_view(updated)))

        await self._uow.run(work)
        return await self.profile(principal)

    async def start_totp(self, principal: Principal, actor: Actor) -> TotpEnrolment:
        """Begin (or restart) enrolment: a new secret, not yet required at sign-in."""
        user_id, now = self._own(principal), self._clock.now_ms()

        def work(uow: UnitOfWork) -> TotpEnrolment:
            user = _user(uow, principal.tenant, user_id)
            if user.mfa_enabled:
                raise Conflict("a second factor is enrolled already; remove it first (with a current code)")
            enrolment = self._totp.enrol(f"{user.username}@{user.tenant}", self._options.totp_issuer)
            uow.users.save(replace(user, totp=Totp(enrolment.sealed)))
            uow.audit.add(actor.entry(user.tenant, "user.totp_start", f"user:{user.id}", now))
            return enrolment

        return await self._uow.run(work)

    async def confirm_totp(self, principal: Principal, actor: Actor, code: str) -> Profile:
        user_id, now = self._own(principal), self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            user = _user(uow, principal.tenant, user_id)
            if user.totp is None or user.totp.confirmed:
                raise Conflict("no enrolment is waiting to be confirmed; start one first")
            step = self._totp.verify(user.totp.secret, code, now, user.totp.last_step)
            if step is None:
                raise ValidationError("that code is not valid now; check your authenticator app's clock", field="code")
            uow.users.save(replace(user, totp=Totp(user.totp.secret, confirmed=True, last_step=step)))
            uow.audit.add(actor.entry(user.tenant, "user.totp_enable", f"user:{user.id}", now,
                                      before={"mfa_enabled": False}, after={"mfa_enabled": True}))

        await self._uow.run(work)
        return await self.profile(principal)

    async def disable_totp(self, principal: Principal, actor: Actor, code: str) -> None:
        user_id, now = self._own(principal), self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            user = _user(uow, principal.tenant, user_id)
            if user.totp is None:
                raise Conflict("no second factor is enrolled")
            if user.mfa_enabled and self._totp.verify(user.totp.secret, code, now, user.totp.last_step) is None:
                raise ValidationError("that code is not valid now", field="code")
            uow.users.save(replace(user, totp=None))
            uow.audit.add(actor.entry(user.tenant, "user.totp_disable", f"user:{user.id}", now,
                                      before={"mfa_enabled": user.mfa_enabled}, after={"mfa_enabled": False}))

        await self._uow.run(work)

    async def change_password(self, principal: Principal, actor: Actor, current: str, new: str) -> None:
        """Needs the current password; every other session of the user is ended."""
        user_id, now = self._own(principal), self._clock.now_ms()
        user = await self._uow.run(lambda uow: _user(uow, principal.tenant, user_id))
        if user.password_hash is None or not await asyncio.to_thread(self._hasher.verify, current, user.password_hash):
            raise ValidationError("the current password is wrong", field="current_password")
        check_new_password(new, username=user.username, email=user.email, field="new_password")
        encoded = await asyncio.to_thread(self._hasher.hash, new)

        def work(uow: UnitOfWork) -> None:
            fresh = _user(uow, principal.tenant, user_id)
            uow.users.save(fresh.set_password(encoded))
            for session in uow.sessions.list(fresh.tenant, fresh.id):
                if session.id != principal.session_id and session.revoked_at_ms is None:
                    uow.sessions.save(session.revoke(now))
            uow.audit.add(actor.entry(fresh.tenant, "user.change_password", f"user:{fresh.id}", now))

        await self._uow.run(work)

    # ================================================================== users (admins)

    async def list_users(self, tenant: str, statuses: Sequence[UserStatus] = ()) -> list[User]:
        return await self._uow.run(lambda uow: uow.users.list(tenant, statuses))

    async def get_user(self, tenant: str, user_id: str) -> User:
        return await self._uow.run(lambda uow: _user(uow, tenant, user_id))

    async def invite(self, tenant: str, actor: Actor, *, username: str, email: str, name: str,
                     role: Role | str = Role.VIEWER) -> Invitation:
        """An invited user and their one-time set-password token (for the admin to hand over)."""
        now, token = self._clock.now_ms(), new_token()
        user = User(f"usr_{secrets.token_hex(8)}", tenant, username, email, name, Role.parse(role),
                    status=UserStatus.INVITED, created_at_ms=now).invite(
            hash_token(token), now, self._options.invite_lifetime_ms)

        def work(uow: UnitOfWork) -> None:
            _existing_tenant(uow, tenant)
            uow.users.add(user)
            uow.audit.add(actor.entry(tenant, "user.invite", f"user:{user.id}", now, after=user_view(user)))

        await self._uow.run(work)
        assert user.invite_expires_at_ms is not None
        return Invitation(user, token, user.invite_expires_at_ms)

    async def create_user(self, tenant: str, actor: Actor, *, username: str, email: str, name: str, role: Role | str,
                          password: str, platform_admin: bool = False) -> User:
        """An active user with a password (the command line and first-run bootstrap)."""
        now = self._clock.now_ms()
        user = User(f"usr_{secrets.token_hex(8)}", tenant, username, email, name, Role.parse(role),
                    created_at_ms=now, platform_admin=platform_admin)
        check_new_password(password, username=user.username, email=user.email)
        user = replace(user, password_hash=await asyncio.to_thread(self._hasher.hash, password))

        def work(uow: UnitOfWork) -> None:
            _existing_tenant(uow, tenant)
            uow.users.add(user)
            uow.audit.add(actor.entry(tenant, "user.create", f"user:{user.id}", now, after=user_view(user)))

        await self._uow.run(work)
        return user

    async def _change(self, tenant: str, user_id: str, actor: Actor, action: str, change) -> User:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> User:
            user = _user(uow, tenant, user_id)
            updated = change(uow, user, now)
            if updated != user:
                uow.users.save(updated)
                uow.audit.add(actor.entry(tenant, action, f"user:{user.id}", now,
                                          before=user_view(user), after=user_view(updated)))
            return updated

        updated = await self._uow.run(work)
        await credentials_changed(self._verified, tenant)  # a role change or deactivation revokes keys
        return updated

    async def set_role(self, tenant: str, actor: Actor, user_id: str, role: Role | str) -> User:
        new_role = Role.parse(role)

        def change(uow: UnitOfWork, user: User, now: int) -> User:
            if new_role is not Role.ADMIN:
                _keep_an_admin(uow, user)
            revoke_keys(uow, actor, user, now, beyond=new_role)
            return replace(user, role=new_role)

        return await self._change(tenant, user_id, actor, "user.set_role", change)

    async def deactivate(self, tenant: str, actor: Actor, user_id: str) -> User:
        def change(uow: UnitOfWork, user: User, now: int) -> User:
            _keep_an_admin(uow, user)
            uow.sessions.revoke_all(tenant, user.id, now)
            revoke_keys(uow, actor, user, now)
            return user.deactivate(now)

        return await self._change(tenant, user_id, actor, "user.deactivate", change)

    async def reactivate(self, tenant: str, actor: Actor, user_id: str) -> User:
        return await self._change(tenant, user_id, actor, "user.reactivate", lambda uow, user, now: user.reactivate())

    async def reset_password(self, tenant: str, actor: Actor, user_id: str) -> Invitation:
        """A new one-time token to set a password with (invited or active users)."""
        token = new_token()
        lifetime = self._options.invite_lifetime_ms
        user = await self._change(tenant, user_id, actor, "user.reset_password",
                                  lambda uow, user, now: user.invite(hash_token(token), now, lifetime))
        assert user.invite_expires_at_ms is not None
        return Invitation(user, token, user.invite_expires_at_ms)

    async def reset_mfa(self, tenant: str, actor: Actor, user_id: str) -> User:
        """Remove a user's second factor (a lost phone); they enrol again."""
        return await self._change(tenant, user_id, actor, "user.reset_mfa",
                                  lambda uow, user, now: replace(user, totp=None))

    async def set_platform_admin(self, tenant: str, actor: Actor, user_id: str, value: bool) -> User:
        return await self._change(tenant, user_id, actor, "user.set_platform_admin",
                                  lambda uow, user, now: replace(user, platform_admin=bool(value)))

    # ================================================================== teams

    async def list_teams(self, tenant: str, member: str | None = None) -> list[Team]:
        return await self._uow.run(lambda uow: uow.teams.list(tenant, member))

    async def get_team(self, tenant: str, team_id: str) -> Team:
        def work(uow: UnitOfWork) -> Team:
            team = uow.teams.get(tenant, team_id)
            if team is None:
                raise NotFound(f"no team {team_id!r}")
            return team

        return await self._uow.run(work)

    @staticmethod
    def _check_members(uow: UnitOfWork, tenant: str, members: Sequence[str]) -> None:
        for i, member in enumerate(members):
            if not isinstance(member, str) or uow.users.get(tenant, member) is None:
                raise ValidationError(f"no user {member!r} in this tenant", field=f"members[{i}]")

    async def create_team(self, tenant: str, actor: Actor, *, team_id: str, name: str, description: str = "",
                          members: Sequence[str] = ()) -> Team:
        now = self._clock.now_ms()
        team = Team(team_id, tenant, name, description, frozenset(members))

        def work(uow: UnitOfWork) -> Team:
            _existing_tenant(uow, tenant)
            self._check_members(uow, tenant, list(members))
            uow.teams.add(team)
            uow.audit.add(actor.entry(tenant, "team.create", f"team:{team.id}", now, after=team_view(team)))
            return team

        return await self._uow.run(work)

    async def update_team(self, tenant: str, actor: Actor, team_id: str, *, name: str | None = None,
                          description: str | None = None, members: Sequence[str] | None = None) -> Team:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> Team:
            team = uow.teams.get(tenant, team_id)
            if team is None:
                raise NotFound(f"no team {team_id!r}")
            updated = team
            if name is not None:
                updated = replace(updated, name=name)
            if description is not None:
                updated = replace(updated, description=description)
            if members is not None:
                self._check_members(uow, tenant, list(members))
                updated = replace(updated, members=frozenset(members))
            if updated != team:
                uow.teams.save(updated)
                uow.audit.add(actor.entry(tenant, "team.update", f"team:{team.id}", now,
                                          before=team_view(team), after=team_view(updated)))
            return updated

        return await self._uow.run(work)

    async def delete_team(self, tenant: str, actor: Actor, team_id: str) -> None:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            team = uow.teams.get(tenant, team_id)
            if team is None or not uow.teams.remove(tenant, team_id):
                raise NotFound(f"no team {team_id!r}")
            uow.audit.add(actor.entry(tenant, "team.delete", f"team:{team_id}", now, before=team_view(team)))

        await self._uow.run(work)
