"""Sign-in outcomes the HTTP adapter answers specially (429 with Retry-After, 401 with
``mfa_required``); both are ``AuthenticationFailed``, so any other caller treats them
as a refused sign-in."""

from __future__ import annotations

from domain.errors import AuthenticationFailed


class LoginLocked(AuthenticationFailed):
    """Too many wrong passwords: no attempt is checked until ``retry_after_s`` passed."""

    limit = "login_failures"

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"too many failed sign-ins; try again in {max(1, round(retry_after_s))} seconds")
        self.retry_after_s = retry_after_s


class MfaRequired(AuthenticationFailed):
    """The password was right and the account has a second factor: send the TOTP code."""

    def __init__(self) -> None:
        super().__init__("enter the code from your authenticator app")
