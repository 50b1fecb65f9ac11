"""Shipped retention rules (an administrator changes them on /staff/retention/)."""

from django.db import migrations
from django.utils import timezone

DEFAULTS = (
    ("no_action", 90),  # closed, not actionable: three months
    ("out_of_scope", 90),
    ("duplicate", 90),  # its original keeps what matters
    ("closed", 5 * 365 + 1),  # action completed: five years (a prosecution may ask)
)


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    rule = apps.get_model("retention", "RetentionRule")
    for state, days in DEFAULTS:
        rule.objects.get_or_create(
            state=state, category="", defaults={"keep_days": days, "updated_at": timezone.now()}
        )


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
