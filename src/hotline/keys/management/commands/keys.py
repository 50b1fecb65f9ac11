"""`hotline keys ...`: rotate the data key or the digest secret, follow progress, retire a key.

- `rotate [--digests]`: add a new key to the key file, make it current, queue the rewrite.
- `status`: the key file's keys and each rotation's per-table progress.
- `retire KEY_ID`: remove an old data key once no ciphertext uses it.

Back up the key file before `rotate` and `retire` (docs/operations.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.config import key_file_path


class Command(BaseCommand):
    help = "Rotate encryption keys and digest secrets; show progress; retire old keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        rotate = sub.add_parser(
            "rotate", help="add a new data key, make it current, re-encrypt in the background"
        )
        rotate.add_argument(
            "--digests",
            action="store_true",
            help="rotate the digest secret (receipt, entity and escrow digests) instead",
        )
        sub.add_parser("status", help="show the keys and the progress of key rotations")
        retire = sub.add_parser("retire", help="remove an old data key nothing uses any more")
        retire.add_argument("key_id", metavar="KEY_ID", help="the key id, for example k1")

    def handle(self, *args: Any, **options: Any) -> None:
        from hotline.keys.services import KeyRotationError, key_retire, key_rotate

        try:
            if options["action"] == "rotate":
                rotation = key_rotate(digests=options["digests"])
                what = "digest secret version" if options["digests"] else "data key"
                self.stdout.write(
                    f"New {what} {rotation.new_id} is current (was {rotation.old_id}); "
                    f"rewriting stored data in the background (rotation {rotation.pk}). "
                    "Follow it with `hotline keys status`; a worker must be running."
                )
            elif options["action"] == "status":
                self._status()
            elif options["action"] == "retire":
                key_retire(key_id=options["key_id"])
                self.stdout.write(
                    f"Key {options['key_id']} removed from {key_file_path()}. Keep the key file"
                    " backup that goes with older database backups."
                )
        except KeyRotationError as exc:
            raise CommandError(str(exc)) from None

    def _status(self) -> None:
        from hotline.keys.selectors import rotations_recent, steps_in_order

        keys = settings.KEYS
        self.stdout.write(
            f"Key file {key_file_path()}: data keys {', '.join(sorted(keys.vault_keys))}"
            f" (current {keys.vault_primary}); digest secret versions"
            f" {', '.join(str(v) for v in sorted(keys.pepper_versions()))}"
            f" (current {keys.digest_current})."
        )
        rotations = rotations_recent()
        if not rotations:
            self.stdout.write("No key rotation yet.")
        for rotation in rotations:
            ended = f", done {rotation.finished_at:%Y-%m-%d %H:%M}" if rotation.finished_at else ""
            self.stdout.write(
                f"Rotation {rotation.pk}: {rotation.get_kind_display()} {rotation.old_id} ->"
                f" {rotation.new_id}, {rotation.state} (started"
                f" {rotation.started_at:%Y-%m-%d %H:%M} UTC{ended}, pass {rotation.passes})"
            )
            for name, step in steps_in_order(rotation):
                mark = "done" if step["finished"] else "working"
                self.stdout.write(
                    f"  {name:32} {step['done']:>9,} / {step['total']:,} rows  {mark}"
                )
