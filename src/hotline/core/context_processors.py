"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from hotline.sitesettings.selectors import site_settings

# Variables base.html reads that only some views set (intake.views: the report form's language
# switch and notices). Defined here so that no page looks them up in vain: Django's template
# engine logs a failed lookup at DEBUG with the whole context, which may hold what a reporter
# wrote.
_BASE_DEFAULTS = {
    "switch_form": "",
    "switch_action": "",
    "recent_receipt": False,
    "files_lost_switched": False,
}


def site(request: HttpRequest) -> dict[str, object]:
    """Return the hotline's name and numbers (as set in the app), and base.html's optional
    variables.

    No number set: none shown (never a placeholder). Both key the cached footer.
    """
    snapshot = site_settings()
    return {
        "hotline_name": snapshot.name(),
        "hotline_phones": snapshot.phone_numbers,
        **_BASE_DEFAULTS,
    }
