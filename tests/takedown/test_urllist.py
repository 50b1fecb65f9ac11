"""The URL list for blocking: only confirmed, still-online web links; versioned, signed, and
`hotline urllist verify` rejects anything changed, relabelled or not issued here."""

from __future__ import annotations

import base64
import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllist_support import assess, report_with_links, targets_of, url_of

from hotline.accounts.models import User
from hotline.audit.checkpoints import document_sign
from hotline.audit.models import AuditEvent
from hotline.takedown.models import Target, UrlListExport
from hotline.takedown.urllist import (
    UrlListError,
    confirmed_online_urls,
    url_list_issue,
    url_list_verify,
)
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db
ROLES_ALLOWED = ["senior_analyst", "liaison"]
ROLES_REFUSED = ["analyst", "caseworker", "administrator"]


def _exporter(role: str = "senior_analyst") -> User:
    return User.objects.create_user(username=f"x-{role}", password="x", is_staff=True, role=role)


@pytest.fixture
def listed() -> dict[str, str]:
    """Reports in every situation; returns the URL of each by what should happen to it."""
    confirmed = report_with_links("https://bad.example/a.jpg", "https://t.me/some_group")
    assess(confirmed, "illegal_international")
    online, *_ = targets_of(confirmed, noticed_at=timezone.now())
    national = report_with_links("http://other.example/x?id=7")
    assess(national, "illegal_national")
    (national_target,) = targets_of(national)
    removed = report_with_links("https://gone.example/p")
    assess(removed, "illegal_international")
    (removed_target,) = targets_of(removed, noticed_at=timezone.now(), removed_at=timezone.now())
    legal = report_with_links("https://legal.example/ok")
    assess(legal, "not_illegal")
    (legal_target,) = targets_of(legal)
    changed = report_with_links("https://changed.example/mind")
    assess(changed, "illegal_national")
    assess(changed, "not_illegal")  # reassessed: the current assessment counts
    (changed_target,) = targets_of(changed)
    carried = report_with_links("https://carried.example/same")
    assess(carried, "illegal_international", carried=True)  # not yet seen by an analyst
    (carried_target,) = targets_of(carried)
    unassessed = report_with_links("https://waiting.example/q")
    (unassessed_target,) = targets_of(unassessed)
    return {
        "online": url_of(online),
        "national": url_of(national_target),
        "removed": url_of(removed_target),
        "legal": url_of(legal_target),
        "changed": url_of(changed_target),
        "carried": url_of(carried_target),
        "unassessed": url_of(unassessed_target),
    }


def test_only_confirmed_still_online_web_links_are_listed_once_and_sorted(
    listed: dict[str, str],
) -> None:
    urls = [item.url for item in confirmed_online_urls()]
    assert urls == sorted([listed["online"], listed["national"]])
    # The Telegram group of the same report is a handle, not a web address a provider blocks.
    assert not any("t.me" in url for url in urls)


def test_the_same_link_in_two_reports_is_listed_once_since_its_first_notice() -> None:
    early, late = timezone.now() - timedelta(days=3), timezone.now()
    for noticed in (late, early):
        report = report_with_links("https://twice.example/same")
        assess(report, "illegal_international")
        targets_of(report, noticed_at=noticed)
    (item,) = confirmed_online_urls()
    assert item.listed_since == early


def test_each_export_is_a_new_version_and_a_removed_link_drops_out(
    listed: dict[str, str], tmp_path: Path
) -> None:
    actor = _exporter()
    first = url_list_issue(actor=actor, fmt="csv")
    rows = list(csv.reader(io.StringIO(first.body.decode())))
    assert rows[0] == ["url", "listed_since"]
    assert sorted(r[0] for r in rows[1:]) == sorted([listed["online"], listed["national"]])
    assert (first.export.version, first.export.url_count) == (1, 2)
    Target.objects.filter(state=Target.State.ONLINE).update(
        state=Target.State.REMOVED, removed_at=timezone.now()
    )
    second = url_list_issue(actor=actor, fmt="json")
    document = json.loads(second.body)
    assert (document["version"], document["urls"]) == (2, [])
    assert document["format"] == "openhotline-url-list-1"
    assert list(UrlListExport.objects.values_list("version", flat=True)) == [2, 1]
    assert url_list_verify(first.body, first.manifest).latest_version == 2


def test_an_export_is_audited_without_any_address(listed: dict[str, str]) -> None:
    issued = url_list_issue(actor=_exporter(), fmt="csv")
    event = AuditEvent.objects.get(action="urllist.export")
    assert event.target_id == str(issued.export.version)
    assert event.details["url_count"] == 2
    text = json.dumps(event.details) + event.target_id
    assert not any(url in text for url in listed.values())
    assert "example" not in text


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_roles_without_the_right_cannot_export_and_nothing_is_issued(role: str) -> None:
    with pytest.raises(PermissionDenied):
        url_list_issue(actor=_exporter(role), fmt="csv")
    assert not UrlListExport.objects.exists()
    assert not AuditEvent.objects.filter(action="urllist.export").exists()


@pytest.mark.parametrize("role", ROLES_ALLOWED)
def test_roles_with_the_right_export(role: str) -> None:
    assert url_list_issue(actor=_exporter(role), fmt="csv").export.version == 1


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_issued_list_verifies(listed: dict[str, str], fmt: str) -> None:
    issued = url_list_issue(actor=_exporter(), fmt=fmt)
    verified = url_list_verify(issued.body, issued.manifest)
    assert (verified.version, verified.url_count, verified.latest_version) == (1, 2, 1)


def test_a_flipped_byte_anywhere_in_the_list_is_rejected(listed: dict[str, str]) -> None:
    issued = url_list_issue(actor=_exporter(), fmt="csv")
    for position in range(len(issued.body)):
        changed = bytearray(issued.body)
        changed[position] ^= 0x01
        with pytest.raises(UrlListError, match="differs from the one signed"):
            url_list_verify(bytes(changed), issued.manifest)


def test_reordered_or_removed_lines_are_rejected(listed: dict[str, str]) -> None:
    issued = url_list_issue(actor=_exporter(), fmt="csv")
    header, first, second = issued.body.decode().splitlines()
    for lines in ([header, second, first], [header, first], [header, first, first, second]):
        with pytest.raises(UrlListError, match="differs"):
            url_list_verify(("\n".join(lines) + "\n").encode(), issued.manifest)


def test_an_old_version_relabelled_as_newer_is_rejected(listed: dict[str, str]) -> None:
    actor = _exporter()
    old = url_list_issue(actor=actor, fmt="csv")
    new = url_list_issue(actor=actor, fmt="csv")
    relabelled = json.loads(old.manifest)
    relabelled["statement"]["version"] = new.export.version
    with pytest.raises(UrlListError, match="signature is not valid"):
        url_list_verify(old.body, json.dumps(relabelled).encode())
    # The old list under a newer version's manifest (that list has no URLs left): rejected.
    Target.objects.filter(state=Target.State.ONLINE).update(
        state=Target.State.REMOVED, removed_at=timezone.now()
    )
    newest = url_list_issue(actor=actor, fmt="csv")
    with pytest.raises(UrlListError, match="differs"):
        url_list_verify(old.body, newest.manifest)
    # The old pair still verifies, and says it is superseded.
    assert url_list_verify(old.body, old.manifest).latest_version == newest.export.version


def test_a_signature_made_for_another_purpose_is_rejected(listed: dict[str, str]) -> None:
    issued = url_list_issue(actor=_exporter(), fmt="csv")
    manifest = json.loads(issued.manifest)
    statement = json.dumps(manifest["statement"], sort_keys=True, separators=(",", ":")).encode()
    manifest["signature"] = base64.b64encode(
        document_sign(statement, purpose="referral-manifest")
    ).decode()
    with pytest.raises(UrlListError, match="signature is not valid"):
        url_list_verify(issued.body, json.dumps(manifest).encode())


def test_a_signed_list_this_hotline_has_no_record_of_is_rejected(listed: dict[str, str]) -> None:
    issued = url_list_issue(actor=_exporter(), fmt="csv")
    UrlListExport.objects.all().delete()
    with pytest.raises(UrlListError, match="no record of issuing version 1"):
        url_list_verify(issued.body, issued.manifest)


@pytest.mark.parametrize(
    "manifest",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"[]",
        b"null",
        b'{"statement": []}',
        b'{"statement": {"format": "openhotline-url-list-manifest-1"}}',
        b'{"statement": {"format": "openhotline-url-list-manifest-1", "list_format": "csv",'
        b' "version": "1", "generated_at": "x", "url_count": 1, "sha256": "00"},'
        b' "signature": "AA=="}',
        b'{"statement": {"format": "openhotline-url-list-manifest-1", "list_format": "csv",'
        b' "version": true, "generated_at": "x", "url_count": 1, "sha256": "00"},'
        b' "signature": "AA=="}',
        b'{"statement": {"format": "openhotline-url-list-manifest-1", "list_format": "csv",'
        b' "version": 1, "generated_at": "x", "url_count": 1, "sha256": "00"},'
        b' "signature": "not base64!"}',
        b'{"statement": {"format": "openhotline-url-list-manifest-1", "list_format": "csv",'
        b' "version": 1, "generated_at": "x", "url_count": 1, "sha256": "00"},'
        b' "signature": "AAAA"}',
        b"{" * 100_000,
        b" " * (2 * 1024 * 1024),
    ],
)
def test_garbage_manifests_are_rejected_with_a_reason(manifest: bytes) -> None:
    with pytest.raises(UrlListError):
        url_list_verify(b"url,listed_since\n", manifest)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(list_bytes=st.binary(max_size=300), manifest=st.binary(max_size=600))
def test_any_bytes_are_rejected_cleanly(list_bytes: bytes, manifest: bytes) -> None:
    with pytest.raises(UrlListError):
        url_list_verify(list_bytes, manifest)


# --- the command -------------------------------------------------------------------------


def test_the_command_exports_and_verifies(listed: dict[str, str], tmp_path: Path) -> None:
    _exporter("liaison")
    out = tmp_path / "list.csv"
    stdout = io.StringIO()
    call_command("urllist", "export", "--out", str(out), "--as", "x-liaison", stdout=stdout)
    assert "URL list version 1: 2 URLs" in stdout.getvalue()
    assert (tmp_path / "list.csv.sig").exists()
    stdout = io.StringIO()
    call_command("urllist", "verify", str(out), stdout=stdout)
    assert "valid URL list version 1" in stdout.getvalue()
    assert "the current version" in stdout.getvalue()
    out.write_bytes(out.read_bytes().replace(b"bad", b"bae"))
    with pytest.raises(CommandError, match="REJECTED: the list file differs"):
        call_command("urllist", "verify", str(out))


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_the_command_refuses_accounts_whose_role_may_not_export(role: str, tmp_path: Path) -> None:
    _exporter(role)
    with pytest.raises(CommandError, match="may not export the URL list"):
        call_command("urllist", "export", "--out", str(tmp_path / "l.csv"), "--as", f"x-{role}")
    assert not (tmp_path / "l.csv").exists()
    assert not UrlListExport.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["export", "--as", "x-senior_analyst"], "--out"),
        (["export", "--out", "{tmp}/l.csv"], "--as"),
        (["export", "--out", "{tmp}/l.csv", "--as", "nobody"], "no active staff account"),
        (["export", "--out", "{tmp}/l.csv", "--as", "x" * 5000], "no active staff account"),
        (["export", "--out", "{tmp}/l.csv", "--as", "x-senior_analyst", "--format", "xml"], "xml"),
        (["export", "--out", "{tmp}/no/such/dir/l.csv", "--as", "x-senior_analyst"], "folder"),
        (["export", "--out", "{tmp}", "--as", "x-senior_analyst"], "is a folder"),
        (["verify", "{tmp}/missing.csv"], "cannot read"),
        (["verify", "{tmp}/garbage.csv"], "cannot read"),  # no .sig next to it
        (["verify", "{tmp}/garbage.csv", "--signature", "{tmp}/garbage.csv"], "REJECTED"),
        (["verify", "{tmp}"], "cannot read"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_command_arguments_fail_with_a_clear_message(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    _exporter()
    (tmp_path / "garbage.csv").write_bytes(b"\x00\xff=cmd|' /C calc'!A0\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in arguments]
    with pytest.raises(CommandError, match=message):
        call_command("urllist", *args)
    assert not UrlListExport.objects.exists()


# --- the staff page ----------------------------------------------------------------------


def test_the_staff_page_issues_a_signed_download(listed: dict[str, str], client) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff("senior", role="senior_analyst")
    log_in(client, staff)
    page = client.get("/staff/scorecards/url-list/")
    assert page.status_code == 200
    assert b"No version issued yet" in page.content
    download = client.post("/staff/scorecards/url-list/", {"format": "json"})
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="url-list-v1.zip"'
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        body = archive.read("url-list-v1.json")
        manifest = archive.read("url-list-v1.json.sig")
    assert url_list_verify(body, manifest).url_count == 2
    page = client.get("/staff/scorecards/url-list/")
    assert b"<td>1</td>" in page.content
    assert b"senior" in page.content


@pytest.mark.parametrize("bad", ["xml", "", "csv\x00", "c" * 10_000])
def test_the_staff_page_refuses_a_bad_format_and_issues_nothing(client, bad: str) -> None:  # type: ignore[no-untyped-def]
    log_in(client, make_staff("senior", role="senior_analyst"))
    answer = client.post("/staff/scorecards/url-list/", {"format": bad})
    assert answer.status_code == 400
    assert not UrlListExport.objects.exists()


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_the_staff_page_is_refused_to_roles_without_the_right(client, role: str) -> None:  # type: ignore[no-untyped-def]
    log_in(client, make_staff(f"s-{role}", role=role))
    assert client.get("/staff/scorecards/url-list/").status_code == 403
    assert client.post("/staff/scorecards/url-list/", {"format": "csv"}).status_code == 403
    assert not UrlListExport.objects.exists()


def test_the_staff_page_needs_a_login(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/staff/scorecards/url-list/")
    assert answer.status_code == 302
    assert "/staff/login/" in answer["Location"]
