"""The directory of platforms, partner hotlines and support services: the seed, where a
notice goes, and administrators' audited edits with every field checked."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.audit.models import AuditEvent
from hotline.directory.models import NoticeChannel, PartnerHotline, Platform, SupportService
from hotline.directory.services import notice_route, platform_for, seed_platforms
from staff_login import staff_client

pytestmark = pytest.mark.django_db


def test_a_fresh_install_knows_the_regions_platforms_all_unchecked() -> None:
    codes = set(Platform.objects.values_list("code", flat=True))
    assert {"telegram", "facebook", "google_drive", "dropbox", "mega", "tiktok"} <= codes
    assert {entry["code"] for entry in seed_platforms()} == codes
    assert not Platform.objects.filter(contact_checked=True).exists()


def test_seeded_platform_codes_are_names_the_entities_app_gives_identifiers() -> None:
    from hotline.entities.extract import extract_entities

    found = {
        (entity.platform or "")
        for entity in extract_entities(
            "t.me/some_group https://drive.google.com/file/d/1AbCdEfGhIjKlMn/view "
            "https://www.dropbox.com/s/abc123def456/x.zip https://mega.nz/file/AbCdEfGh"
        )
    }
    assert found <= set(Platform.objects.values_list("code", flat=True)) | {""}
    assert {"telegram", "google_drive", "dropbox", "mega"} <= found


def test_an_identifier_finds_its_platform_by_name_or_by_host() -> None:
    assert platform_for(entity_platform="telegram").code == "telegram"  # type: ignore[union-attr]
    assert platform_for(url="https://www.t.me/somegroup").code == "telegram"  # type: ignore[union-attr]
    assert platform_for(url="https://chat.whatsapp.com/AbC").code == "whatsapp"  # type: ignore[union-attr]
    assert platform_for(url="https://evil-t.me/x") is None
    assert platform_for(url="https://t.me.evil.example/x") is None
    assert platform_for(url="not a url at all") is None


def test_an_unchecked_contact_is_a_named_missing_step_and_a_checked_one_is_ready() -> None:
    route = notice_route(entity_platform="telegram")
    assert route.recipient == "stopCA@telegram.org"
    assert not route.ready
    assert "not been checked" in route.missing[0]
    Platform.objects.filter(code="telegram").update(contact_checked=True)
    route = notice_route(entity_platform="telegram", child_abuse=False)
    assert route.ready
    assert (route.channel, route.recipient) == (NoticeChannel.EMAIL, "abuse@telegram.org")


def test_an_unknown_host_falls_back_to_a_manual_step_that_says_what_is_missing() -> None:
    route = notice_route(url="https://files.some-host.example/abc")
    assert route.platform is None
    assert route.host == "files.some-host.example"
    assert "files.some-host.example" in route.missing[0]
    assert "abuse contact" in route.missing[0]


def test_a_form_platform_routes_to_its_form() -> None:
    Platform.objects.filter(code="tiktok").update(contact_checked=True)
    route = notice_route(url="https://www.tiktok.com/@someone/video/1")
    assert route.ready
    assert route.channel == NoticeChannel.WEB_FORM
    assert route.form_url.startswith("https://")
    assert route.recipient == ""


def test_everyone_on_staff_reads_the_directory_but_only_administrators_edit() -> None:
    client, _ = staff_client("analyst1", role="analyst")
    page = client.get("/staff/directory/")
    assert page.status_code == 200
    assert "Telegram" in page.content.decode()
    assert "Add a platform" not in page.content.decode()
    assert client.get("/staff/directory/platforms/new/").status_code == 403
    before = Platform.objects.count()
    refused = client.post(
        "/staff/directory/platforms/new/",
        {"code": "x", "name": "X", "channel": "email", "abuse_email": "a@b.example"},
    )
    assert refused.status_code == 403
    assert Platform.objects.count() == before


def test_an_administrator_adds_a_host_and_the_change_is_audited() -> None:
    client, admin = staff_client("admin1", role="administrator")
    answer = client.post(
        "/staff/directory/platforms/new/",
        {
            "code": "filehost",
            "name": "Some file host",
            "channel": "email",
            "abuse_email": "abuse@filehost.example",
            "hostnames_text": "FileHost.example  files.filehost.example",
            "active": "on",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    platform = Platform.objects.get(code="filehost")
    assert platform.hostnames == ["filehost.example", "files.filehost.example"]
    assert platform_for(url="https://cdn.files.filehost.example/a") == platform
    event = AuditEvent.objects.filter(action="directory.created").get()
    assert (event.actor_id, event.target_id) == (admin.user.pk, str(platform.pk))


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("platforms", {"code": "a b", "name": "A", "channel": "none"}, "code"),
        ("platforms", {"code": "a", "name": "A", "channel": "email"}, "abuse_email"),
        ("platforms", {"code": "a", "name": "A", "channel": "web_form"}, "web_form_url"),
        (
            "platforms",
            {
                "code": "a",
                "name": "A",
                "channel": "web_form",
                "web_form_url": "javascript:alert(1)",
            },
            "web_form_url",
        ),
        (
            "platforms",
            {
                "code": "a",
                "name": "A",
                "channel": "web_form",
                "web_form_url": "http://plain.example/",
            },
            "web_form_url",
        ),
        (
            "platforms",
            {"code": "a", "name": "A", "channel": "none", "hostnames_text": "a/b"},
            "hostnames_text",
        ),
        ("platforms", {"code": "a", "name": "A", "channel": "fax"}, "channel"),
        ("platforms", {"code": "a", "name": "A" * 101, "channel": "none"}, "name"),
        ("partners", {"name": "H", "country": "XX"}, "country"),
        ("partners", {"name": "H", "country": "kh", "email": "not-an-address"}, "country"),
        ("services", {"name_en": "S", "kind": "helpline"}, "__all__"),
        ("services", {"name_en": "S", "kind": "helpline", "phone": "call me"}, "phone"),
        (
            "services",
            {"name_en": "S", "kind": "helpline", "phone": "1280", "languages": ["xx"]},
            "languages",
        ),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(
    kind: str, data: dict[str, object], field: str
) -> None:
    client, _ = staff_client("admin2", role="administrator")
    counts = (
        Platform.objects.count(),
        PartnerHotline.objects.count(),
        SupportService.objects.count(),
    )
    events = AuditEvent.objects.filter(action__startswith="directory.").count()
    answer = client.post(f"/staff/directory/{kind}/new/", data)
    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    assert (
        Platform.objects.count(),
        PartnerHotline.objects.count(),
        SupportService.objects.count(),
    ) == counts
    assert AuditEvent.objects.filter(action__startswith="directory.").count() == events


def test_a_partner_hotline_and_a_support_service_are_saved_when_valid() -> None:
    client, _ = staff_client("admin3", role="administrator")
    assert (
        client.post(
            "/staff/directory/partners/new/",
            {"name": "Some hotline", "country": "TH", "email": "report@hotline.example"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/staff/directory/services/new/",
            {
                "name_en": "Child helpline",
                "name_km": "ជំនួយ",
                "kind": "helpline",
                "phone": "+855 12 345 678",
                "languages": ["km", "en"],
            },
        ).status_code
        == 302
    )
    page = Client()
    assert page.get("/staff/directory/").status_code == 302  # not logged in: to the login page
    assert PartnerHotline.objects.get().country == "TH"
    assert SupportService.objects.get().languages == ["km", "en"]


@pytest.fixture
def admin_client() -> Client:
    client, _ = staff_client("admin-fuzz", role="administrator")
    return client


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(
            ["code", "name", "channel", "abuse_email", "web_form_url", "hostnames_text", "notes"]
        ),
        st.text(max_size=3000),
    )
)
def test_any_platform_form_input_is_saved_whole_or_refused_without_a_500(
    admin_client: Client, data: dict[str, str]
) -> None:
    before = Platform.objects.count()
    answer = admin_client.post("/staff/directory/platforms/new/", data)
    assert answer.status_code in {302, 400}
    assert Platform.objects.count() == before + (answer.status_code == 302)
