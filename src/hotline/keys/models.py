"""What the database knows about the key file: check values and key rotations.

No key is stored here. A KeyCheck holds a one-way check value of one key (HMAC of a fixed
label), enough to tell that a key file belongs to this database and nothing more.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class KeyCheck(models.Model):
    """The check value of one key of the key file ("vault:k2", "digest:1")."""

    name = models.CharField(max_length=40, unique=True)
    check_value = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class KeyRotation(models.Model):
    """One `hotline keys rotate`: a new data key (or digest secret) and its background work.

    `progress` maps each target (hotline.keys.targets) to {"cursor", "done", "total",
    "finished"}; the re-encryption task commits it with each chunk, so a killed worker resumes
    from the last committed chunk.
    """

    class Kind(models.TextChoices):
        DATA = "data", "data key"
        DIGESTS = "digests", "digest secret"

    class State(models.TextChoices):
        RUNNING = "running", "running"
        DONE = "done", "done"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The new key id (data) or digest secret version (digests), and what was current before.
    new_id = models.CharField(max_length=32)
    old_id = models.CharField(max_length=32)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    progress = models.JSONField(default=dict)
    passes = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One rotation at a time: two would race over which key is current.
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="running"),
                name="keys_one_rotation_running",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["running", "done"]),
                name="keys_rotation_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} rotation {self.old_id} -> {self.new_id} ({self.state})"
