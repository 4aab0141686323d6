"""Password hashing with Django's hashers (``PASSWORD_HASHERS``: PBKDF2-SHA256 by
default, with the iteration count of the installed Django version): the same hashes
Django's own users get, upgraded by Django's rules."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password


class DjangoPasswordHasher:
    def hash(self, password: str) -> str:
        return make_password(password)

    def verify(self, password: str, encoded: str) -> bool:
        try:
            return check_password(password, encoded)
        except (ValueError, TypeError):  # a malformed hash (Django parses it before comparing)
            return False
