"""Tasks that failed every attempt (the dead-letter record)."""

from __future__ import annotations

from django.db import models


class FailedTask(models.Model):
    """A task that failed HOTLINE_TASK_MAX_ATTEMPTS times; kept until retried or deleted.

    Arguments are IDs (house rule), and the error is an exception type and message, which
    never carry report content, so nothing here is sensitive.
    """

    job_id = models.CharField(max_length=32, unique=True)
    func_path = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    attempts = models.PositiveSmallIntegerField()
    error = models.CharField(max_length=500)
    failed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["failed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.func_path}{tuple(self.args)} after {self.attempts} attempts"
