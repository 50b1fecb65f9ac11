"""WSGI entry point (gunicorn hotline.wsgi).

Each web process loads the whole application here, then moves everything it has allocated so
far out of the garbage collector's sight (`gc.freeze`). Django, the libraries and the loaded
templates are over a hundred thousand long-lived objects; without the freeze every full
collection walks all of them, which stalls every thread of the process for 50-130 ms on this
class of machine, a few times a minute under load, and that alone broke the latency target of
the report form (benchmarks/README.md, "Intake").
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

# Started by a web server other than `hotline run` too: keep what it writes private (cli.py).
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
application = get_wsgi_application()

from hotline.config import ConfigError  # noqa: E402 - after setup
from hotline.core.selectors import emergency_contacts_snapshot  # noqa: E402
from hotline.keys.checks import key_checks_at_start  # noqa: E402

# Started by another web server than `hotline run` (which checks before starting it): refuse a
# key file that belongs to another database before serving anything.
try:
    key_checks_at_start()
except ConfigError as exc:
    import sys

    sys.stderr.write(f"hotline: {exc}\n")
    raise SystemExit(2) from None


def _load_lazily_imported_parts() -> None:
    """Import the views (through the URL map) and compile the public templates now.

    Objects created at startup stay for the life of the process: loading them before the
    freeze keeps them out of every later collection as well.
    """
    from django.template import TemplateDoesNotExist, loader
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (importing every view module is the point)
    for name in (
        "intake/home.html",
        "intake/report_form.html",
        "intake/receipt.html",
        "intake/status.html",
        "intake/status_lookup.html",
        "intake/danger.html",
        "core/unavailable.html",
    ):
        try:
            loader.get_template(name)
        except TemplateDoesNotExist:  # pragma: no cover - a renamed template must not stop startup
            continue


_load_lazily_imported_parts()
# The emergency numbers the outage page shows if the database goes away later.
emergency_contacts_snapshot()
gc.freeze()
