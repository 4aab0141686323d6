"""Identifiers are whole-string matches: ``re.match`` with ``$`` accepted a trailing
newline (``"acme\\n"``), which then reached paths, headers and log lines."""

from __future__ import annotations

import pytest

from domain.errors import ValidationError
from domain.identity.teams import validate_team_id
from domain.identity.tenants import validate_tenant_id


@pytest.mark.parametrize("check, good", [
    (validate_tenant_id, "acme"),
    (validate_team_id, "payments"),
])
def test_a_trailing_newline_is_refused(check, good: str) -> None:
    assert check(good) == good
    with pytest.raises(ValidationError):
        check(good + "\n")
