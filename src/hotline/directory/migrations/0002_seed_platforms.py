"""A fresh install starts with the platforms offenders use most in the region (unchecked)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from hotline.directory.services import platforms_seed

    platforms_seed(apps.get_model("directory", "Platform"))


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
