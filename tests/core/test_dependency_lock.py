"""The dependency locks agree with pyproject.toml, and the tests run on the locked versions.

scripts/bootstrap installs requirements/lock.txt (run) or requirements/dev-lock.txt (develop,
test, CI); a dependency added or re-ranged in pyproject.toml without `scripts/lock` fails here.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
SELF = "openhotline"


def locked(name: str) -> dict[str, Requirement]:
    """Return the pins of one lock file by canonical package name (hashes and comments dropped)."""
    text = (ROOT / "requirements" / name).read_text()
    pins: dict[str, Requirement] = {}
    for logical in text.replace("\\\n", " ").splitlines():
        line = logical.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line.split(" --hash", 1)[0].strip())
        pins[canonicalize_name(requirement.name)] = requirement
    return pins


def pinned_version(requirement: Requirement) -> Version:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} is not an exact pin"
    return Version(spec.version)


def declared(*extras: str) -> list[Requirement]:
    """Return pyproject.toml's direct dependencies, with those of `extras` (recursively)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    pending = list(extras)
    seen: set[str] = set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in project["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == SELF:
                pending.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


@pytest.mark.parametrize(
    ("lock", "extras"), [("lock.txt", ()), ("dev-lock.txt", ("dev",))], ids=["run", "dev"]
)
def test_lock_satisfies_every_direct_dependency_of_pyproject(
    lock: str, extras: tuple[str, ...]
) -> None:
    pins = locked(lock)
    problems = []
    for requirement in declared(*extras):
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement.name} is not in requirements/{lock}")
        elif not requirement.specifier.contains(pinned_version(pin), prereleases=True):
            problems.append(f"requirements/{lock} pins {pin} outside {requirement}")
    assert not problems, "run scripts/lock: " + "; ".join(problems)


def test_every_direct_dependency_has_an_upper_bound() -> None:
    unbounded = [
        str(r)
        for r in declared("dev")
        if not any(s.operator in {"<", "<=", "==", "~="} for s in r.specifier)
        # The task queue's range is chosen with the queue's internals (issue 9, faults).
        and canonicalize_name(r.name) != "django-q2"
    ]
    assert not unbounded


def test_run_lock_pins_the_same_versions_as_the_dev_lock() -> None:
    dev = locked("dev-lock.txt")
    differing = [
        f"{name}: {pin} vs {dev.get(name)}"
        for name, pin in locked("lock.txt").items()
        if name not in dev or pinned_version(dev[name]) != pinned_version(pin)
    ]
    assert not differing


def test_installed_packages_are_the_dev_lock_versions() -> None:
    """The tests run on what a fresh `scripts/bootstrap dev` installs, nothing else."""
    wrong = []
    for name, pin in locked("dev-lock.txt").items():
        if pin.marker is not None and not pin.marker.evaluate():
            continue
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} is not installed")
            continue
        if installed != pinned_version(pin):
            wrong.append(f"{name} {installed} installed, {pin} locked")
    assert not wrong, "run scripts/bootstrap dev: " + "; ".join(wrong)
