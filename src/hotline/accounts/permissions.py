"""Who may do what: the one permission matrix (roles x actions), and `require`.

Every staff read or write that reveals or changes something calls `require(user, Action.X)`
in its selector or service, so a view cannot forget it. The table is data: change it here and
in nowhere else; docs/permissions.md is generated from it (`permissions_markdown`) and a test
fails when the two differ.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Protocol

from django.core.exceptions import PermissionDenied
from django.db import models


class _Person(Protocol):
    """What `can` reads of a user (a staff User, or Django's AnonymousUser)."""

    @property
    def is_authenticated(self) -> bool: ...


class Role(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    SENIOR_ANALYST = "senior_analyst", "Senior analyst"
    CASEWORKER = "caseworker", "Caseworker (victim support)"
    LIAISON = "liaison", "Law-enforcement liaison"
    ADMINISTRATOR = "administrator", "Administrator"


class Action(StrEnum):
    """Something a member of staff may be allowed to do."""

    VIEW_QUEUE = "view_queue"
    VIEW_NARRATIVE = "view_narrative"
    VIEW_CONTACT_DETAILS = "view_contact_details"
    VIEW_EVIDENCE = "view_evidence"
    DOWNLOAD_EVIDENCE = "download_evidence"
    CLASSIFY = "classify"
    CHANGE_STATUS = "change_status"
    CLAIM = "claim"
    ASSIGN = "assign"
    MESSAGE_REPORTER = "message_reporter"
    ADD_NOTE = "add_note"
    TAKE_PHONE_REPORT = "take_phone_report"
    SEARCH_IDENTIFIERS = "search_identifiers"
    MANAGE_IDENTIFIERS = "manage_identifiers"
    MANAGE_ESCROWS = "manage_escrows"
    REFER = "refer"
    EXPORT = "export"
    MANAGE_HASH_LISTS = "manage_hash_lists"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"
    RESPOND_TO_ALERTS = "respond_to_alerts"
    SEND_NOTICES = "send_notices"
    VIEW_SUPPORT_CASES = "view_support_cases"
    MANAGE_SUPPORT_CASES = "manage_support_cases"
    REFERRAL_PACKAGE = "referral_package"
    EXPORT_URL_LIST = "export_url_list"
    VIEW_SCORECARDS = "view_scorecards"
    VIEW_STATISTICS = "view_statistics"


DESCRIPTIONS: Final[dict[Action, str]] = {
    Action.VIEW_QUEUE: "see the report queue (categories, platforms, state, priority)",
    Action.VIEW_NARRATIVE: "open a report and read what the reporter wrote",
    Action.VIEW_CONTACT_DETAILS: "see how the reporter asked to be contacted",
    Action.VIEW_EVIDENCE: "see evidence (working copies, blurred until revealed)",
    Action.DOWNLOAD_EVIDENCE: "download evidence files",
    Action.CLASSIFY: "assess and classify a report",
    Action.CHANGE_STATUS: "move a report to another state",
    Action.CLAIM: "take a report for oneself, or release it",
    Action.ASSIGN: "assign a report to someone else",
    Action.MESSAGE_REPORTER: "send a message to the reporter",
    Action.ADD_NOTE: "write staff-only notes, attach files, set internal sub-statuses",
    Action.TAKE_PHONE_REPORT: "enter a report for a caller (phone, walk-in)",
    Action.SEARCH_IDENTIFIERS: "search by identifier, see clusters of reports",
    Action.MANAGE_IDENTIFIERS: "confirm, reject or add identifiers of a report",
    Action.MANAGE_ESCROWS: "ask an earlier reporter's consent about a matched escrow",
    Action.REFER: "refer a report to the police or a platform",
    Action.EXPORT: "export reports and chain-of-custody records",
    Action.MANAGE_HASH_LISTS: "import, export and disable hash lists",
    Action.MANAGE_STAFF: "create and disable staff accounts, change roles",
    Action.MANAGE_SETTINGS: "change the hotline's settings",
    Action.VIEW_AUDIT: "read the audit log",
    Action.RESPOND_TO_ALERTS: "see alerts of reports that need attention now, acknowledge them",
    Action.SEND_NOTICES: (
        "send takedown notices, forward reports to partner hotlines, record their answers"
    ),
    Action.VIEW_SUPPORT_CASES: "read victim support cases: consent, referrals, follow-ups, notes",
    Action.MANAGE_SUPPORT_CASES: "open, follow up, refer and close support cases; record consent",
    Action.REFERRAL_PACKAGE: "produce a signed police referral package (evidence, custody record)",
    Action.EXPORT_URL_LIST: "export the signed list of confirmed, still-online URLs for blocking",
    Action.VIEW_SCORECARDS: "see platform scorecards (notices, removals, times to removal)",
    Action.VIEW_STATISTICS: "see the statistics dashboard (counts, never a report), its CSV files",
}

_A = Action
_ANALYST: Final = frozenset(
    {
        _A.VIEW_QUEUE,
        _A.VIEW_NARRATIVE,
        _A.VIEW_EVIDENCE,
        _A.CLASSIFY,
        _A.CHANGE_STATUS,
        _A.CLAIM,
        _A.MESSAGE_REPORTER,
        _A.ADD_NOTE,
        _A.TAKE_PHONE_REPORT,
        _A.SEARCH_IDENTIFIERS,
        _A.MANAGE_IDENTIFIERS,
        _A.MANAGE_ESCROWS,
        _A.RESPOND_TO_ALERTS,
        _A.SEND_NOTICES,
        _A.VIEW_SCORECARDS,
        _A.VIEW_STATISTICS,
    }
)

# The matrix. Deliberate refusals: analysts do not see the reporter's contact details (the
# caseworker follows up); caseworkers are spared the evidence; the liaison sees what the police
# need but not how to reach the reporter; administrators run the system and read no reports.
# Statistics (counts, never a report) are for analysts and the administrator who reports them.
MATRIX: Final[dict[Role, frozenset[Action]]] = {
    Role.ANALYST: _ANALYST,
    Role.SENIOR_ANALYST: _ANALYST
    | {
        _A.VIEW_CONTACT_DETAILS,
        _A.DOWNLOAD_EVIDENCE,
        _A.ASSIGN,
        _A.REFER,
        _A.EXPORT,
        _A.MANAGE_HASH_LISTS,
        _A.VIEW_SUPPORT_CASES,
        _A.EXPORT_URL_LIST,
        _A.VIEW_SCORECARDS,
    },
    Role.CASEWORKER: frozenset(
        {
            _A.VIEW_QUEUE,
            _A.VIEW_NARRATIVE,
            _A.VIEW_CONTACT_DETAILS,
            _A.CHANGE_STATUS,
            _A.CLAIM,
            _A.MESSAGE_REPORTER,
            _A.ADD_NOTE,
            _A.TAKE_PHONE_REPORT,
            _A.RESPOND_TO_ALERTS,
            _A.VIEW_SUPPORT_CASES,
            _A.MANAGE_SUPPORT_CASES,
        }
    ),
    Role.LIAISON: frozenset(
        {
            _A.VIEW_QUEUE,
            _A.VIEW_NARRATIVE,
            _A.VIEW_EVIDENCE,
            _A.DOWNLOAD_EVIDENCE,
            _A.ADD_NOTE,
            _A.SEARCH_IDENTIFIERS,
            _A.REFER,
            _A.EXPORT,
            _A.REFERRAL_PACKAGE,
            _A.EXPORT_URL_LIST,
            _A.VIEW_SCORECARDS,
        }
    ),
    Role.ADMINISTRATOR: frozenset(
        {
            _A.VIEW_QUEUE,
            _A.MANAGE_STAFF,
            _A.MANAGE_SETTINGS,
            _A.MANAGE_HASH_LISTS,
            _A.VIEW_AUDIT,
            _A.VIEW_SCORECARDS,
            _A.VIEW_STATISTICS,
        }
    ),
}


def allows(role: str, action: Action) -> bool:
    """Return whether the matrix lets `role` do `action` (unknown roles may do nothing)."""
    try:
        return action in MATRIX[Role(role)]
    except ValueError:
        return False


def can(user: _Person, action: Action) -> bool:
    """Return whether this user may do `action` now (an active staff account whose role may)."""
    return bool(
        user.is_authenticated
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and allows(getattr(user, "role", ""), action)
    )


def require(user: _Person, action: Action) -> None:
    """Raise PermissionDenied unless `user` may do `action` (see `can`)."""
    if not can(user, action):
        raise PermissionDenied(f"not allowed: {action.value}")


def permissions_markdown() -> str:
    """Return the matrix as the Markdown table kept in docs/permissions.md."""
    roles = list(Role)
    lines = [
        "| action | what it lets one do | " + " | ".join(str(r.label) for r in roles) + " |",
        "| --- | --- | " + " | ".join(":---:" for _ in roles) + " |",
    ]
    for action in Action:
        marks = " | ".join("yes" if action in MATRIX[r] else "—" for r in roles)
        lines.append(f"| `{action.value}` | {DESCRIPTIONS[action]} | {marks} |")
    return "\n".join(lines) + "\n"
