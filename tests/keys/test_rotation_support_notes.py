"""Key rotation re-encrypts support notes (hotline.support), then the old key can be retired."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from keys_support import left_on_other_keys, own_key_file  # noqa: F401 - fixture

from hotline.intake.services import ReportInput, report_submit
from hotline.keys.models import KeyRotation
from hotline.keys.rotation import rotation_run
from hotline.keys.services import key_retire, key_rotate
from hotline.support import services
from hotline.support.models import SupportNote
from hotline.vault import services as vault
from staff_login import make_staff

pytestmark = pytest.mark.django_db


def test_support_notes_are_reencrypted_and_stay_readable(own_key_file: Path) -> None:  # noqa: F811
    caseworker = make_staff("carla", role="caseworker").user
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report
    case = services.support_case_open(actor=caseworker, report=report)
    for n in range(3):
        services.note_add(actor=caseworker, case=case, body=f"note {n} ខ្ញុំ")
    rotation = key_rotate()
    assert left_on_other_keys("k2")["support.supportnote.body"] == 3
    KeyRotation.objects.filter(pk=rotation.pk).update(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    for _ in range(200):
        if rotation_run(rotation_id=rotation.pk):
            break
    assert left_on_other_keys("k2") == {}
    key_retire(key_id="k1")
    bodies = sorted(
        vault.decrypt_text(bytes(n.body_ciphertext), context=n.context)
        for n in SupportNote.objects.all()
    )
    assert bodies == [f"note {n} ខ្ញុំ" for n in range(3)]
