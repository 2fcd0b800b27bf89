"""Roles map onto the API keys' scopes; usernames and passwords are checked; a CSRF token is its session's."""

from __future__ import annotations

import pytest

from ticketflow.domain.access import (
    ROLE_SCOPES,
    Role,
    Scope,
    User,
    check_password,
    check_username,
    csrf_matches,
    csrf_token,
    parse_role,
)
from ticketflow.storage.times import utcnow


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        (Role.AGENT, {Scope.READ, Scope.AGENT}, {Scope.ADMIN, Scope.INGEST, Scope.METRICS}),
        (Role.VIEWER, {Scope.READ}, {Scope.AGENT, Scope.ADMIN, Scope.INGEST}),
        (Role.ADMIN, set(Scope), set()),
    ],
)
def test_a_role_grants_exactly_its_scopes(role: Role, may: set[Scope], may_not: set[Scope]) -> None:
    person = User("u1", "ann", role, utcnow()).principal()
    assert person.kind == "user" and person.id == "ann"
    assert all(person.can(s) for s in may) and not any(person.can(s) for s in may_not)


def test_every_role_maps_onto_scopes_and_unknown_roles_name_the_valid_ones() -> None:
    assert set(ROLE_SCOPES) == set(Role)
    with pytest.raises(ValueError, match="agent"):
        parse_role("superuser")


@pytest.mark.parametrize("name", ["", "Ann", "ann smith", "-ann", "a" * 65, "ann\n", "än"])
def test_a_malformed_username_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid username"):
        check_username(name)


def test_a_short_password_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 12"):
        check_password("short")
    assert check_password("twelve chars") == "twelve chars"


def test_the_csrf_token_belongs_to_one_session() -> None:
    token = csrf_token("session-a")
    assert csrf_matches("session-a", token)
    assert not csrf_matches("session-b", token)
    assert not csrf_matches("session-a", None) and not csrf_matches("session-a", "")
    assert "session-a" not in token
