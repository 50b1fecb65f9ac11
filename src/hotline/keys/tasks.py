"""Background work of key rotations (tasks take ids and only call services; safe to run twice)."""

from __future__ import annotations

from hotline.keys.rotation import rotation_run


def key_rotation_run(rotation_id: int) -> None:
    """Re-encrypt (or re-digest) a chunk of stored data for a rotation, then queue the rest.

    Queued by `hotline keys rotate`; runs chunks for part of the task timeout, then queues
    itself to go on from the rotation's cursors.
    """
    rotation_run(rotation_id=rotation_id)
