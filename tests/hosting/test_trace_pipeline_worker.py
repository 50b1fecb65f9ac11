"""A real worker process traces a new report's link after extraction (DNS stub on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from net_stubs import dns_server
from process_helpers import Install, _install_template, install, wait_for  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).with_name("ip2asn-sample.tsv")
RECORDS = {"files.test": ["103.10.20.30"], "30.20.10.103.in-addr.arpa": ["host30.kh.test."]}
WORKER = {"HOTLINE_WORKER_PROCESSES": "1", "HOTLINE_TASK_TIMEOUT": "60"}
READ_TRACES = (
    "import json\n"
    "from hotline.hosting.models import HostTrace\n"
    "print(json.dumps([[t.host, t.countries] for t in HostTrace.objects.all()]))"
)


def test_a_real_worker_traces_the_host_of_a_reported_link(install: Install) -> None:  # noqa: F811
    loaded = install.run("hosting", "load", str(SAMPLE))
    assert loaded.returncode == 0, loaded.stderr
    install.shell(
        "from hotline.intake.services import ReportInput, report_submit\n"
        "report_submit(data=ReportInput(reporter_role='myself', categories=['sextortion'],"
        " links=['https://files.test/a.jpg', 'https://www.files.test/b.jpg']), evidence=[])"
    )
    with dns_server(lambda name, nth: RECORDS.get(name, [])) as (port, log):
        worker = install.start("worker", HOTLINE_FETCH_NAMESERVERS=f"127.0.0.1:{port}", **WORKER)
        wait_for(
            lambda: json.loads(install.shell(READ_TRACES)),
            timeout=120,
            interval=1,
            what="the worker to trace files.test",
            alive=worker,
        )
        assert json.loads(install.shell(READ_TRACES)) == [["files.test", ["KH"]]]
        # Asked once for the host although the report names it twice.
        assert log.queries.count(("files.test", "A")) == 1
