"""The classification scheme as data: dimensions and their coded values.

The shipped file (data/scheme.toml; HOTLINE_ASSESSMENT_SCHEME_FILE names another) is version 0.
An administrator's edit on the scheme page (hotline.assessment.services.scheme_version_save)
stores a new numbered version (assessment.SchemeVersion); the newest version is in force, and
each assessment names the version it was made under, so its codes keep the labels they had.
The file is read and checked once per process: a file that is not as described (a missing
label, a repeated code, a code that is not [a-z0-9_]) stops the start with a message naming the
problem, instead of assessing with a half-read scheme. Stored versions were checked the same
way before they were saved.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DATA = Path(__file__).resolve().parent / "data"
_CODE = re.compile(r"^[a-z0-9_]{1,40}$")
LANGUAGES = ("en", "km")
# The closed states an assessment value may decide (`closes = "..."` in the file).
CLOSING_STATES = ("no_action", "out_of_scope")


@dataclass(frozen=True)
class Value:
    code: str
    en: str
    km: str
    retired: bool = False
    # A closed case state this value decides on its own ("no_action", "out_of_scope"): an
    # assessment with it closes the case (hotline.assessment.services.assessment_case_state).
    closes: str = ""

    def label(self, language: str = "en") -> str:
        return self.km if language == "km" else self.en


@dataclass(frozen=True)
class Dimension:
    code: str
    en: str
    km: str
    values: tuple[Value, ...]

    def label(self, language: str = "en") -> str:
        return self.km if language == "km" else self.en

    def value(self, code: str) -> Value | None:
        return next((v for v in self.values if v.code == code), None)

    def choices(self) -> list[tuple[str, str]]:
        """Return (code, English label) of the values one may choose now (not retired)."""
        return [(v.code, v.en) for v in self.values if not v.retired]


@dataclass(frozen=True)
class Scheme:
    dimensions: tuple[Dimension, ...]

    def dimension(self, code: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.code == code), None)

    def labels(self, values: dict[str, str]) -> list[tuple[str, str, str]]:
        """Return (dimension label, English value label, Khmer value label) in scheme order.

        A code the scheme no longer knows is shown as itself, marked, rather than hidden.
        """
        rows = []
        for dim in self.dimensions:
            code = values.get(dim.code)
            if code is None:
                continue
            value = dim.value(code)
            if value is None:
                rows.append((dim.en, f"{code} (no longer in the scheme)", ""))
            else:
                rows.append((dim.en, value.en, value.km))
        return rows


def _text(item: dict[str, object], key: str, where: str, path: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ImproperlyConfigured(f"{path}: {where} needs a non-empty `{key}` text")
    return value.strip()


def _code(item: dict[str, object], where: str, path: str) -> str:
    code = item.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise ImproperlyConfigured(
            f"{path}: {where} has code {code!r}; codes are 1-40 characters of a-z, 0-9 and _"
        )
    return code


def scheme_load(path: Path) -> Scheme:
    """Read and check a scheme file; raise ImproperlyConfigured naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImproperlyConfigured(f"{path}: cannot read the assessment scheme: {exc}") from exc
    return scheme_parse(text, source=str(path))


def scheme_parse(text: str, *, source: str = "the scheme") -> Scheme:
    """Check a scheme's TOML text; raise ImproperlyConfigured naming what is wrong."""
    path = source
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ImproperlyConfigured(f"{path}: cannot read the assessment scheme: {exc}") from exc
    if set(data) - {"dimension"}:
        raise ImproperlyConfigured(f"{path}: unknown tables {sorted(set(data) - {'dimension'})}")
    raw = data.get("dimension")
    if not isinstance(raw, list) or not raw:
        raise ImproperlyConfigured(f"{path}: at least one [[dimension]] is needed")
    dimensions: list[Dimension] = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ImproperlyConfigured(f"{path}: dimension {i} must be a table")
        code = _code(item, f"dimension {i}", path)
        where = f"dimension {code!r}"
        unknown = set(item) - {"code", "en", "km", "values"}
        if unknown:
            raise ImproperlyConfigured(f"{path}: {where} has unknown keys {sorted(unknown)}")
        if any(d.code == code for d in dimensions):
            raise ImproperlyConfigured(f"{path}: {where} is given twice")
        values_raw = item.get("values")
        if not isinstance(values_raw, list) or not values_raw:
            raise ImproperlyConfigured(f"{path}: {where} needs a non-empty list of values")
        values: list[Value] = []
        for j, entry in enumerate(values_raw, 1):
            if not isinstance(entry, dict):
                raise ImproperlyConfigured(f"{path}: {where} value {j} must be a table")
            vcode = _code(entry, f"{where} value {j}", path)
            vwhere = f"{where} value {vcode!r}"
            unknown = set(entry) - {"code", "en", "km", "retired", "closes"}
            if unknown:
                raise ImproperlyConfigured(f"{path}: {vwhere} has unknown keys {sorted(unknown)}")
            if any(v.code == vcode for v in values):
                raise ImproperlyConfigured(f"{path}: {vwhere} is given twice")
            retired = entry.get("retired", False)
            if not isinstance(retired, bool):
                raise ImproperlyConfigured(f"{path}: {vwhere}: `retired` must be true or false")
            closes = entry.get("closes", "")
            if closes not in ("", *CLOSING_STATES):
                raise ImproperlyConfigured(
                    f"{path}: {vwhere}: `closes` must be one of {', '.join(CLOSING_STATES)}"
                )
            values.append(
                Value(
                    code=vcode,
                    en=_text(entry, "en", vwhere, path),
                    km=_text(entry, "km", vwhere, path),
                    retired=retired,
                    closes=str(closes),
                )
            )
        if all(v.retired for v in values):
            raise ImproperlyConfigured(f"{path}: {where} has no value left to choose")
        dimensions.append(
            Dimension(
                code=code,
                en=_text(item, "en", where, path),
                km=_text(item, "km", where, path),
                values=tuple(values),
            )
        )
    return Scheme(dimensions=tuple(dimensions))


def scheme_path() -> Path:
    configured = getattr(settings, "HOTLINE_ASSESSMENT_SCHEME_FILE", "")
    return Path(configured) if configured else DATA / "scheme.toml"


@lru_cache(maxsize=1)
def scheme_file() -> Scheme:
    """Return the shipped (or configured) file's scheme, version 0 (read once per process)."""
    return scheme_load(scheme_path())


def scheme_file_text() -> str:
    return scheme_path().read_text(encoding="utf-8")


@lru_cache(maxsize=16)
def _stored(version: int) -> Scheme:
    from hotline.assessment.models import SchemeVersion

    row = SchemeVersion.objects.get(version=version)
    return scheme_parse(row.text, source=f"scheme version {version}")


def scheme_version_in_force() -> int:
    """Return the number of the version in force (0: the file; no edit stored yet)."""
    from hotline.assessment.models import SchemeVersion

    newest = SchemeVersion.objects.order_by("-version").values_list("version", flat=True).first()
    return newest or 0


def scheme_at(version: int) -> Scheme:
    """Return the scheme as it was in `version` (0: the file). Versions never change."""
    return scheme_file() if version == 0 else _stored(version)


class _SchemeInForce:
    """`scheme()`: the newest version (one indexed query, then a per-process cache by number)."""

    def __call__(self) -> Scheme:
        return scheme_at(scheme_version_in_force())

    def cache_clear(self) -> None:
        scheme_file.cache_clear()
        _stored.cache_clear()


scheme = _SchemeInForce()
