"""OpenHotline's settings with the URL map swapped for the ceiling views (and their table)."""

from hotline.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "ceiling"]  # noqa: F405
ROOT_URLCONF = "ceiling.urls"
