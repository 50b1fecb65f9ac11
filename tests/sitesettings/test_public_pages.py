"""The public pages show the hotline's own name and number as set, and never a placeholder."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.accounts.models import User
from hotline.core.models import EmergencyContact
from hotline.sitesettings import selectors
from hotline.sitesettings.models import SiteSettings
from hotline.sitesettings.services import site_settings_update
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/danger/", "/report/", "/help/", "/help/extortion/", "/status/"]
PLACEHOLDER = "023 000 000"


def _page(path: str, language: str) -> str:
    client = Client()
    client.cookies["django_language"] = language
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, path
    return response.content.decode()


def _admin() -> User:
    return (
        User.objects.filter(username="admin").first()
        or make_staff("admin", role="administrator").user
    )


def _set(**fields: object) -> None:
    values: dict[str, object] = {
        "name_en": "",
        "name_km": "",
        "phone_numbers": [],
        "alert_emails": [],
        "alert_staff": [],
        "on_duty": [],
        **fields,
    }
    site_settings_update(actor=_admin(), **values)  # type: ignore[arg-type]


def test_a_fresh_install_shows_no_number_for_the_hotline() -> None:
    assert not EmergencyContact.objects.filter(phone=PLACEHOLDER).exists()
    for language in ("en", "km"):
        for path in PUBLIC_PAGES:
            page = _page(path, language)
            assert PLACEHOLDER not in page, path
            assert 'id="hotline-phone"' not in page, path
            assert 'id="hotline-contact"' not in page, path


def test_the_number_once_set_shows_on_every_public_page_dialable_as_printed() -> None:
    _set(name_en="Safe Online", name_km="សុវត្ថិភាពអនឡាញ", phone_numbers=["012 345 678"])
    for path in PUBLIC_PAGES:
        english = _page(path, "en")
        assert '<a class="phone" href="tel:012345678">012 345 678</a>' in english, path
        assert "Call Safe Online:" in english
        khmer = _page(path, "km")
        # Dialled digits stay Latin on Khmer pages, like the emergency numbers
        # (docs/decisions/i18n.md, "Digits and dates"); the name is the Khmer one.
        assert '<a class="phone" href="tel:012345678">012 345 678</a>' in khmer, path
        assert "ហៅទូរស័ព្ទទៅ សុវត្ថិភាពអនឡាញ៖" in khmer
    danger = _page("/danger/", "en")
    assert 'id="hotline-contact"' in danger


def test_removing_the_number_removes_the_line() -> None:
    _set(phone_numbers=["012 345 678"])
    assert 'id="hotline-phone"' in _page("/", "en")
    _set(phone_numbers=[])
    assert 'id="hotline-phone"' not in _page("/", "en")
    assert "012 345 678" not in _page("/", "en")


def test_another_process_sees_a_change_after_its_check_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert selectors.site_settings().phone_numbers == ()
    # Another process saves: the row changes and its version goes up, this cache is not told.
    SiteSettings.objects.create(pk=1, phone_numbers=["1280"], version=7)
    assert selectors.site_settings().phone_numbers == ()  # within the interval: cached
    monkeypatch.setattr(selectors, "CHECK_SECONDS", 0.0)
    assert selectors.site_settings().phone_numbers == ("1280",)


def test_the_staff_home_tells_administrators_what_is_missing() -> None:
    admin = make_staff("admin2", role="administrator")
    client = Client()
    log_in(client, admin)
    page = client.get("/staff/").content.decode()
    for key in ("name", "phone", "alert_recipients"):
        assert f'data-missing="{key}"' in page
    assert "Set the hotline&#x27;s phone number" in page
    assert "No alert recipient is set" in page
    analyst = make_staff("analyst")
    other = Client()
    log_in(other, analyst)
    assert 'id="settings-missing"' not in other.get("/staff/").content.decode()
    site_settings_update(
        actor=admin.user,
        name_en="Safe Online",
        name_km="",
        phone_numbers=["012 345 678"],
        alert_emails=["duty@hotline.example"],
        alert_staff=[],
        on_duty=[],
    )
    assert 'id="settings-missing"' not in client.get("/staff/").content.decode()
