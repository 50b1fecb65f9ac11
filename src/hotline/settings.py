"""Django settings, from environment variables only (see docs/operations.md)."""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from hotline.config import (
    ConfigError,
    create_private_file,
    data_dir,
    env_bool,
    env_list,
    env_number,
    load_keys,
    make_private_dir,
    throwaway_keys,
    uses_data,
)

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()
if uses_data():  # `hotline hash` creates nothing where it runs (hotline.cli)
    make_private_dir(DATA_DIR)
    make_private_dir(DATA_DIR / "static")

DEFAULT_SQLITE = DATA_DIR / "hotline.sqlite3"
DATABASE_URL = os.environ.get("HOTLINE_DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}")

# A fresh install creates its keys; an existing install with a missing key file must stop
# rather than silently create new keys that cannot read the old reports.
_fresh_install = DATABASE_URL.startswith("sqlite") and not DEFAULT_SQLITE.exists()
KEYS = (
    load_keys(create=_fresh_install or env_bool("HOTLINE_CREATE_KEY_FILE", False))
    if uses_data()
    else throwaway_keys()
)

SECRET_KEY = KEYS.secret_key
DEBUG = env_bool("HOTLINE_DEBUG", False)
ALLOWED_HOSTS = env_list("HOTLINE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("HOTLINE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_q",
    "hotline.core",
    # Before allauth: our templates for its login and two-factor pages win.
    "hotline.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "hotline.audit",
    "hotline.vault",
    "hotline.tasks",
    "hotline.intake",
    "hotline.guidance",
    "hotline.staff",
    "hotline.hashing",
    "hotline.entities",
    "hotline.cases",
    "hotline.triage",
    "hotline.directory",
    "hotline.hosting",
    "hotline.sitesettings",
    "hotline.alerts",
    "hotline.assessment",
    "hotline.viewing",
    "hotline.keys",
    "hotline.search",
    "hotline.retention",
    "hotline.takedown",
    "hotline.statistics",
    "hotline.support",
    "hotline.referrals",
]

MIDDLEWARE = [
    "hotline.core.middleware.PrivacyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # After the security headers' middleware: its 413 answer carries them too.
    "hotline.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses pages (below WhiteNoise, which serves its own pre-compressed static files and
    # must keep their length and ranges; above every middleware that writes the body). Django
    # pads the gzip header at random against BREACH, and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff pages only: two-factor enrolment required, timeouts, disabled accounts logged out.
    "hotline.accounts.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view failing on a database or disk that cannot be used answers 503 "try again".
    "hotline.core.middleware.ServiceUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hotline.urls"
WSGI_APPLICATION = "hotline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hotline.core.context_processors.site",
            ],
        },
    },
]

_DATABASE_URL_HELP = (
    "HOTLINE_DATABASE_URL must look like postgres://user:password@host:5432/name "
    "or sqlite:////absolute/path/hotline.sqlite3"
)
try:
    # The health check (one `SELECT 1` before a kept connection is reused by a request) means a
    # restarted database costs no failed request; it is one round trip per request, so an
    # operator may turn it off (benchmarks/README.md, "Intake", measures both).
    _db = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=60,
        conn_health_checks=env_bool("HOTLINE_DB_HEALTH_CHECKS", True),
    )
except ValueError:
    # Not the URL itself in the message: it may hold a password.
    raise ConfigError(f"{_DATABASE_URL_HELP}.") from None
if _db["ENGINE"] not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
    raise ConfigError(f"{_DATABASE_URL_HELP} (OpenHotline runs on PostgreSQL or SQLite).")
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets the worker and the web server work at once; synchronous=FULL makes a
        # committed report survive a power cut; IMMEDIATE avoids lock-upgrade deadlocks.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    _sqlite_file = Path(str(_db["NAME"]))
    if uses_data() and str(_db["NAME"]) != ":memory:" and not _sqlite_file.exists():
        # SQLite would create it world-readable; its -wal and -shm files copy this mode.
        make_private_dir(_sqlite_file.parent)
        create_private_file(_sqlite_file)
if _db["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: our queries are short page reads, and a plan whose estimate counts
    # the whole queue (a search walking it in order, stopping after a page) spent 1.4 s
    # compiling for a 9 ms query (benchmarks/staff_queue.py; docs/decisions/search.md).
    _db["OPTIONS"] = {**_db.get("OPTIONS", {}), "options": "-c jit=off"}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "/staff/"

# Staff login (docs/decisions/staff-login.md): django-allauth's login with TOTP two-factor and
# recovery codes, required for every staff account (hotline.accounts.middleware); lockout per
# account name by django-axes, which is given no address and keeps none.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "hotline.accounts.adapter.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_NOTIFICATIONS = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = LOGIN_URL
# Per client (the in-memory token, hotline.accounts.adapter), per process; the per-account
# limit is django-axes' below, in the database, shared by every process.
ACCOUNT_RATE_LIMITS = {"login": "30/m/ip", "login_failed": "20/m/ip", "reauthenticate": "10/m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("HOTLINE_NAME", "OpenHotline")
MFA_TOTP_PERIOD = 30
MFA_TOTP_DIGITS = 6
# One step either side for phone clocks that drift; each code still serves once (TotpStep).
MFA_TOTP_TOLERANCE = 1
MFA_FORMS = {
    "activate_totp": "hotline.accounts.mfa.ActivateTOTPForm",
    "authenticate": "hotline.accounts.mfa.AuthenticateForm",
    "reauthenticate": "hotline.accounts.mfa.ReauthenticateForm",
}
HOTLINE_STAFF_LOGIN_FAILURES = max(1, int(env_number("HOTLINE_STAFF_LOGIN_FAILURES", 5)))
HOTLINE_STAFF_LOCKOUT_MINUTES = max(1, int(env_number("HOTLINE_STAFF_LOCKOUT_MINUTES", 15)))
AXES_FAILURE_LIMIT = HOTLINE_STAFF_LOGIN_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=HOTLINE_STAFF_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "hotline.accounts.lockout.no_address"
AXES_USERNAME_CALLABLE = "hotline.accounts.lockout.attempted_username"
AXES_LOCKOUT_CALLABLE = "hotline.accounts.lockout.locked_out"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# axes warns that locking by name alone lets one client try many names: that is allauth's
# per-client limit above (in memory, as the client is only ever a token here).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Staff sessions end after this long without a request, and this long after logging in.
HOTLINE_STAFF_IDLE_MINUTES = env_number("HOTLINE_STAFF_IDLE_MINUTES", 30)
HOTLINE_STAFF_SESSION_HOURS = env_number("HOTLINE_STAFF_SESSION_HOURS", 12)
if HOTLINE_STAFF_IDLE_MINUTES <= 0 or HOTLINE_STAFF_SESSION_HOURS <= 0:
    raise ConfigError("HOTLINE_STAFF_IDLE_MINUTES and HOTLINE_STAFF_SESSION_HOURS must be above 0.")
SESSION_COOKIE_AGE = int(HOTLINE_STAFF_SESSION_HOURS * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "km"
LANGUAGES = [("km", _("Khmer")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our date formats per language (Django has none for Khmer); see hotline.formats.
FORMAT_MODULE_PATH = ["hotline.formats"]
LANGUAGE_COOKIE_NAME = "hotline_lang"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Strict"
TIME_ZONE = os.environ.get("HOTLINE_TIME_ZONE", "Asia/Phnom_Penh")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the project-wide stylesheet (core/site.css)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names (site.<hash>.css), served with a ten-year immutable Cache-Control, plus
    # gzip (and Brotli where installed) copies; `hotline run` collects them into STATIC_ROOT.
    # Private like everything in the data directory (Django would chmod copies to 0644).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Encrypted evidence lives here; never served directly.
UPLOAD_DIR = Path(os.environ.get("HOTLINE_UPLOAD_DIR", DATA_DIR / "uploads"))

# Limits on what a reporter may send (checked before anything is stored).
HOTLINE_MAX_FILES = int(os.environ.get("HOTLINE_MAX_FILES", "5"))
HOTLINE_MAX_FILE_BYTES = int(os.environ.get("HOTLINE_MAX_FILE_BYTES", str(10 * 1024 * 1024)))
HOTLINE_MAX_TEXT_CHARS = 20_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = HOTLINE_MAX_FILES + 1
HOTLINE_MAX_REQUEST_BYTES = HOTLINE_MAX_FILES * HOTLINE_MAX_FILE_BYTES + 2 * 1024 * 1024
# Uploads stay in memory (bounded by the request limit above): Django's default would spool
# files over 2 MB to an unencrypted temporary file.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = HOTLINE_MAX_REQUEST_BYTES
# /healthz, `hotline status` and staff pages warn when a data folder has less than this free;
# below HOTLINE_MAX_REQUEST_BYTES it counts as full (/healthz answers 503).
HOTLINE_DISK_LOW_BYTES = int(env_number("HOTLINE_DISK_LOW_BYTES", 1024**3))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("HOTLINE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
# Gone when the browser closes: a reporter's phone keeps no year-long trace of this site.
CSRF_COOKIE_AGE = None
CSRF_FAILURE_VIEW = "hotline.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("HOTLINE_BEHIND_TLS_PROXY", False) else None
)
# Behind HTTPS (README, "Production"): browsers keep to HTTPS for HSTS_SECONDS, and a request
# that reached Django over plain HTTP is redirected (the TLS proxy's X-Forwarded-Proto tells,
# HOTLINE_BEHIND_TLS_PROXY). /healthz stays reachable over HTTP for local monitors.
SECURE_HSTS_SECONDS = int(env_number("HOTLINE_HSTS_SECONDS", 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HOTLINE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HOTLINE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("HOTLINE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Nothing is allowed unless named: pages use their own stylesheet and nonce'd scripts only
# (device hashing decodes the picture with createImageBitmap: no blob: or data: URL, no worker).
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "HOTLINE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
        ),
        "OPTIONS": {
            "host": os.environ.get("HOTLINE_SMTP_HOST", "127.0.0.1"),
            "port": int(os.environ.get("HOTLINE_SMTP_PORT", "25")),
            "username": os.environ.get("HOTLINE_SMTP_USER", ""),
            "password": os.environ.get("HOTLINE_SMTP_PASSWORD", ""),
            "use_tls": env_bool("HOTLINE_SMTP_STARTTLS", False),
            "timeout": 20,
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("HOTLINE_FROM_EMAIL", "hotline@localhost")

# Reports taken by staff, staff attachments and reporter notices (hotline.staff.phone,
# hotline.cases.notes, hotline.cases.notify; docs/decisions/staff-reports-and-notes.md).
# The public address of the hotline's site, named in the "there is news" e-mail to reporters
# (e.g. https://hotline.example.org); empty: the mail names no address.
HOTLINE_PUBLIC_URL = os.environ.get("HOTLINE_PUBLIC_URL", "").rstrip("/")
HOTLINE_ATTACHMENT_MAX_MB = max(1, int(env_number("HOTLINE_ATTACHMENT_MAX_MB", 10)))

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The task queue (django-q2) keeps its queue in the same database: one command runs it all.
# See docs/decisions/task-queue.md. A task running longer than TIMEOUT seconds is stopped and
# retried; a task whose worker died is delivered again RETRY seconds after a worker took it.
# A worker holds at most one waiting task per process, so RETRY must cover a wait plus a run.
HOTLINE_TASK_TIMEOUT = int(env_number("HOTLINE_TASK_TIMEOUT", 120))
HOTLINE_TASK_RETRY = int(env_number("HOTLINE_TASK_RETRY", 2 * HOTLINE_TASK_TIMEOUT + 60))
if HOTLINE_TASK_TIMEOUT < 1 or HOTLINE_TASK_RETRY <= HOTLINE_TASK_TIMEOUT:
    raise ConfigError(
        "HOTLINE_TASK_RETRY must be larger than HOTLINE_TASK_TIMEOUT (both in seconds, >= 1)."
    )
# Tasks allowed to run longer than HOTLINE_TASK_TIMEOUT (function path -> seconds); each is
# leased for 2 x its timeout + 60 s, so no worker takes it again while it still runs.
# The staff dashboard's rollup rebuild takes about a minute per million reports on two cores,
# several under load (docs/operations.md).
HOTLINE_ROLLUP_TIMEOUT = int(env_number("HOTLINE_ROLLUP_TIMEOUT", 1200))
if HOTLINE_ROLLUP_TIMEOUT < 1:
    raise ConfigError("HOTLINE_ROLLUP_TIMEOUT must be a number of seconds, at least 1.")
HOTLINE_TASK_TIMEOUTS = {"hotline.statistics.rollup.rollup_rebuild": HOTLINE_ROLLUP_TIMEOUT}
# Failed tasks are retried after BACKOFF, 2 x BACKOFF, 4 x BACKOFF, ... (at most BACKOFF_MAX)
# seconds, MAX_ATTEMPTS times in all; then they are kept as FailedTask rows (`hotline tasks`).
HOTLINE_TASK_MAX_ATTEMPTS = max(1, int(env_number("HOTLINE_TASK_MAX_ATTEMPTS", 6)))
HOTLINE_TASK_BACKOFF_SECONDS = env_number("HOTLINE_TASK_BACKOFF_SECONDS", 30)
HOTLINE_TASK_BACKOFF_MAX_SECONDS = env_number("HOTLINE_TASK_BACKOFF_MAX_SECONDS", 3600)
_task_workers = max(1, int(env_number("HOTLINE_WORKER_PROCESSES", 2)))
# Each `hotline worker` records a heartbeat every HEARTBEAT seconds; /healthz and `hotline
# status` call it stale after three missed beats (docs/operations.md).
HOTLINE_WORKER_HEARTBEAT_SECONDS = env_number("HOTLINE_WORKER_HEARTBEAT_SECONDS", 10)
if HOTLINE_WORKER_HEARTBEAT_SECONDS <= 0:
    raise ConfigError("HOTLINE_WORKER_HEARTBEAT_SECONDS must be a number of seconds above 0.")
Q_CLUSTER = {
    "name": "hotline",
    "orm": "default",
    # The ORM broker plus delivery counting and delayed retries (hotline.tasks.broker).
    "broker_class": "hotline.tasks.broker.HotlineBroker",
    "workers": _task_workers,
    "queue_limit": _task_workers,
    "timeout": HOTLINE_TASK_TIMEOUT,
    "retry": HOTLINE_TASK_RETRY,
    "max_attempts": 0,  # retries and backoff are ours (hotline.tasks), not the broker's
    # Task failures are handled (and acknowledged) in hotline.tasks.runner.execute; what still
    # fails is the queue itself (database down): leave the task to be delivered again.
    "ack_failures": False,
    "save_limit": -1,  # keep failures only: fewer writes competing with intake on SQLite
    "poll": 0.5,
    "catch_up": False,
    "log_level": "WARNING",
}

# Logging never carries client addresses: no access log from Django, and gunicorn's access
# log format is set without %(h)s (see hotline.cli).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # SafeFormatter: one line per record, control characters escaped, no address (logs.py).
    "formatters": {
        "plain": {
            "()": "hotline.core.logs.SafeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HOTLINE_LOG_LEVEL", "WARNING")},
    "loggers": {
        # django.request logs the request line on 4xx/5xx; keep errors, drop warnings that
        # could include paths with receipt codes.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
        # Django's own handlers (console when DEBUG, mail_admins) have no SafeFormatter:
        # its records go to the root's handler only.
        "django": {"handlers": [], "level": "INFO"},
    },
}

HOTLINE_NAME = os.environ.get("HOTLINE_NAME", "OpenHotline")
# Where staff open the hotline (alert e-mails link to its /staff/ pages): often not the public
# address (staff pages may be reachable only inside the office network or a VPN).
HOTLINE_STAFF_URL = os.environ.get(
    "HOTLINE_STAFF_URL", os.environ.get("HOTLINE_PUBLIC_URL", "") or "http://localhost:8000"
)

# The rematch after a hash list import (hotline.hashing.rematch) reads this many entries per
# chunk; each chunk is one transaction. 20,000 PDQ hashes take about a second.
# Triage: a report still waiting for a decision this many hours after it arrived shows its clock
# in red in the queue; the reporter's status page gives the same figure as when to expect news.
HOTLINE_TRIAGE_DEADLINE_HOURS = max(1, int(env_number("HOTLINE_TRIAGE_DEADLINE_HOURS", 24)))
# Another weights file for the triage queue (default: hotline/triage/data/weights.toml).
HOTLINE_TRIAGE_WEIGHTS_FILE = os.environ.get("HOTLINE_TRIAGE_WEIGHTS_FILE", "")
HOTLINE_REMATCH_CHUNK = max(1, int(env_number("HOTLINE_REMATCH_CHUNK", 20_000)))
# Rows a key rotation re-encrypts per transaction (upload files: a twentieth of it).
HOTLINE_KEY_ROTATION_CHUNK = max(1, int(env_number("HOTLINE_KEY_ROTATION_CHUNK", 2000)))

# Flood control (docs/decisions/flood-control.md). A report posted with a solved proof of work
# (the form's script solves it: PBKDF2-SHA256, ITERATIONS per try, the answer drawn from
# MAX_COUNTER tries, so the work is bounded) is never refused for anyone else's traffic.
# Without one (no JavaScript), a report counts against a small per-client budget and a global
# bucket per web process. Receipt-code pages have no per-client limit (83-bit codes); replies
# and escrow deposits are limited per report.
HOTLINE_POW_ITERATIONS = max(1, int(env_number("HOTLINE_POW_ITERATIONS", 1000)))
# The counter is a uint32 in the puzzle (ALTCHA v2).
HOTLINE_POW_MAX_COUNTER = min(2**32, max(1, int(env_number("HOTLINE_POW_MAX_COUNTER", 1000))))
HOTLINE_POW_EXPIRES_SECONDS = max(60, int(env_number("HOTLINE_POW_EXPIRES_SECONDS", 3 * 3600)))
# Public pages answer every form with a redirect (docs/decisions/public-navigation.md). The
# receipt code or opened report is remembered in a sealed session cookie for this long after the
# last form sent; a draft of typed answers (after errors or a language switch) for this long.
HOTLINE_PUBLIC_CODE_SECONDS = max(60, int(env_number("HOTLINE_PUBLIC_CODE_SECONDS", 30 * 60)))
HOTLINE_DRAFT_SECONDS = max(60, int(env_number("HOTLINE_DRAFT_SECONDS", 2 * 3600)))
HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = int(env_number("HOTLINE_THROTTLE_SUBMITS_PER_10_MIN", 5))
HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = int(
    env_number("HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN", 20)
)
HOTLINE_THROTTLE_REPORT_WRITES_PER_HOUR = int(
    env_number("HOTLINE_THROTTLE_REPORT_WRITES_PER_HOUR", 60)
)
# Retention (docs/decisions/retention.md): a report whose reporter wrote within this many days
# is not purged yet, whatever its rule; django-axes' login attempt rows are deleted after this
# many days.
HOTLINE_RETENTION_GRACE_DAYS = max(0, int(env_number("HOTLINE_RETENTION_GRACE_DAYS", 30)))
HOTLINE_RETENTION_LOGIN_DAYS = max(1, int(env_number("HOTLINE_RETENTION_LOGIN_DAYS", 30)))
# New drafts a minute that refused ("please wait") POSTs may create (browsers without a draft
# cookie yet): a flood that drops its cookies must not make us write without bound.
HOTLINE_THROTTLE_WAIT_DRAFTS_PER_MIN = int(env_number("HOTLINE_THROTTLE_WAIT_DRAFTS_PER_MIN", 120))
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
# Unset: X-Forwarded-For is ignored. Either way the address only ever becomes an in-memory,
# per-process HMAC token (hotline.core.middleware) and is dropped before any view or log.
HOTLINE_TRUSTED_PROXIES = env_list("HOTLINE_TRUSTED_PROXIES", [])
# Addresses many people reach us through when nothing says who is behind them: the Tor daemon
# of an onion service, a local proxy that is not declared above, a Unix socket (no address).
# A client seen only as one of these has no budget of its own (it would be everyone's budget):
# its reports without proof share a per-minute bucket (hotline.intake.flood; docs/operations.md,
# "Onion service"). Empty ("HOTLINE_SHARED_CLIENT_ADDRESSES=") turns this off.
HOTLINE_SHARED_CLIENT_ADDRESSES = env_list(
    "HOTLINE_SHARED_CLIENT_ADDRESSES", ["127.0.0.0/8", "::1"]
)
for _name, _networks in (
    ("HOTLINE_TRUSTED_PROXIES", HOTLINE_TRUSTED_PROXIES),
    ("HOTLINE_SHARED_CLIENT_ADDRESSES", HOTLINE_SHARED_CLIENT_ADDRESSES),
):
    for _proxy in _networks:
        try:
            ipaddress.ip_network(_proxy, strict=False)
        except ValueError:
            raise ConfigError(f"{_name}: {_proxy!r} is not an IP address or network.") from None

# Liveness checks and hosting traces of reported URLs (hotline.takedown.fetcher,
# hotline.hosting; docs/decisions/safe-fetcher.md). Never the content: status and headers only.
HOTLINE_FETCH_DEADLINE_SECONDS = max(1.0, env_number("HOTLINE_FETCH_DEADLINE_SECONDS", 15))
# "host:port" of an HTTP CONNECT proxy the checks go through (asked for the validated address).
HOTLINE_FETCH_PROXY = os.environ.get("HOTLINE_FETCH_PROXY", "").strip()
# DNS servers asked directly ("address" or "address:port"); empty: the system resolver.
HOTLINE_FETCH_NAMESERVERS = env_list("HOTLINE_FETCH_NAMESERVERS", [])
# Tests only: networks a check may reach although they are not public (e.g. 127.0.0.1/32).
HOTLINE_FETCH_ALLOWED_TEST_NETWORKS = env_list("HOTLINE_FETCH_ALLOWED_TEST_NETWORKS", [])
for _network in HOTLINE_FETCH_ALLOWED_TEST_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=True)
    except ValueError:
        raise ConfigError(
            f"HOTLINE_FETCH_ALLOWED_TEST_NETWORKS: {_network!r} is not an IP network."
        ) from None
if HOTLINE_FETCH_PROXY and not re.fullmatch(
    r"\[?[0-9A-Za-z.:-]+\]?:[0-9]{1,5}", HOTLINE_FETCH_PROXY
):
    raise ConfigError("HOTLINE_FETCH_PROXY: write it as host:port, e.g. 127.0.0.1:3128.")
# Assessment: another classification scheme file (default: hotline/assessment/data/scheme.toml).
HOTLINE_ASSESSMENT_SCHEME_FILE = os.environ.get("HOTLINE_ASSESSMENT_SCHEME_FILE", "")
# Evidence viewing: how long a revealed picture stays clear before it is blurred again.
HOTLINE_EVIDENCE_REVEAL_SECONDS = max(
    5, min(300, int(env_number("HOTLINE_EVIDENCE_REVEAL_SECONDS", 30)))
)

# Hosting trace (hotline.hosting): the RDAP bootstrap service asked for a reported domain's
# registrar, e.g. https://rdap.org/ (it redirects to the registry). Empty: no RDAP lookups
# (the default: asking tells that service which domains the hotline looks at).
HOTLINE_RDAP_URL = os.environ.get("HOTLINE_RDAP_URL", "").strip()
if HOTLINE_RDAP_URL and not re.fullmatch(r"https?://[^\s]+", HOTLINE_RDAP_URL):
    raise ConfigError("HOTLINE_RDAP_URL: write it as an http(s) address, e.g. https://rdap.org/.")
# The hotline's own country (ISO 3166 code): content hosted here needs no partner hotline.
HOTLINE_HOME_COUNTRY = os.environ.get("HOTLINE_HOME_COUNTRY", "KH").strip().upper()[:2]
# Takedown re-checks (hotline.takedown.rechecks): hours after the first notice at which content
# still online escalates (the case returns to the analysts' queue), and checks run at once.
HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS = os.environ.get(
    "HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS", "24,72"
).strip()
if not re.fullmatch(r"[0-9]{1,4}( *, *[0-9]{1,4}){0,9}", HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS):
    raise ConfigError(
        "HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS: write rising whole hours separated by commas, "
        "e.g. 24,72."
    )
HOTLINE_TAKEDOWN_CHECK_CONCURRENCY = max(
    1, min(256, int(env_number("HOTLINE_TAKEDOWN_CHECK_CONCURRENCY", 64)))
)
