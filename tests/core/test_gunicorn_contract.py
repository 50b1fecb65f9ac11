"""What hotline.core.webserver relies on in gunicorn's gthread worker, checked where installed.

BufferingThreadWorker overrides protected methods and reads attributes of gunicorn's
ThreadWorker, which are not a public API. pyproject.toml pins gunicorn to the minor release
these were read from; this test fails when an install gets another one, or when the methods and
attributes change shape, so that an upgrade is a deliberate act with the framing and slow-client
tests (test_web_framing.py, test_slow_clients.py) run again.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import pytest
from gunicorn import glogging
from gunicorn.workers.gthread import ThreadWorker
from packaging.requirements import Requirement

from hotline.core.webserver import BufferingThreadWorker, PrivateLogger

OVERRIDDEN = {
    "init_process": ["self"],
    "load_wsgi": ["self"],
    "handle_error": ["self", "req", "client", "addr", "exc"],
    "enqueue_req": ["self", "conn"],
    "murder_pending": ["self"],
    "wait_for_and_dispatch_events": ["self", "timeout"],
}


def _pin() -> Requirement:
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return next(Requirement(d) for d in dependencies if Requirement(d).name == "gunicorn")


def test_gunicorn_is_pinned_to_one_minor_release_and_installed_within_it() -> None:
    pin = _pin()
    assert pin.specifier.contains(version("gunicorn"))
    upper = [s for s in pin.specifier if s.operator == "<"]
    assert upper, "gunicorn needs an upper bound"
    major, minor = (int(part) for part in upper[0].version.split(".")[:2])
    lower = [s for s in pin.specifier if s.operator == ">="]
    assert lower
    assert lower[0].version.split(".")[:1] == [str(major)]
    assert minor >= 1, "the bound must stop at the next minor release, e.g. <27.1"


@pytest.mark.parametrize(("name", "parameters"), sorted(OVERRIDDEN.items()))
def test_overridden_gthread_methods_keep_their_signatures(name: str, parameters: list[str]) -> None:
    theirs = getattr(ThreadWorker, name)
    assert list(inspect.signature(theirs).parameters) == parameters
    assert getattr(BufferingThreadWorker, name) is not theirs, f"{name} is no longer overridden"


def test_gthread_attributes_read_by_the_worker_are_set_in_its_constructor() -> None:
    source = inspect.getsource(ThreadWorker.__init__)
    for attribute in ("self.poller", "self.nr_conns", "self.worker_connections"):
        assert f"{attribute} =" in source


def test_the_private_logger_overrides_setup_with_the_same_signature() -> None:
    assert list(inspect.signature(glogging.Logger.setup).parameters) == ["self", "cfg"]
    assert PrivateLogger.setup is not glogging.Logger.setup
