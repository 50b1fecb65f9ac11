"""Date formats of the public pages, by language (settings.FORMAT_MODULE_PATH).

Public templates show dates through `hotline.core.templatetags.local_numbers`, which also
writes the digits of the page's language (docs/decisions/i18n.md).
"""

from django.utils.translation import gettext_noop

# Django's own month names, which the `F` of our date formats shows: listed so `makemessages`
# keeps our Khmer for them (Django's Khmer catalog leaves them in English).
MONTH_NAMES = (
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
)
