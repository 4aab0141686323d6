"""Login throttling: how many wrong passwords an account takes before it is locked.

A pure state machine per account key (tenant and username, whether or not such a user
exists, so the answers do not reveal which usernames are real):

- ``max_failures`` wrong attempts within ``window_ms`` lock the account for
  ``lockout_ms``; each further lockout doubles the time, up to ``max_lockout_ms``;
- while locked every attempt is refused without checking the password (no guess is
  spent, and a locked account costs no hashing);
- a correct password resets the count and the doubling;
- a lockout long past (more than ``max_lockout_ms`` ago) is forgotten, so someone who
  mistypes twice a month does not climb the ladder forever.

An attacker gets at most ``max_failures`` guesses per lockout period, so at most
``2 * max_failures`` failures counted in any interval of ``lockout_ms``.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class ThrottleState:
    failures: int = 0  # wrong attempts in the current window
    window_start_ms: int = 0  # when the first of them happened
    locked_until_ms: int | None = None
    lockouts: int = 0  # consecutive lockouts (the doubling's exponent)


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    max_failures: int = 5
    window_ms: int = 15 * 60_000
    lockout_ms: int = 15 * 60_000
    max_lockout_ms: int = 24 * 3_600_000

    def __post_init__(self) -> None:
        for name in ("max_failures", "window_ms", "lockout_ms", "max_lockout_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"{name} must be a positive integer", field=name)
        if self.max_lockout_ms < self.lockout_ms:
            raise ValidationError("max_lockout_ms must be at least lockout_ms", field="max_lockout_ms")

    def retry_after_ms(self, state: ThrottleState, now_ms: int) -> int:
        """0 when an attempt may be made now, else how long until one may."""
        if state.locked_until_ms is not None and now_ms < state.locked_until_ms:
            return state.locked_until_ms - now_ms
        return 0

    def failed(self, state: ThrottleState, now_ms: int) -> ThrottleState:
        """The state after a wrong attempt at ``now_ms`` (one made while locked changes nothing)."""
        if self.retry_after_ms(state, now_ms):
            return state
        lockouts, locked_until = state.lockouts, state.locked_until_ms
        if locked_until is not None and now_ms - locked_until > self.max_lockout_ms:
            lockouts, locked_until = 0, None  # the last lockout is long forgotten
        if state.failures == 0 or now_ms - state.window_start_ms >= self.window_ms or now_ms < state.window_start_ms:
            failures, start = 1, now_ms
        else:
            failures, start = state.failures + 1, state.window_start_ms
        if failures >= self.max_failures:
            duration = min(self.lockout_ms * 2 ** min(lockouts, 32), self.max_lockout_ms)
            return ThrottleState(0, now_ms, now_ms + duration, lockouts + 1)
        return ThrottleState(failures, start, locked_until, lockouts)

    def succeeded(self, state: ThrottleState) -> ThrottleState:
        """A correct password: the slate is clean."""
        return ThrottleState()

    def forget_at_ms(self, state: ThrottleState) -> int:
        """When nothing in ``state`` matters any more: its record may be dropped then."""
        ends = [state.window_start_ms + self.window_ms]
        if state.locked_until_ms is not None:
            ends.append(state.locked_until_ms + self.max_lockout_ms)
        return max(ends)

    def expired(self, state: ThrottleState, now_ms: int) -> bool:
        return now_ms > self.forget_at_ms(state)
