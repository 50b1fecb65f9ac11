"""Reads of alerts: the open ones a member of staff should see, and who gets the e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can
from hotline.alerts.models import Alert
from hotline.sitesettings.selectors import site_settings

# The triage signals that raise an alert (hotline.triage.scoring), with what staff read.
URGENT_SIGNALS: dict[str, str] = {
    "in_danger": "the reporter says someone is in danger right now",
    "self_harm": "signs of self-harm or suicide",
}
BANNER_LIMIT = 20


@dataclass(frozen=True)
class AlertRow:
    """An open alert as the banner shows it."""

    alert_id: int
    report_public_id: str
    raised_at: datetime
    why: list[str]


def sees_alerts(user: User) -> bool:
    """Return whether `user` is shown open alerts: may respond, and is on duty (or nobody is)."""
    if not can(user, Action.RESPOND_TO_ALERTS):
        return False
    on_duty = site_settings().on_duty_ids
    return not on_duty or user.pk in on_duty


def open_alerts_for(user: User) -> list[AlertRow]:
    """Return the newest open alerts for `user`'s banner (none if they are not to see them)."""
    if not sees_alerts(user):
        return []
    alerts = (
        Alert.objects.filter(acknowledged_at__isnull=True)
        .select_related("report")
        .order_by("-raised_at")[:BANNER_LIMIT]
    )
    return [
        AlertRow(
            alert_id=alert.pk,
            report_public_id=str(alert.report.public_id),
            raised_at=alert.raised_at,
            why=[URGENT_SIGNALS[s] for s in alert.signals if s in URGENT_SIGNALS],
        )
        for alert in alerts
    ]


def alert_recipients() -> list[str]:
    """Return the e-mail addresses to alert: the chosen active staff's, then the others."""
    snapshot = site_settings()
    staff = User.objects.filter(
        pk__in=snapshot.alert_staff_ids, is_active=True, is_staff=True
    ).exclude(email="")
    seen: dict[str, str] = {}
    for address in [*staff.order_by("pk").values_list("email", flat=True), *snapshot.alert_emails]:
        seen.setdefault(address.lower(), address)
    return list(seen.values())
