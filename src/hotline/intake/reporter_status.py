"""What a reporter is told about each workflow state: plain, kind words, no internal detail.

A promise to people who are often frightened: every sentence here must stay true of what the
hotline does. Nothing goes to the police without an analyst's decision, and no one (police,
parents, school) gets the reporter's name or contact details without being asked for them
first, on the status page. Never name the material ("CSAM"), a person at the hotline, or a
finer state than the reporter needs (a duplicate is "someone else told us already").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline.intake.choices import CaseState

S = CaseState


@dataclass(frozen=True)
class ReporterWording:
    title: Promise  # what has happened, one sentence
    meaning: Promise | str  # more about it, or ""
    next: Promise  # what happens next


WORDING: dict[CaseState, ReporterWording] = {
    S.RECEIVED: ReporterWording(
        _("We have received your report."),
        _("It is safe with us and waiting for a member of our team to read it."),
        _("A member of our team will read it and decide what we can do."),
    ),
    S.IN_REVIEW: ReporterWording(
        _("A member of our team is looking at your report."),
        "",
        _(
            "If we have a question, we will write to you here, on this page. "
            "When we have decided what to do, this page will say so."
        ),
    ),
    S.ASSESSED: ReporterWording(
        _("Our team has looked at your report and will act on it."),
        "",
        _(
            "We are preparing what needs to be done, for example asking for the content "
            "to be removed. This page will say when it is done."
        ),
    ),
    S.NOTICE_SENT: ReporterWording(
        _("We have asked for the content to be removed."),
        "",
        _(
            "We are waiting for the website or app to remove it, and we check that it is "
            "gone. This page will say when we have finished."
        ),
    ),
    S.REFERRED_POLICE: ReporterWording(
        _("We have passed your report to the police."),
        _("Our team decided that the police should know about it, to help stop the person."),
        _(
            "The police decide what they do next. We have not given them your name or how "
            "to reach you. If they want to talk to you, we will ask you first, here on this "
            "page, and you can say no."
        ),
    ),
    S.SENT_TO_PARTNER: ReporterWording(
        _("We have passed your report to an organisation that can act on it."),
        _("For example a hotline in another country, or the safety team of the website or app."),
        _(
            "We have not given them your name or how to reach you. This page will say when "
            "we have finished."
        ),
    ),
    S.CLOSED: ReporterWording(
        _("We have finished our work on your report. Thank you for telling us."),
        "",
        _("You can still send us a message or add information here. We will read it."),
    ),
    S.NO_ACTION: ReporterWording(
        _("We have looked at your report, and we could not act on it this time."),
        _(
            "This can happen when the content is already gone or we could not find it. It "
            "does not mean that we did not believe you."
        ),
        _("If you have more information, such as a link, add it here and we will look again."),
    ),
    S.OUT_OF_SCOPE: ReporterWording(
        _("We have looked at your report. It is about something our hotline cannot act on."),
        "",
        _(
            "Our advice pages list other places that can help. You can still send us a "
            "message here."
        ),
    ),
    S.DUPLICATE: ReporterWording(
        _(
            "We have looked at your report. Someone had already told us about the same "
            "thing, and we are dealing with it."
        ),
        "",
        _("Thank you for telling us. You can still send us a message or add information here."),
    ),
}


def reporter_wording(state: str) -> ReporterWording:
    """Return what the reporter is told about a workflow state."""
    return WORDING[CaseState(state)]


# Not a workflow state: shown instead of the state's words once every identifier the hotline
# asked to have taken down is confirmed gone (hotline.takedown.removal.report_content_removed).
CONTENT_REMOVED = ReporterWording(
    _("The content you told us about has been removed."),
    _("We checked, more than once, that it is no longer online."),
    _(
        "If you see it again, somewhere else or at the same place, tell us here and we will "
        "act again."
    ),
)
