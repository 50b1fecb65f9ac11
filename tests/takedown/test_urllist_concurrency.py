"""Exports at the same time still get distinct, increasing version numbers.

In-process threads race on PostgreSQL (SQLite's in-memory test database serialises writers on
one shared cache and answers "table is locked" instead of waiting); real `hotline urllist
export` processes race on the install's own database, SQLite file or PostgreSQL alike.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from hotline.accounts.models import User
from hotline.takedown.models import UrlListExport
from hotline.takedown.urllist import url_list_issue, url_list_verify
from process_helpers import Install, _install_template, install, log_of  # noqa: F401 - fixtures

EXPORTERS = 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads race only on PostgreSQL here; the process test below covers SQLite",
)
def test_simultaneous_exports_get_distinct_versions_that_all_verify() -> None:
    actor = User.objects.create_user(
        username="racer", password="x", is_staff=True, role="senior_analyst"
    )
    start = threading.Barrier(EXPORTERS)
    issued: list[object] = []
    errors: list[BaseException] = []

    def export() -> None:
        try:
            start.wait()
            issued.append(url_list_issue(actor=actor, fmt="csv"))
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=export) for _ in range(EXPORTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    versions = sorted(item.export.version for item in issued)  # type: ignore[attr-defined]
    assert versions == list(range(1, EXPORTERS + 1))
    assert UrlListExport.objects.count() == EXPORTERS
    for item in issued:
        assert url_list_verify(item.body, item.manifest).latest_version == EXPORTERS  # type: ignore[attr-defined]


@pytest.mark.slow
def test_simultaneous_export_processes_get_distinct_versions(
    install: Install,  # noqa: F811
) -> None:
    install.shell(
        "from hotline.accounts.models import User\n"
        "User.objects.create_user(username='racer', password='x', is_staff=True,"
        " role='senior_analyst')"
    )
    outs = [install.data_dir / f"list-{n}.csv" for n in range(EXPORTERS)]
    processes = [
        install.start("urllist", "export", "--out", str(out), "--as", "racer") for out in outs
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0, log_of(process)
    versions = sorted(int(log_of(p).split("URL list version ")[1].split(":")[0]) for p in processes)
    assert versions == list(range(1, EXPORTERS + 1))
    for out in outs:
        done = install.run("urllist", "verify", str(out))
        assert done.returncode == 0, done.stderr
        assert "valid URL list version" in done.stdout
