"""The login throttle: a pure state machine, checked against its promises with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from domain.errors import ValidationError
from domain.identity import LoginThrottle, ThrottleState

POLICY = LoginThrottle(max_failures=5, window_ms=15 * 60_000, lockout_ms=15 * 60_000, max_lockout_ms=4 * 3_600_000)
policies = st.builds(
    LoginThrottle,
    max_failures=st.integers(1, 8),
    window_ms=st.integers(1, 10_000),
    lockout_ms=st.integers(1, 10_000),
    max_lockout_ms=st.integers(10_000, 100_000),
)
# An attempt: a gap since the previous one, and whether the password was right.
attempts = st.lists(st.tuples(st.integers(0, 30_000), st.booleans()), max_size=80)


def run(policy: LoginThrottle, script, start: int = 1_000_000):
    """Drive the throttle like the sign-in service; yield (time, allowed, correct, state after)."""
    state, now = ThrottleState(), start
    for gap, correct in script:
        now += gap
        allowed = policy.retry_after_ms(state, now) == 0
        if allowed:
            state = policy.succeeded(state) if correct else policy.failed(state, now)
        yield now, allowed, correct, state


def test_five_wrong_passwords_lock_the_account_and_the_lock_doubles():
    state, now = ThrottleState(), 0
    for i in range(4):
        state = POLICY.failed(state, now + i)
        assert POLICY.retry_after_ms(state, now + i) == 0
    state = POLICY.failed(state, 4)
    assert POLICY.retry_after_ms(state, 4) == 15 * 60_000
    assert POLICY.failed(state, 5) == state  # refused attempts change nothing
    unlocked = 4 + 15 * 60_000
    assert POLICY.retry_after_ms(state, unlocked) == 0
    for i in range(5):
        state = POLICY.failed(state, unlocked + i)
    assert POLICY.retry_after_ms(state, unlocked + 4) == 30 * 60_000
    assert POLICY.succeeded(state) == ThrottleState()


def test_failures_spread_wider_than_the_window_never_lock():
    state = ThrottleState()
    for i in range(50):
        now = i * POLICY.window_ms  # each failure a full window after the one before
        state = POLICY.failed(state, now)
        assert POLICY.retry_after_ms(state, now) == 0 and state.failures == 1


def test_a_lockout_long_past_is_forgotten():
    state = ThrottleState(locked_until_ms=1000, lockouts=6)
    later = 1000 + POLICY.max_lockout_ms + 1
    assert POLICY.expired(state, later + POLICY.window_ms)
    for i in range(5):
        state = POLICY.failed(state, later + i)
    assert POLICY.retry_after_ms(state, later + 4) == POLICY.lockout_ms  # back to the first rung


@given(policies, attempts)
def test_refused_exactly_while_locked_and_never_longer_than_the_maximum(policy, script):
    state = ThrottleState()
    for now, allowed, _, after in run(policy, script):
        wait = policy.retry_after_ms(state, now)
        assert allowed == (wait == 0)
        assert 0 <= wait <= policy.max_lockout_ms
        assert policy.retry_after_ms(after, now) <= policy.max_lockout_ms
        state = after


@given(policies, attempts)
def test_a_correct_password_when_allowed_resets_everything(policy, script):
    for now, allowed, correct, state in run(policy, script):
        if allowed and correct:
            assert state == ThrottleState() and policy.retry_after_ms(state, now) == 0


@given(policies, attempts)
def test_max_failures_counted_within_a_window_lock_the_account(policy, script):
    counted: list[int] = []  # times of wrong passwords the throttle accepted to check
    for now, allowed, correct, state in run(policy, script):
        if not allowed:
            continue
        if correct:
            counted.clear()
            continue
        counted.append(now)
        streak = []  # the failures since the last lock or reset, within one window of the first
        for t in counted:
            if streak and t - streak[0] >= policy.window_ms:
                streak = []
            streak.append(t)
        if len(streak) >= policy.max_failures:
            assert policy.retry_after_ms(state, now) > 0
            counted.clear()
        else:
            assert policy.retry_after_ms(state, now) == 0


@given(policies, attempts)
def test_guesses_are_rate_limited(policy, script):
    """At most 2 * max_failures wrong passwords are checked in any interval of lockout_ms."""
    checked = [now for now, allowed, correct, _ in run(policy, script) if allowed and not correct]
    for i, start in enumerate(checked):
        within = [t for t in checked[i:] if t < start + policy.lockout_ms]
        assert len(within) <= 2 * policy.max_failures


@given(policies, attempts)
def test_an_expired_record_is_as_good_as_none(policy, script):
    for now, _, _, state in run(policy, script):
        later = now + policy.window_ms + policy.max_lockout_ms * 2 + 1
        if policy.expired(state, later):
            assert policy.failed(state, later) == policy.failed(ThrottleState(), later)


@pytest.mark.parametrize("kwargs", [{"max_failures": 0}, {"window_ms": -1}, {"lockout_ms": True},
                                    {"lockout_ms": 10, "max_lockout_ms": 5}])
def test_policy_validation(kwargs):
    with pytest.raises(ValidationError):
        LoginThrottle(**kwargs)
