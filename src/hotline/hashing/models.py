"""Hash banks: named lists of known hashes (MD5, SHA-256, PDQ) that evidence is matched against."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# Meta's guidance: PDQ hashes of quality below 50 (flat, near-blank images) match too much.
MIN_PDQ_QUALITY = 50


class HashType(models.TextChoices):
    MD5 = "md5", "MD5"
    SHA256 = "sha256", "SHA-256"
    PDQ = "pdq", "PDQ"


class BankCategory(models.TextChoices):
    CSAM = "csam", "Child sexual abuse material"
    NCII = "ncii", "Non-consensual intimate imagery"
    SEXTORTION = "sextortion", "Sextortion"
    VICTIM_SUBMITTED = "victim_submitted", "Submitted by victims"
    OTHER = "other", "Other"


class Bank(models.Model):
    """A named hash list from one source (a partner's list, an import, victims' submissions)."""

    name = models.CharField(max_length=100, unique=True)
    source = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=BankCategory.choices)
    enabled = models.BooleanField(default=True)
    # Exactly one bank receives every hash a reporter submits (see services.victim_bank).
    victim_submitted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["victim_submitted"],
                condition=models.Q(victim_submitted=True),
                name="hashing_bank_one_victim_bank",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BankEntry(models.Model):
    """One hash in a bank; disabled entries are kept (for the record) but never match."""

    bank = models.ForeignKey(Bank, related_name="entries", on_delete=models.CASCADE)
    hash_type = models.CharField(max_length=8, choices=HashType.choices)
    value = models.CharField(max_length=64)
    label = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # How it arrived when no staff user did it: "import:<file>", "cli", "report".
    added_via = models.CharField(max_length=200, blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "bank entries"
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "hash_type", "value"], name="hashing_bankentry_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(hash_type="md5", value__regex=r"^[0-9a-f]{32}$")
                | models.Q(hash_type__in=["pdq", "sha256"], value__regex=r"^[0-9a-f]{64}$"),
                name="hashing_bankentry_value_format",
            ),
        ]
        indexes = [models.Index(fields=["hash_type", "value"], name="hashing_entry_lookup")]

    def __str__(self) -> str:
        return f"{self.hash_type}:{self.value}"


class VictimSubmission(models.Model):
    """Links an entry of the victim-submitted bank to a report that submitted that hash."""

    entry = models.ForeignKey(BankEntry, related_name="submissions", on_delete=models.CASCADE)
    report = models.ForeignKey("intake.Report", related_name="+", on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "report"], name="hashing_victimsubmission_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry} from report {self.report_id}"


class ReportMatch(models.Model):
    """A report's hash matched a bank entry: a known list, or another report's submission."""

    report = models.ForeignKey(
        "intake.Report", related_name="hash_matches", on_delete=models.CASCADE
    )
    entry = models.ForeignKey(BankEntry, related_name="report_matches", on_delete=models.CASCADE)
    hash_type = models.CharField(max_length=8, choices=HashType.choices)
    # The report's own hash (equal to entry.value for MD5/SHA-256, near it for PDQ).
    query_value = models.CharField(max_length=64)
    distance = models.SmallIntegerField()
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "entry", "query_value"], name="hashing_reportmatch_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.report_id} ~ {self.entry} ({self.distance})"


class VideoHashing(models.Model):
    """That one uploaded video was hashed with vPDQ, and how it went (so it is hashed once).

    The distinct frame hashes themselves are intake EvidenceHash rows of kind "pdq", which the
    matching pipeline already reads; this row only marks the file as done.
    """

    class Outcome(models.TextChoices):
        HASHED = "hashed", "hashed"
        CORRUPT = "corrupt", "damaged or undecodable"
        TRUNCATED = "truncated", "incomplete"
        TOO_LARGE = "too_large", "too large"
        TOO_LONG = "too_long", "too long"
        EMPTY = "empty", "empty"
        ERROR = "video_error", "not hashable"

    evidence = models.OneToOneField(
        "intake.EvidenceFile", related_name="video_hashing", on_delete=models.CASCADE
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    frames = models.PositiveIntegerField(default=0)
    distinct_pdq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"video {self.evidence_id}: {self.outcome}"


class RematchJob(models.Model):
    """Matching newly imported (or re-enabled) bank entries against every report's hashes.

    Run in chunks by hotline.hashing.tasks.reports_rematch (hotline.hashing.rematch does the
    work). The entries are those of `bank` with ids in (entry_after, entry_upto]. Each chunk
    commits its matches together with the cursor, so a killed worker resumes where the last
    chunk ended; the counters are what `hotline hashbank rematches` shows.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        SKIPPED = "skipped", "skipped (bank disabled)"

    class Phase(models.TextChoices):
        EXACT = "exact", "MD5 and SHA-256"
        PDQ = "pdq", "PDQ"

    bank = models.ForeignKey(Bank, related_name="rematch_jobs", on_delete=models.CASCADE)
    # "import:<file>", "enable": what queued it.
    reason = models.CharField(max_length=200, blank=True)
    entry_after = models.BigIntegerField()
    entry_upto = models.BigIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    phase = models.CharField(max_length=8, choices=Phase.choices, default=Phase.EXACT)
    # Exact phase: the last imported entry id joined; PDQ phase: the last reported entry id
    # (victim-submitted bank) scanned.
    cursor = models.BigIntegerField(default=0)
    exact_total = models.PositiveIntegerField(default=0)  # imported MD5/SHA-256 entries
    exact_done = models.PositiveIntegerField(default=0)
    pdq_imported = models.PositiveIntegerField(default=0)  # imported PDQ entries
    pdq_total = models.PositiveIntegerField(default=0)  # reported PDQ hashes to scan
    pdq_scanned = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)  # new ReportMatch rows
    reports_matched = models.PositiveIntegerField(default=0)  # reports given a new match
    chunks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"rematch {self.pk} of {self.bank_id}: {self.state}"

    @property
    def progress(self) -> str:
        """Say how far the job is, for `hotline hashbank rematches`."""
        exact = f"MD5/SHA-256 {self.exact_done}/{self.exact_total} imported hashes joined"
        if not self.pdq_imported:
            pdq = "no PDQ imported"
        elif self.phase == self.Phase.EXACT:
            pdq = f"PDQ ({self.pdq_imported} imported) waiting"
        else:
            pdq = f"PDQ {self.pdq_scanned}/{self.pdq_total} reported hashes scanned"
        return f"{exact}; {pdq}; {self.matched} new matches"
