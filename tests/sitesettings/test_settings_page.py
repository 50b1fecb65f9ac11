"""The settings page: administrators only, every field checked, nothing half-saved, audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.core.models import EmergencyContact
from hotline.sitesettings.models import CategorySetting, SiteSettings
from hotline.sitesettings.selectors import site_settings
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db

URL = "/staff/settings/"


@pytest.fixture
def admin() -> tuple[Client, Staff]:
    staff = make_staff("admin", role="administrator", email="admin@hotline.example")
    client = Client()
    log_in(client, staff)
    return client, staff


def _general(**changes: Any) -> dict[str, Any]:
    return {
        "name_en": "Safe Online Hotline",
        "name_km": "ខ្សែទូរស័ព្ទសុវត្ថិភាពអនឡាញ",
        "phone_numbers": "012 345 678",
        "alert_emails": "duty@hotline.example",
        **changes,
    }


def _nothing_saved() -> None:
    assert not SiteSettings.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="settings.").exists()


def test_only_administrators_open_the_settings_page(admin: tuple[Client, Staff]) -> None:
    client, _ = admin
    assert client.get(URL).status_code == 200
    analyst = make_staff("analyst")
    other = Client()
    log_in(other, analyst)
    assert other.get(URL).status_code == 403
    assert other.post(URL, _general()).status_code == 403
    _nothing_saved()
    assert AuditEvent.objects.filter(action="staff.forbidden", actor=analyst.user).exists()


def test_saving_stores_the_settings_and_audits_which_fields_changed(
    admin: tuple[Client, Staff],
) -> None:
    client, staff = admin
    response = client.post(URL, _general(alert_staff=[staff.user.pk]))
    assert response.status_code == 302
    snapshot = site_settings()
    assert snapshot.name("en") == "Safe Online Hotline"
    assert snapshot.name("km") == "ខ្សែទូរស័ព្ទសុវត្ថិភាពអនឡាញ"
    assert snapshot.phone_numbers == ("012 345 678",)
    assert snapshot.alert_emails == ("duty@hotline.example",)
    assert snapshot.alert_staff_ids == {staff.user.pk}
    event = AuditEvent.objects.get(action="settings.change")
    assert event.actor == staff.user
    assert set(event.details["fields"]) == {
        "name_en",
        "name_km",
        "phone_numbers",
        "alert_emails",
        "alert_staff",
    }
    # Who is alerted is personal: counted, never written.
    assert "duty@hotline.example" not in json.dumps(event.details)
    assert "admin@hotline.example" not in json.dumps(event.details)
    # Saving the same again changes nothing and writes no event.
    client.post(URL, _general(alert_staff=[staff.user.pk]))
    assert AuditEvent.objects.filter(action="settings.change").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("phone_numbers", "call us maybe", "is not a phone number"),
        ("phone_numbers", "12", "is not a phone number"),
        ("phone_numbers", "1" * 16, "is not a phone number"),
        ("phone_numbers", "117\n1280\n012 345 678\n023 111 222", "At most 3 numbers"),
        ("phone_numbers", "012 345 678<script>", "is not a phone number"),
        ("phone_numbers", "9" * 201, "at most 200 characters"),
        ("name_en", "x" * 81, "at most 80 characters"),
        ("name_en", "Hotline\u202egnp.exe", "no control characters"),
        ("name_km", "ខ្សែ\x00", "characters we cannot accept"),
        ("name_km", "ខ្សែ\x07", "no control characters"),
        ("alert_emails", "not an address", "is not an e-mail address"),
        ("alert_emails", "\n".join(f"a{i}@x.example" for i in range(21)), "At most 20"),
        ("alert_staff", "999999", "“999999” is not one of them"),
        ("on_duty", "not-a-number", "is not a valid value"),
    ],
)
def test_bad_input_gets_a_clear_error_and_saves_nothing(
    admin: tuple[Client, Staff], field: str, value: str, error: str
) -> None:
    client, _ = admin
    response = client.post(URL, _general(**{field: value}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert error in page
    _nothing_saved()


def test_a_hostile_name_is_shown_as_text_on_public_pages(admin: tuple[Client, Staff]) -> None:
    client, _ = admin
    client.post(URL, _general(name_en='<script>alert("x")</script>'))
    page = Client().get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def _categories(**changes: Any) -> dict[str, Any]:
    from hotline.intake.choices import Category

    data: dict[str, Any] = {f"{code}-enabled": "on" for code in Category.values}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_category_withdrawn_and_one_relabelled_apply_to_the_public_form(
    admin: tuple[Client, Staff],
) -> None:
    client, staff = admin
    response = client.post(
        f"{URL}categories/",
        _categories(**{"other-enabled": None, "grooming-label_km": "មនុស្សពេញវ័យសុំរូបថត"}),
    )
    assert response.status_code == 302
    assert CategorySetting.objects.get(code="other").enabled is False
    km = Client()
    km.cookies["django_language"] = "km"
    form = km.get("/report/", HTTP_ACCEPT_LANGUAGE="km").content.decode()
    assert 'name="categories" value="other"' not in form
    assert "មនុស្សពេញវ័យសុំរូបថត" in form
    assert 'name="categories" value="grooming"' in form
    event = AuditEvent.objects.get(action="settings.categories")
    assert event.actor == staff.user
    assert sorted(event.details["changed"]) == ["grooming", "other"]


def test_withdrawing_every_category_is_refused(admin: tuple[Client, Staff]) -> None:
    from hotline.intake.choices import Category

    client, _ = admin
    response = client.post(
        f"{URL}categories/", _categories(**{f"{c}-enabled": None for c in Category.values})
    )
    assert response.status_code == 400
    assert "Keep at least one category on the form." in response.content.decode()
    assert not CategorySetting.objects.exists()
    assert not AuditEvent.objects.filter(action="settings.categories").exists()


def test_an_oversized_category_label_is_refused(admin: tuple[Client, Staff]) -> None:
    client, _ = admin
    response = client.post(f"{URL}categories/", _categories(**{"other-label_en": "x" * 201}))
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    assert not CategorySetting.objects.exists()


def _contacts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact-TOTAL_FORMS": str(len(rows)),
        "contact-INITIAL_FORMS": "0",
        "contact-MIN_NUM_FORMS": "0",
        "contact-MAX_NUM_FORMS": "30",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"contact-{i}-{key}"] = value
    return data


NEW_CONTACT = {
    "name_en": "Example helpline",
    "name_km": "ជំនួយឧទាហរណ៍",
    "phone": "012 999 888",
    "description_en": "Example",
    "description_km": "ឧទាហរណ៍",
    "position": "5",
    "active": "on",
}


def test_contacts_are_added_changed_and_removed_with_an_audit_event(
    admin: tuple[Client, Staff],
) -> None:
    client, staff = admin
    before = EmergencyContact.objects.count()
    assert client.post(f"{URL}contacts/", _contacts([NEW_CONTACT])).status_code == 302
    added = EmergencyContact.objects.get(phone="012 999 888")
    assert EmergencyContact.objects.count() == before + 1
    changed = {**NEW_CONTACT, "contact_id": str(added.pk), "phone": "012 999 777"}
    assert client.post(f"{URL}contacts/", _contacts([changed])).status_code == 302
    added.refresh_from_db()
    assert added.phone == "012 999 777"
    removed = {**changed, "DELETE": "on"}
    assert client.post(f"{URL}contacts/", _contacts([removed])).status_code == 302
    assert not EmergencyContact.objects.filter(pk=added.pk).exists()
    events = list(AuditEvent.objects.filter(action="settings.emergency_contacts").order_by("id"))
    assert [e.actor for e in events] == [staff.user] * 3
    assert events[1].details["changes"][0]["fields"] == ["phone"]
    assert events[2].details["changes"][0] == {"id": added.pk, "removed": True}


@pytest.mark.parametrize(
    "rows",
    [
        [{**NEW_CONTACT, "phone": "dial me"}],
        [{**NEW_CONTACT, "name_en": ""}],
        [{**NEW_CONTACT, "name_km": "x" * 121}],
        [{**NEW_CONTACT, "position": "-1"}],
        [{**NEW_CONTACT, "contact_id": "99999"}],  # no such contact: a tampered form
        [NEW_CONTACT, {**NEW_CONTACT, "phone": "garbage"}],  # one bad row: none saved
    ],
)
def test_bad_contacts_get_a_clear_error_and_save_nothing(
    admin: tuple[Client, Staff], rows: list[dict[str, Any]]
) -> None:
    client, _ = admin
    before = list(EmergencyContact.objects.values_list("pk", "phone"))
    response = client.post(f"{URL}contacts/", _contacts(rows))
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert list(EmergencyContact.objects.values_list("pk", "phone")) == before
    assert not AuditEvent.objects.filter(action="settings.emergency_contacts").exists()


def test_a_tampered_contact_management_form_is_an_error_not_a_crash(
    admin: tuple[Client, Staff],
) -> None:
    client, _ = admin
    data = _contacts([NEW_CONTACT])
    data["contact-TOTAL_FORMS"] = "100000"
    response = client.post(f"{URL}contacts/", data)
    assert response.status_code == 400
    assert not EmergencyContact.objects.filter(phone="012 999 888").exists()


def test_the_services_refuse_anyone_but_an_administrator() -> None:
    from django.core.exceptions import PermissionDenied

    from hotline.sitesettings.services import (
        CategoryInput,
        categories_update,
        emergency_contacts_save,
        site_settings_update,
    )

    for role in ("analyst", "senior_analyst", "caseworker", "liaison"):
        user = make_staff(role, role=role).user
        with pytest.raises(PermissionDenied):
            site_settings_update(
                actor=user,
                name_en="x",
                name_km="",
                phone_numbers=[],
                alert_emails=[],
                alert_staff=[],
                on_duty=[],
            )
        with pytest.raises(PermissionDenied):
            categories_update(actor=user, categories=[CategoryInput("other", enabled=False)])
        with pytest.raises(PermissionDenied):
            emergency_contacts_save(actor=user, contacts=[])
    _nothing_saved()


def test_a_stale_form_choosing_a_withdrawn_category_is_refused() -> None:
    from hotline.intake.forms import ReportForm
    from hotline.sitesettings.services import CategoryInput, categories_update

    admin = make_staff("admin", role="administrator").user
    categories_update(actor=admin, categories=[CategoryInput("other", enabled=False)])
    base = {"reporter_role": "myself", "in_danger": "no", "money": "none"}
    assert ReportForm(data={**base, "categories": ["grooming"]}).is_valid()
    form = ReportForm(data={**base, "categories": ["other"]})
    assert not form.is_valid()
    assert "categories" in form.errors
