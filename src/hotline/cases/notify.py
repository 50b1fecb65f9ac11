"""Tell a reporter by e-mail that there is news about their report, without saying what.

Only when the reporter left contact details that are an e-mail address and agreed to be
contacted (Report.consent_contact). The mail says only that there is news and to open the
status page with the receipt code: no state, no message, no words of the report, no code
(we do not have it: only its digest is stored). It is in the report's language.

Each event (a state change, a staff message) queues at most one notice: the ReporterNotice
row is unique per event and written in the event's transaction, with its task. The worker
sends it and then marks it sent; a second delivery of the task finds the mark and sends
nothing. A worker that dies between the SMTP server's acceptance and the mark sends the mail
again at the next delivery (at-least-once, never silently lost).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from hotline.cases.models import ReporterNotice
from hotline.intake.models import Report
from hotline.intake.selectors import report_details
from hotline.tasks.queue import enqueue

logger = logging.getLogger(__name__)

TASK = "hotline.cases.notify.reporter_notice_send"


def reporter_notice_queue(*, report: Report, event_key: str) -> ReporterNotice | None:
    """Queue the "there is news" e-mail for one event, once; call in the event's transaction.

    Nothing is queued without the reporter's consent to be contacted. Whether the contact is
    an e-mail address is decided by the worker (it needs decrypting).
    """
    if not report.consent_contact:
        return None
    notice, created = ReporterNotice.objects.get_or_create(
        event_key=event_key[:64], defaults={"report": report, "created_at": timezone.now()}
    )
    if created:
        enqueue(TASK, notice.pk)
    return notice


def _address(report: Report) -> str:
    contact = str(report_details(report).get("contact") or "").strip()
    try:
        validate_email(contact)
    except ValidationError:
        return ""
    return contact


def _message(report: Report, address: str) -> EmailMessage:
    language = report.language if report.language in ("km", "en") else "km"
    with translation.override(language):
        subject = gettext("There is news about your report")
        lines = [
            gettext("Hello,"),
            "",
            gettext(
                "There is news about your report. To read it, open our website, choose "
                "“I have a receipt code” and enter your code."
            ),
        ]
        if settings.HOTLINE_PUBLIC_URL:
            lines.append(settings.HOTLINE_PUBLIC_URL + "/")
        lines += [
            "",
            gettext(
                "For your safety, we never write anything about your report in an e-mail, "
                "and we will never ask you for your receipt code."
            ),
            "",
            settings.HOTLINE_NAME,
        ]
    return EmailMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )


def reporter_notice_send(notice_id: int) -> None:
    """Send one notice e-mail, unless it was sent already (a task: safe to run twice).

    The row is locked while sending, so two deliveries of the task at once send one mail.
    A failure of the SMTP server raises: the task is retried with backoff.
    """
    with transaction.atomic():
        notice = (
            ReporterNotice.objects.select_for_update()
            .select_related("report")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None or notice.sent_at is not None or notice.skipped:
            return
        report = notice.report
        address = _address(report) if report.consent_contact else ""
        if not address:
            # A phone number or a Telegram handle: no mail to send, and none to retry.
            notice.skipped = "no e-mail address" if report.consent_contact else "no consent"
            notice.save(update_fields=["skipped"])
            return
        _message(report, address).send()
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
    logger.info("reporter notice %s sent", notice_id)
