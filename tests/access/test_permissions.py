"""The role table as issue 11 states it, walked cell by cell, and kept equal to the design note."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dunmore.access.permissions import ROLES, Permission, allows, require, role_table_markdown
from dunmore.access.values import Language, Role, User
from dunmore.errors import PermissionDenied

# Written out by hand from issue 11 (not derived from ROLES), one line per permission, one column
# per role in the order admin, manager, collector, sales, viewer: the test the table is held to.
EXPECTED = """
ledger.read      A M C S V
ledger.import    A M . . .
customer.act     A M C . .
hold.set         A M C . .
dispute.set      A M C . .
run.read         A M C . V
run.propose      A M . . .
run.approve      A M . . .
run.revert       A M . . .
notice.reject    A M . . .
delivery.read    A M C . V
delivery.retry   A M . . .
policy.read      A M C . V
policy.load      A M . . .
alert.read       A M C S .
audit.read       A M . . .
users.manage     A . . . .
portfolio.manage A M . . .
settings.manage  A . . . .
credit.manage    A M . . .
playbook.edit    A M . . .
contract.manage  A M C . .
"""
ORDER = [Role.ADMIN, Role.MANAGER, Role.COLLECTOR, Role.SALES, Role.VIEWER]


def _expected() -> dict[tuple[Role, Permission], bool]:
    grid = {}
    for line in EXPECTED.strip().splitlines():
        name, *marks = line.split()
        for role, mark in zip(ORDER, marks, strict=True):
            grid[role, Permission(name)] = mark != "."
    return grid


def user(role: Role, *, disabled: bool = False) -> User:
    return User(
        1, "someone", role, Language.EN, frozenset({"east"}), disabled, datetime(2026, 1, 1, tzinfo=UTC)
    )


def test_the_expected_grid_names_every_role_and_permission() -> None:
    assert set(_expected()) == {(role, permission) for role in Role for permission in Permission}


@pytest.mark.parametrize(("role", "permission"), list(_expected()))
def test_require_follows_the_role_matrix(role: Role, permission: Permission) -> None:
    if _expected()[role, permission]:
        require(user(role), permission)
    else:
        with pytest.raises(PermissionDenied, match=rf"\({role.value}\) may not .*\({permission.value}\)"):
            require(user(role), permission)


@pytest.mark.parametrize("permission", list(Permission))
def test_a_disabled_admin_may_do_nothing(permission: Permission) -> None:
    assert not allows(user(Role.ADMIN, disabled=True), permission)
    with pytest.raises(PermissionDenied, match="disabled"):
        require(user(Role.ADMIN, disabled=True), permission)


def test_every_role_has_a_rule() -> None:
    assert set(ROLES) == set(Role)


def test_the_design_note_shows_the_role_table_of_the_code() -> None:
    note = Path(__file__).parents[2] / "docs" / "design" / "access.md"
    assert role_table_markdown() in note.read_text(encoding="utf-8"), (
        "docs/design/access.md drifted from dunmore.access.permissions.ROLES: "
        "paste the output of role_table_markdown() into it"
    )
