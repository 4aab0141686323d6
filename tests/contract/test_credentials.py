"""Contract of ports.credentials: password hashers (scrypt without a framework, Django's
hashers) and the TOTP second factor."""

from __future__ import annotations

import asyncio
import os
import stat
from contextlib import asynccontextmanager

import pyotp
import pytest

from adapters.memory.passwords import ScryptPasswordHasher
from adapters.totp import TotpAuthenticator, load_or_create_key
from tests.contract.django_support import ensure_django


@asynccontextmanager
async def scrypt_hasher():
    yield ScryptPasswordHasher()


@asynccontextmanager
async def django_hasher():
    await asyncio.to_thread(ensure_django)
    from adapters.django_orm.identity.passwords import DjangoPasswordHasher

    yield DjangoPasswordHasher()


@pytest.fixture(params=[pytest.param(scrypt_hasher, id="scrypt"), pytest.param(django_hasher, id="django")])
async def hasher(request):
    async with request.param() as h:
        yield h


async def test_a_hash_verifies_its_password_only(hasher):
    encoded = await asyncio.to_thread(hasher.hash, "correct horse battery staple")
    assert "correct horse" not in encoded
    assert await asyncio.to_thread(hasher.verify, "correct horse battery staple", encoded)
    assert not await asyncio.to_thread(hasher.verify, "correct horse battery stapler", encoded)


async def test_hashes_are_salted(hasher):
    a, b = await asyncio.gather(asyncio.to_thread(hasher.hash, "same password"),
                                asyncio.to_thread(hasher.hash, "same password"))
    assert a != b


@pytest.mark.parametrize("garbage", ["", "plain", "scrypt$1$2$3$x$y", "pbkdf2_sha256$x$y$z", "$$$$$"])
async def test_garbage_hashes_never_verify(hasher, garbage):
    assert not await asyncio.to_thread(hasher.verify, "anything", garbage)


def test_scrypt_keeps_its_parameters_in_the_hash():
    cheap = ScryptPasswordHasher(n=2**10)
    encoded = cheap.hash("a password here")
    assert encoded.startswith("scrypt$1024$8$1$")
    assert ScryptPasswordHasher().verify("a password here", encoded)  # other defaults, old hash still good


# --------------------------------------------------------------------------- TOTP

NOW_MS = 1_700_000_000_000


@pytest.fixture
def totp() -> TotpAuthenticator:
    return TotpAuthenticator(os.urandom(32))


def test_enrolment_seals_the_secret(totp):
    enrolment = totp.enrol("ada@acme", "Observer-Eye")
    assert enrolment.secret not in enrolment.sealed and enrolment.sealed.startswith("v1.")
    assert enrolment.otpauth_uri.startswith("otpauth://totp/") and enrolment.secret in enrolment.otpauth_uri
    assert "Observer-Eye" in enrolment.otpauth_uri and enrolment.secret not in repr(enrolment)


def test_codes_verify_once_with_one_step_of_drift(totp):
    enrolment = totp.enrol("ada", "Observer-Eye")
    app = pyotp.TOTP(enrolment.secret)
    step = NOW_MS // 1000 // 30
    assert totp.verify(enrolment.sealed, app.at(NOW_MS // 1000), NOW_MS, None) == step
    assert totp.verify(enrolment.sealed, app.at(NOW_MS // 1000), NOW_MS, step) is None  # replayed
    assert totp.verify(enrolment.sealed, app.at(NOW_MS // 1000 - 30), NOW_MS, None) == step - 1
    assert totp.verify(enrolment.sealed, app.at(NOW_MS // 1000 + 30), NOW_MS, step) == step + 1
    assert totp.verify(enrolment.sealed, app.at(NOW_MS // 1000 - 90), NOW_MS, None) is None
    assert totp.verify(enrolment.sealed, " ".join([app.at(NOW_MS // 1000)[:3], app.at(NOW_MS // 1000)[3:]]),
                       NOW_MS, None) == step


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", None])
def test_malformed_codes_fail(totp, code):
    assert totp.verify(totp.enrol("ada", "x").sealed, code, NOW_MS, None) is None


def test_another_key_cannot_unseal(totp):
    enrolment = totp.enrol("ada", "x")
    code = pyotp.TOTP(enrolment.secret).at(NOW_MS // 1000)
    assert TotpAuthenticator(os.urandom(32)).verify(enrolment.sealed, code, NOW_MS, None) is None
    assert totp.verify("v1.garbage", code, NOW_MS, None) is None
    assert totp.verify(enrolment.secret, code, NOW_MS, None) is None  # never accepts an unsealed secret


def test_the_key_file_is_made_once_and_private(tmp_path):
    path = tmp_path / "keys" / "identity-key"
    key = load_or_create_key(path)
    assert len(key) == 32 and load_or_create_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("not a key\n")
    with pytest.raises(ValueError, match="32-byte"):
        load_or_create_key(path)
