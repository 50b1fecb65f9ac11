"""Publishing a quarter from the staff pages: which quarters, their preview, the confirmed publish.

The staff page (/staff/statistics/publish/) shows, for a finished quarter not yet published,
exactly what `public.quarter_publish` would freeze (the same counting and suppression, computed
now and stored nowhere), and publishes it only when the administrator typed the quarter and
the figures are still the ones they saw. Every rule is here; the views parse and render.

Who may: `manage_settings`, the right `quarter_publish` requires (administrators). Nothing here
shows a hidden count: the preview is built from `quarter_figures`, which keeps none.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncQuarter
from django.utils import timezone

from hotline.accounts.permissions import Action, require
from hotline.intake.models import Report
from hotline.statistics.models import PublishedQuarter
from hotline.statistics.public import (
    FIRST_YEAR,
    TABLES,
    AlreadyPublished,
    QuarterKey,
    StatisticsError,
    derived_outcomes,
    quarter_figures,
    quarter_publish,
    threshold_setting,
    year_counts,
)


class NotConfirmed(StatisticsError):
    """The quarter typed to confirm is not the quarter being published."""


class FiguresChanged(StatisticsError):
    """The figures differ from the preview the administrator confirmed."""


class NotPublishable(StatisticsError):
    """The quarter cannot be published now (not over yet, or no report in it)."""


@dataclass(frozen=True)
class QuarterRow:
    """One line of the publishing page (a finished quarter with reports, or a published one)."""

    key: QuarterKey
    published: PublishedQuarter | None
    # The total as the public sees (or would see) it: "<5" below the threshold.
    total_text: str


@dataclass(frozen=True)
class Preview:
    """What one quarter shows, or would show, on the public page (no hidden value in it)."""

    key: QuarterKey
    published: PublishedQuarter | None
    figures: dict[str, Any] | None  # None when there is nothing to publish (see `problem`)
    digest: str
    problem: str  # why the quarter cannot be published now ("" when it can)

    @property
    def tables(self) -> list[dict[str, Any]]:
        return display_tables(self.figures) if self.figures else []

    @property
    def derived(self) -> dict[str, int | None]:
        return derived_outcomes(self.figures) if self.figures else {}


def current_quarter(now: datetime | None = None) -> QuarterKey:
    """The quarter running now, in the hotline's time zone."""
    today = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date()
    return QuarterKey(today.year, (today.month - 1) // 3 + 1)


def figures_digest(figures: dict[str, Any]) -> str:
    """A fingerprint of published figures, so a confirmation names the figures it saw.

    The figures hold no hidden value, so their digest reveals nothing the preview did not show.
    """
    text = json.dumps(figures, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def display_tables(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The tables of figures as the public page lays them out: title, rows of (label, text)."""
    tables = []
    for name, cells in (figures.get("tables") or {}).items():
        # A table named in an old snapshot but no longer defined keeps its code as title.
        fallback: tuple[Any, dict[str, Any]] = (name, {})
        title, labels = TABLES.get(name, fallback)
        tables.append(
            {
                "name": name,
                "title": title,
                "withheld": cells is None,
                "rows": [(labels.get(c["code"], c["code"]), c["text"]) for c in cells or []],
            }
        )
    return tables


def publishing_quarters(user: Any) -> list[QuarterRow]:
    """Finished quarters with reports, and published quarters, newest first (administrators).

    One grouped query over the reports (the database counts per quarter).
    """
    require(user, Action.MANAGE_SETTINGS)
    running = current_quarter()
    zone = ZoneInfo(settings.TIME_ZONE)  # quarters are the hotline's, as in public.py
    groups = (
        Report.objects.filter(
            created_at__gte=QuarterKey(FIRST_YEAR, 1).start(), created_at__lt=running.start()
        )
        .annotate(q=TruncQuarter("created_at", tzinfo=zone))
        .values("q")
        .annotate(n=Count("id"))
        .order_by()
    )
    totals: dict[QuarterKey, int] = {}
    for group in groups:
        local = timezone.localtime(group["q"], zone)
        key = QuarterKey(local.year, (local.month - 1) // 3 + 1)
        totals[key] = totals.get(key, 0) + int(group["n"])
    published = {QuarterKey(p.year, p.quarter): p for p in PublishedQuarter.objects.all()}
    threshold = threshold_setting()
    rows = []
    for key in sorted(set(totals) | set(published), reverse=True):
        snapshot = published.get(key)
        if snapshot is not None:
            text = str(snapshot.figures["total"]["text"])
        else:
            total = totals[key]
            text = f"<{threshold}" if 0 < total < threshold else str(total)
        rows.append(QuarterRow(key=key, published=snapshot, total_text=text))
    return rows


def quarter_preview(user: Any, key: QuarterKey) -> Preview:
    """The published figures of `key`, or what publishing it now would freeze (stores nothing).

    `problem` says why it cannot be published now: not over yet, or no report received in it.
    """
    require(user, Action.MANAGE_SETTINGS)
    snapshot = PublishedQuarter.objects.filter(year=key.year, quarter=key.quarter).first()
    if snapshot is not None:
        return Preview(key, snapshot, snapshot.figures, figures_digest(snapshot.figures), "")
    if key.end() > timezone.now():
        ends = key.end()
        return Preview(
            key,
            None,
            None,
            "",
            f"{key} is not over yet: it can be published from {ends:%d %B %Y} ({ends.tzinfo}).",
        )
    counts = year_counts(key.year, [key.quarter])[key.quarter]
    if counts.total == 0:
        return Preview(
            key, None, None, "", f"No report was received in {key}: there is nothing to publish."
        )
    figures = quarter_figures(counts, threshold_setting())
    return Preview(key, None, figures, figures_digest(figures), "")


def quarter_publish_confirmed(
    *, actor: Any, key: QuarterKey, typed: str, digest: str
) -> PublishedQuarter:
    """Publish `key` as the administrator confirmed it on the staff page (audited).

    Refused, changing nothing: when `typed` does not name the quarter; when the quarter is
    published already (AlreadyPublished, also when another request wins a race: the unique
    constraint decides), not over, or empty; when its figures are no longer the ones previewed
    (`digest`), e.g. a report was assessed in between: the administrator looks again.
    """
    require(actor, Action.MANAGE_SETTINGS)
    try:
        confirmed = QuarterKey.parse(typed)
    except StatisticsError:
        confirmed = None
    if confirmed != key:
        raise NotConfirmed(f"To publish, type the quarter exactly as shown: {key}.")
    preview = quarter_preview(actor, key)
    if preview.published is not None:
        raise AlreadyPublished(already_published_message(preview.published))
    if preview.problem:
        raise NotPublishable(preview.problem)
    if preview.digest != digest:
        raise FiguresChanged(
            f"The figures of {key} changed since the preview was shown (a report was worked on "
            "meanwhile): nothing was published. Check the new preview below and confirm again."
        )
    try:
        published = quarter_publish(actor=actor, key=key)
    except AlreadyPublished:
        # Another request published it between our check and our insert.
        winner = PublishedQuarter.objects.filter(year=key.year, quarter=key.quarter).first()
        if winner is None:
            raise
        raise AlreadyPublished(already_published_message(winner)) from None
    return published


def already_published_message(published: PublishedQuarter) -> str:
    when = timezone.localtime(published.published_at)
    return (
        f"{published} was already published, on {when:%Y-%m-%d at %H:%M} by "
        f"{published.published_by.get_username()}. Published figures never change: "
        "nothing was changed."
    )
