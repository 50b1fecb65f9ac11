"""Every binary column is either re-encrypted by a key rotation or known to hold no vault blob."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from hotline.keys.targets import COLUMNS, NOT_VAULT


def test_every_binary_field_is_a_rotation_target_or_declared_not_vault() -> None:
    binary = {
        f"{model._meta.app_label}.{model._meta.model_name}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.BinaryField)
    }
    targets = {f"{t.model._meta.app_label}.{t.model._meta.model_name}.{t.column}" for t in COLUMNS}
    assert binary - targets - NOT_VAULT == set()
    assert (targets | NOT_VAULT) - binary == set()
