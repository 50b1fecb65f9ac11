"""Directory rules: where a notice about an identifier goes, and audited edits."""

from __future__ import annotations

import tomllib
import urllib.parse
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from django.db import models, transaction

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.directory.models import NoticeChannel, Platform

SEED_FILE = "platforms.toml"


def seed_platforms() -> list[dict[str, Any]]:
    """Return the shipped platform entries (data/platforms.toml)."""
    text = resources.files("hotline.directory").joinpath("data", SEED_FILE).read_text("utf-8")
    entries = tomllib.loads(text)["platform"]
    return [dict(entry) for entry in entries]


def platforms_seed(platform_model: type[models.Model]) -> int:
    """Create the shipped platforms that are not there yet (by code); return how many.

    Takes the model class so the data migration can pass its historical model.
    """
    created = 0
    for entry in seed_platforms():
        _, made = platform_model._default_manager.get_or_create(
            code=entry["code"], defaults={**entry, "contact_checked": False}
        )
        created += int(made)
    return created


@dataclass(frozen=True)
class NoticeRoute:
    """Where a notice about one identifier goes, and what is missing before it can go."""

    platform: Platform | None
    host: str
    channel: str = NoticeChannel.NONE
    recipient: str = ""
    form_url: str = ""
    missing: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.missing


def host_of(url: str) -> str:
    """The lower-case host of a URL without a leading "www." ("" if there is none)."""
    try:
        host = urllib.parse.urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".").lower()
    while host.startswith("www."):
        host = host[4:]
    return host


def platform_for(*, entity_platform: str = "", url: str = "") -> Platform | None:
    """The active platform an identifier belongs to: by the entities app's platform name,
    else by the longest of its hostnames that the URL's host is or ends with."""
    if entity_platform:
        found = Platform.objects.filter(code=entity_platform, active=True).first()
        if found is not None:
            return found
    host = host_of(url)
    if not host:
        return None
    best: tuple[int, Platform] | None = None
    for platform in Platform.objects.filter(active=True):
        for name in platform.hostnames:
            name = str(name).lower()
            if (host == name or host.endswith("." + name)) and (
                best is None or len(name) > best[0]
            ):
                best = (len(name), platform)
    return best[1] if best else None


def notice_route(
    *, entity_platform: str = "", url: str = "", child_abuse: bool = True
) -> NoticeRoute:
    """Say where a takedown notice for this identifier goes, or what a person must find first.

    An unknown host is not an error: it is a manual step, named, so the analyst knows what to
    look up (the hosting trace shows who hosts the address).
    """
    host = host_of(url)
    platform = platform_for(entity_platform=entity_platform, url=url)
    if platform is None:
        what = host or entity_platform or "this identifier"
        return NoticeRoute(
            platform=None,
            host=host,
            missing=[
                f"No platform or host in the directory for {what}: find its abuse contact "
                "(the hosting trace names the network owner) and add it to the directory."
            ],
        )
    missing: list[str] = []
    recipient = ""
    if platform.channel == NoticeChannel.EMAIL:
        recipient = (child_abuse and platform.child_abuse_email) or platform.abuse_email
    if platform.channel == NoticeChannel.NONE:
        missing.append(f"{platform.name} has no notice channel yet: add an e-mail or web form.")
    if not platform.contact_checked:
        missing.append(
            f"The contact of {platform.name} has not been checked by an administrator yet."
        )
    return NoticeRoute(
        platform=platform,
        host=host,
        channel=platform.channel,
        recipient=recipient,
        form_url=platform.web_form_url if platform.channel == NoticeChannel.WEB_FORM else "",
        missing=missing,
    )


def directory_entry_save(
    *, actor: User, entry: models.Model, changed: list[str], created: bool
) -> models.Model:
    """Save a platform, partner hotline or support service edited by an administrator."""
    require(actor, Action.MANAGE_SETTINGS)
    with transaction.atomic():
        entry.full_clean()
        entry.save()
        audit_record(
            actor=actor,
            action="directory.created" if created else "directory.changed",
            target_type=entry._meta.label_lower,
            target_id=entry.pk,
            details={"fields": sorted(changed)},
        )
    return entry
