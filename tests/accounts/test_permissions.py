"""The permission matrix: every role x every action, allowed and refused, as written here.

The grid below is the promise (docs/permissions.md shows the same); it is written out by hand,
not read from the code, so a change to hotline.accounts.permissions.MATRIX fails here until
this grid and the document agree with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, Role, can, permissions_markdown, require

ROLES = ["analyst", "senior_analyst", "caseworker", "liaison", "administrator"]
#                        analyst senior caseworker liaison administrator
GRID = """
view_queue               Y       Y      Y          Y       Y
view_narrative           Y       Y      Y          Y       .
view_contact_details     .       Y      Y          .       .
view_evidence            Y       Y      .          Y       .
download_evidence        .       Y      .          Y       .
classify                 Y       Y      .          .       .
change_status            Y       Y      Y          .       .
claim                    Y       Y      Y          .       .
assign                   .       Y      .          .       .
message_reporter         Y       Y      Y          .       .
add_note                 Y       Y      Y          Y       .
take_phone_report        Y       Y      Y          .       .
search_identifiers       Y       Y      .          Y       .
manage_identifiers       Y       Y      .          .       .
manage_escrows           Y       Y      .          .       .
refer                    .       Y      .          Y       .
export                   .       Y      .          Y       .
manage_hash_lists        .       Y      .          .       Y
manage_staff             .       .      .          .       Y
manage_settings          .       .      .          .       Y
view_audit               .       .      .          .       Y
respond_to_alerts        Y       Y      Y          .       .
send_notices             Y       Y      .          .       .
view_support_cases       .       Y      Y          .       .
manage_support_cases     .       .      Y          .       .
referral_package         .       .      .          Y       .
export_url_list          .       Y      .          Y       .
view_scorecards          Y       Y      .          Y       Y
view_statistics          Y       Y      .          .       Y
"""
EXPECTED = {
    (role, row.split()[0]): mark == "Y"
    for row in GRID.strip().splitlines()
    for role, mark in zip(ROLES, row.split()[1:], strict=True)
}
DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def _user(role: str, **flags: bool) -> User:
    # Unsaved: `require` reads the account's flags and role only.
    return User(username=f"u-{role}", role=role, **{"is_staff": True, "is_active": True, **flags})


def test_grid_names_every_role_and_action_once() -> None:
    assert [role.value for role in Role] == ROLES
    assert [row.split()[0] for row in GRID.strip().splitlines()] == [a.value for a in Action]


@pytest.mark.parametrize(("role", "action"), sorted(EXPECTED))
def test_role_may_or_may_not_do_action(role: str, action: str) -> None:
    user = _user(role)
    if EXPECTED[(role, action)]:
        require(user, Action(action))
        assert can(user, Action(action))
    else:
        with pytest.raises(PermissionDenied):
            require(user, Action(action))
        assert not can(user, Action(action))


@pytest.mark.parametrize("action", list(Action))
def test_disabled_non_staff_anonymous_and_unknown_roles_may_do_nothing(action: Action) -> None:
    refused = [
        _user("senior_analyst", is_active=False),
        User(username="visitor", role="senior_analyst", is_staff=False),
        AnonymousUser(),
        _user("superuser-without-a-role"),
    ]
    for user in refused:
        with pytest.raises(PermissionDenied):
            require(user, action)


def test_superuser_flag_adds_no_right_outside_the_role() -> None:
    analyst_superuser = _user("analyst", is_superuser=True)
    with pytest.raises(PermissionDenied):
        require(analyst_superuser, Action.MANAGE_STAFF)


def test_docs_permissions_md_shows_the_matrix_of_the_code() -> None:
    text = DOC.read_text()
    assert permissions_markdown() in text, (
        "docs/permissions.md is out of date: paste hotline.accounts.permissions."
        "permissions_markdown() into it"
    )
