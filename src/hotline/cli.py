"""The `hotline` command: everything an operator does.

`hotline run`, `hotline worker`, `hotline createstaff` and every app's management command
(`hotline hash`, `hotline match`, ...). Operator mistakes print one clear line, not a traceback.
"""

from __future__ import annotations

import os
import sys

from hotline.config import PRIVATE_UMASK, run_without_data

# Commands that read no stored data: they get throwaway keys and create no data directory or
# key file in the folder they run from.
COMMANDS_WITHOUT_DATA = frozenset({"hash"})


def main(argv: list[str] | None = None) -> int:
    """Run one `hotline` subcommand and return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Everything this process and its children (web server, workers) create is private:
    # the database, uploads, index, key file and logs hold what reporters told us.
    os.umask(PRIVATE_UMASK)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    if args[0] in COMMANDS_WITHOUT_DATA:
        run_without_data()

    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    from hotline.config import ConfigError

    try:
        django.setup()
    except (ConfigError, ImproperlyConfigured) as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the data directory or key file cannot be created or read
        where = f" {exc.filename}" if exc.filename else ""
        print(f"hotline: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2

    from django.core.management import execute_from_command_line

    try:
        if args[0] not in COMMANDS_WITHOUT_DATA:
            # One query: a key file from another install would make every report unreadable.
            from hotline.keys.checks import key_checks_at_start

            key_checks_at_start()
        execute_from_command_line(["hotline", *args])
    except ConfigError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"hotline: {database_error_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def database_error_message(exc: Exception) -> str:
    """Return one line telling the operator what to do about a database error."""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "no such table" in first_line or (
        "relation" in first_line and "does not exist" in first_line
    ):
        return f"the database is not set up ({first_line}): run `hotline migrate` first."
    return (
        f"the database cannot be used ({first_line}). "
        "Check HOTLINE_DATABASE_URL and that the database server is running."
    )


USAGE = """usage: hotline <command> [options]

Commands an operator uses:
  run [--demo] [--port 8000]   set up the database if needed, start the web server and a worker
  worker                       start background workers only (run several on big installs)
  status                       tell whether the database answers and a worker runs
  tasks [--failed|--retry ID]  show the background queue; list or retry failed tasks
  createstaff USERNAME [--role ROLE]
                               create a staff account (asks for a password); roles:
                               analyst, senior_analyst, caseworker, liaison, administrator
  migrate                      apply database changes
  hash FILE...                 print hashes of image files (nothing leaves this computer)
  check --deploy               check production settings
  keys rotate [--digests] | status | retire KEY_ID
                               rotate the data key (or digest secret) and re-encrypt in the
                               background; follow it; remove an old key nothing uses
  search reindex [--all]       index reports for staff search (resumable: goes on where it stopped)
  urllist export --out FILE --as USERNAME [--format csv|json] | verify FILE
                               issue the signed URL list for blocking; check a list file

Every Django management command also works: `hotline help` lists this, `hotline <cmd> --help`
explains one.
"""


if __name__ == "__main__":
    sys.exit(main())
