"""Identity use cases: authentication (API keys, bearer JWTs, sessions, WebSocket
tickets), signing in and out (local passwords with TOTP and throttling, identity
providers, invitations), people and teams, API keys, tenants, and the audit log."""

from services.identity.accounts import AccountService, Invitation, Profile
from services.identity.audit import Actor, AuditService
from services.identity.authentication import Authenticator, SessionAuth
from services.identity.config import IdentityOptions
from services.identity.errors import LoginLocked, MfaRequired
from services.identity.keys import ApiKeyService
from services.identity.sign_in import Client, SignedIn, SignInService
from services.identity.tenants import TenantCreated, TenantService

__all__ = [
    "AccountService",
    "Actor",
    "ApiKeyService",
    "AuditService",
    "Authenticator",
    "Client",
    "IdentityOptions",
    "Invitation",
    "LoginLocked",
    "MfaRequired",
    "Profile",
    "SessionAuth",
    "SignInService",
    "SignedIn",
    "TenantCreated",
    "TenantService",
]
