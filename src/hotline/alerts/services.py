"""Raise, acknowledge and mail alerts of reports that need attention now.

The e-mail carries no report content: not a word the reporter wrote, not the report's
identifier, not even why it was raised; only that a report needs attention now, when, and
a link to the staff pages (which ask for a two-factor login before they show anything).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.alerts.models import Alert
from hotline.alerts.selectors import URGENT_SIGNALS, alert_recipients
from hotline.audit.services import audit_record
from hotline.cases.workflow import OPEN_STATES
from hotline.intake.models import Report
from hotline.sitesettings.selectors import site_settings
from hotline.tasks.queue import enqueue

logger = logging.getLogger(__name__)

MAIL_TASK = "hotline.alerts.tasks.alert_mail_send"


def report_alert_raise(*, report_id: int, signals: Iterable[str]) -> Alert | None:
    """Raise the alert of a report with urgent signals, once per report; return it.

    Called by the worker after it scores a report (a new report, a rescore, a rematch), inside
    the transaction that stores the priority. The mail task is queued in the same transaction
    as the alert row, so neither exists without the other. A report already decided (past
    assessment, closed) raises nothing: a rescore of old reports must not page anyone.
    """
    urgent = sorted({s for s in signals if s in URGENT_SIGNALS})
    if not urgent:
        return None
    with transaction.atomic():
        report = Report.objects.filter(pk=report_id, status__in=OPEN_STATES).first()
        if report is None:
            return None
        alert, created = Alert.objects.get_or_create(
            report=report, defaults={"signals": urgent, "raised_at": timezone.now()}
        )
        if not created:
            if not set(urgent) <= set(alert.signals):
                alert.signals = sorted(set(alert.signals) | set(urgent))
                alert.save(update_fields=["signals"])
            return alert
        enqueue(MAIL_TASK, alert.pk)
        audit_record(
            actor=None,
            action="alert.raise",
            target_type="report",
            target_id=report.pk,
            details={"alert": alert.pk, "signals": urgent},
        )
    return alert


def alert_acknowledge(*, actor: User, alert_id: int) -> bool:
    """Mark an open alert as seen and taken on by `actor`; return False if it already was.

    One conditional UPDATE: two people acknowledging at once make one acknowledgement.
    """
    require(actor, Action.RESPOND_TO_ALERTS)
    with transaction.atomic():
        now = timezone.now()
        done = Alert.objects.filter(pk=alert_id, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor
        )
        if not done:
            return False
        report_id = Alert.objects.filter(pk=alert_id).values_list("report_id", flat=True).get()
        audit_record(
            actor=actor,
            action="alert.acknowledge",
            target_type="report",
            target_id=report_id,
            details={"alert": alert_id},
        )
    return True


def alert_mail_message(alert: Alert, recipients: list[str]) -> EmailMessage:
    """Return the alert e-mail: that a report needs attention now, when, and where to look."""
    name = site_settings().name("en")
    name_km = site_settings().name("km")
    link = f"{settings.HOTLINE_STAFF_URL.rstrip('/')}/staff/"
    with translation.override("en"):
        when_en = date_format(timezone.localtime(alert.raised_at), "DATETIME_FORMAT")
    subject = f"{name}: a report needs attention now · របាយការណ៍មួយត្រូវការការយកចិត្តទុកដាក់ឥឡូវនេះ"
    body = (
        f"A report needs attention now.\n"
        f"Raised at: {when_en} ({timezone.get_current_timezone_name()})\n"
        f"Open the staff pages to see it: {link}\n"
        f"\n"
        f"{name_km}: របាយការណ៍មួយត្រូវការការយកចិត្តទុកដាក់ឥឡូវនេះ។\n"
        f"បើកទំព័របុគ្គលិក: {link}\n"
        f"\n"
        f"This e-mail holds nothing of the report, on purpose. Acknowledge the alert in the "
        f"staff pages when someone has taken it on.\n"
    )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        bcc=recipients,  # no To: recipients do not learn each other's addresses
    )


def alert_mail_send(*, alert_id: int) -> str:
    """Send an alert's e-mail unless it was sent; return the alert's mail state afterwards.

    At least once, not twice after success: the state moves from `pending` only after the
    SMTP server took the message, so a worker killed mid-send sends it again on redelivery;
    a run after success finds `sent` and sends nothing. An SMTP failure raises, and the task
    is retried with backoff (hotline.tasks).
    """
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None or alert.mail_state != Alert.MailState.PENDING:
        return alert.mail_state if alert is not None else "gone"
    recipients = alert_recipients()
    if not recipients:
        Alert.objects.filter(pk=alert_id, mail_state=Alert.MailState.PENDING).update(
            mail_state=Alert.MailState.NO_RECIPIENTS
        )
        logger.warning("alert %s: no alert recipient is set; no e-mail sent", alert_id)
        return Alert.MailState.NO_RECIPIENTS
    alert_mail_message(alert, recipients).send()
    with transaction.atomic():
        Alert.objects.filter(pk=alert_id, mail_state=Alert.MailState.PENDING).update(
            mail_state=Alert.MailState.SENT,
            mail_sent_at=timezone.now(),
            mail_recipients=len(recipients),
        )
        audit_record(
            actor=None,
            action="alert.mail",
            target_type="report",
            target_id=alert.report_id,
            details={"alert": alert_id, "recipients": len(recipients)},
        )
    return Alert.MailState.SENT
