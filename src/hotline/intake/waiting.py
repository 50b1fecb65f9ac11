"""The "please wait" answer of flood control, shown on the form's own page after its redirect.

A refused POST (hotline.intake.flood) is answered like every other public POST: 303 to the
form's page, its answers kept in the sealed draft with the refusal's reason and the time it
ends (docs/decisions/public-navigation.md). The page then says, in the reporter's language and
digits, how long is left; Reload shows the same page and sends nothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, ngettext

from hotline.core.templatetags.local_numbers import digits_localize
from hotline.intake.flood import Admission, Refusal


@dataclass(frozen=True)
class Waiting:
    """A refusal still in force: why, and how many whole seconds are left."""

    reason: Refusal
    seconds: int
    kept: bool = True  # the answers are on the page (False: a flood's fallback page, no form)

    def message(self) -> str:
        """Return what the reporter reads: what happened, that nothing was saved, how long."""
        first = {
            Refusal.ALL_BUSY: gettext("Many reports are arriving right now."),
            Refusal.CLIENT_BUSY: gettext("We received many requests from this connection."),
            Refusal.REPORT_BUSY: gettext(
                "Many messages were added to this report in a short time."
            ),
        }.get(self.reason, gettext("We received many requests from this connection."))
        kept = (
            gettext("Nothing was saved. Your answers are kept below.")
            if self.kept
            else gettext("Nothing was saved.")
        )
        wait = gettext("Please wait %(duration)s, then send it again.") % {
            "duration": duration_text(self.seconds)
        }
        return f"{first} {kept} {wait}"

    @property
    def javascript_helps(self) -> bool:
        """Whether a solved proof of work would have let the report through."""
        return self.reason in {Refusal.ALL_BUSY, Refusal.CLIENT_BUSY}


def duration_text(seconds: int) -> str:
    """Return "45 seconds" / "9 minutes" in the page's language and digits (rounded up)."""
    if seconds < 60:
        count = max(1, seconds)
        text = ngettext("%(count)s second", "%(count)s seconds", count) % {"count": count}
    else:
        count = math.ceil(seconds / 60)
        text = ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": count}
    return digits_localize(text)


def waiting_value(admission: Admission) -> dict[str, Any]:
    """Return what a draft keeps of a refusal: its reason and when it ends (epoch seconds)."""
    assert admission.refusal is not None
    return {"reason": admission.refusal.value, "until": time.time() + admission.wait_seconds}


def waiting_read(draft: dict[str, Any] | None) -> Waiting | None:
    """Return the refusal a draft carries while it is in force, or None (none, over, damaged)."""
    value = (draft or {}).get("wait")
    if not isinstance(value, dict):
        return None
    try:
        reason = Refusal(value.get("reason"))
        left = float(value.get("until", 0)) - time.time()
    except (TypeError, ValueError):
        return None
    if left <= 0:
        return None
    return Waiting(reason=reason, seconds=math.ceil(left))
