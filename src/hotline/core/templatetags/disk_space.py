"""`{% disk_space_banner %}`: tell staff when a data folder runs out of room."""

from __future__ import annotations

from django import template

from hotline.core.selectors import FolderSpace, disk_space

register = template.Library()


@register.inclusion_tag("core/_disk_space_banner.html")
def disk_space_banner() -> dict[str, list[FolderSpace]]:
    """Return the folders that are low or full (none: the banner shows nothing)."""
    return {"short": [space for space in disk_space() if space.state != "ok"]}
