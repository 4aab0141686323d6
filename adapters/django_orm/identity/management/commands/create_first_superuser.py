"""``create_first_superuser``: the first operator account of the admin, idempotently.

The password comes from an environment variable (default ``OBSERVER_ADMIN_PASSWORD``),
never from the command line (it would land in the shell history and ``ps``), or from a
prompt when run interactively. It must pass Django's password validators. If a
superuser exists already nothing changes, so ``make run`` can call this every time.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS


class Command(BaseCommand):
    help = "Create the first superuser of the Observer-Eye admin (no-op if one exists)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env", default="OBSERVER_ADMIN_PASSWORD",
            help="environment variable holding the password (default: %(default)s)",
        )
        parser.add_argument("--no-input", action="store_true", help="never prompt; fail without the variable")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, username: str, email: str, password_env: str, no_input: bool, database: str, **kw) -> None:
        users = get_user_model()._default_manager.db_manager(database)
        existing = users.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            self.stdout.write(f"A superuser exists already ({existing.get_username()}); nothing to do.")
            return
        if users.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} exists but is not a superuser; promote it in the admin")
        password = os.environ.get(password_env) or self._prompt(password_env, no_input)
        candidate = get_user_model()(username=username, email=email)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError("password refused: " + " ".join(exc.messages)) from None
        users.create_superuser(username=username, email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Superuser {username!r} created."))

    def _prompt(self, password_env: str, no_input: bool) -> str:
        if no_input or not sys.stdin.isatty():
            raise CommandError(f"set {password_env} to the password (or run interactively to be prompted)")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the passwords differ")
        if not first:
            raise CommandError("the password is empty")
        return first
