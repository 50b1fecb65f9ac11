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


class WorkerHeartbeat(models.Model):
    """One `hotline worker` cluster's sign of life: written at start, every few seconds, at stop.

    `fresh_until` is set by the worker from its own heartbeat interval, so the web tier needs
    no matching setting to tell a running cluster from a gone one. Host name and process id
    only: nothing sensitive.

    The row's id also names the cluster on the queue rows it takes (hotline.tasks.broker):
    once `fresh_until` has passed, another worker hands those rows back and sets
    `tasks_released_at` (a beat clears it: the cluster was only cut off, and holds new rows).
    """

    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()
    fresh_until = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    tasks_released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen", "-pk"]

    def __str__(self) -> str:
        return f"{self.host} pid {self.pid}"
