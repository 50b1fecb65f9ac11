"""Entities (identifiers shared across reports), their links to reports, escrowed identifiers.

No identifier is stored in clear. An entity row holds a keyed digest of its canonical value (for
lookup, uniqueness and linking) and the value itself as vault ciphertext (for display). An
escrowed identifier holds only a digest under a separate key: nothing in the database, staff
screens included, can show it. See docs/escrow-threat-model.md.
"""

from __future__ import annotations

from django.db import models

from hotline.entities.extract import EntityType, Flag


class Kind(models.TextChoices):
    URL = EntityType.URL.value, "Link"
    HANDLE = EntityType.HANDLE.value, "Account / handle"
    PHONE = EntityType.PHONE.value, "Phone number"
    EMAIL = EntityType.EMAIL.value, "E-mail address"
    BTC = EntityType.BTC.value, "Bitcoin address"
    ETH = EntityType.ETH.value, "Ethereum address"
    TRON = EntityType.TRON.value, "TRON address"
    PAYMENT_ACCOUNT = EntityType.PAYMENT_ACCOUNT.value, "Payment account"


class Entity(models.Model):
    """One canonical identifier (a Telegram group, a phone number, a wallet...)."""

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # HMAC-SHA256 of kind + canonical value under a key from the key file (hotline.entities.keys).
    digest = models.BinaryField(max_length=32, unique=True)
    # The digest secret version behind `digest`; a digest rotation recomputes it in the
    # background (hotline.keys.rotation) and lookups try every version meanwhile.
    digest_version = models.PositiveSmallIntegerField(default=1, db_default=1)
    value_ciphertext = models.BinaryField()
    platform = models.CharField(max_length=32, blank=True)
    # Space-separated Flag values, derived from the canonical value when the row is created
    # (hotline.entities.extract.entity_flags): kept in clear so analysts can list them.
    flags = models.CharField(max_length=100, blank=True, default="", db_default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return f"{self.kind} entity {self.pk}"

    @property
    def value_context(self) -> str:
        return f"entities.entity:{bytes(self.digest).hex()}:value"

    @property
    def flag_list(self) -> list[str]:
        return self.flags.split()

    @property
    def flag_labels(self) -> list[str]:
        """The flags in words, for staff screens."""
        return [FLAG_LABELS.get(flag, flag) for flag in self.flag_list]


FLAG_LABELS = {
    Flag.UNUSUAL_LENGTH.value: "unusual length for this provider: a typo or an unknown format",
}


class ReportEntity(models.Model):
    """An entity named by a report, where it was found and what an analyst decided."""

    class State(models.TextChoices):
        EXTRACTED = "extracted", "Extracted"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    class Origin(models.TextChoices):
        EXTRACTED = "extracted", "Found by extraction"
        ANALYST = "analyst", "Added by an analyst"

    # No single-column indexes on these foreign keys: the unique (report, entity) constraint and
    # the (entity, state) index start with them, and every extra index slows bulk linking.
    report = models.ForeignKey(
        "intake.Report", related_name="entity_links", on_delete=models.CASCADE, db_index=False
    )
    entity = models.ForeignKey(
        Entity, related_name="report_links", on_delete=models.PROTECT, db_index=False
    )
    # Which field of the report the mention came from and its character span there; the span
    # text itself stays in the report's ciphertext.
    field = models.CharField(max_length=40, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.EXTRACTED)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.EXTRACTED)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read only with a link in hand; deleting a user is rare
    )

    class Meta:
        constraints = [
            # One link per (report, entity): re-running extraction never duplicates, and a
            # rejected link stays rejected because the row that says so is kept.
            models.UniqueConstraint(
                fields=["report", "entity"], name="entities_reportentity_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(start__isnull=True, end__isnull=True)
                | models.Q(start__isnull=False, end__isnull=False, start__lt=models.F("end")),
                name="entities_reportentity_span_valid",
            ),
        ]
        indexes = [models.Index(fields=["entity", "state"], name="entities_re_entity_state")]

    def __str__(self) -> str:
        return f"report {self.report_id} names entity {self.entity_id} ({self.state})"


class EscrowedIdentifier(models.Model):
    """An identifier a reporter left in escrow: only its digest, never its value.

    It surfaces when a later, independent report names the same canonical identifier: the
    match is shown to analysts, who decide whether to ask the earlier reporter for consent.
    """

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for a matching report"
        MATCHED = "matched", "Matched by a later report"
        CONSENT_ASKED = "asked", "Reporter asked for consent"
        CONSENTED = "consented", "Reporter agreed to be contacted"
        DECLINED = "declined", "Reporter declined"

    # HMAC-SHA256 of kind + canonical value under the escrow key (separate from the entity key).
    digest = models.BinaryField(max_length=32)
    # The digest secret version behind `digest`. An escrowed value is not stored, so its digest
    # cannot be recomputed: matching tries every version.
    digest_version = models.PositiveSmallIntegerField(default=1, db_default=1)
    report = models.ForeignKey(
        "intake.Report", related_name="escrowed_identifiers", on_delete=models.CASCADE
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    created_at = models.DateTimeField()
    matched_report = models.ForeignKey(
        "intake.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "digest"], name="entities_escrow_unique"),
            models.CheckConstraint(
                condition=models.Q(state="waiting", matched_report__isnull=True)
                | ~models.Q(state="waiting"),
                name="entities_escrow_waiting_unmatched",
            ),
        ]
        indexes = [models.Index(fields=["digest", "state"], name="entities_escrow_digest_state")]

    def __str__(self) -> str:
        return f"escrowed identifier {self.pk} ({self.state})"


class ReportCluster(models.Model):
    """A report's cluster label from the last full clustering run (`hotline entities cluster`).

    The label is the smallest report id of the cluster, so equal labels mean the same cluster.
    The cluster page walks links live (selectors.cluster_walk); labels serve fast lookups,
    statistics and the queue, and are as fresh as the last run.
    """

    # No database constraint: the table is derived and rewritten wholesale, and checking a
    # million foreign keys at commit would double the run. Deleting a report through the ORM
    # still deletes its label (Django cascades in Python).
    report = models.OneToOneField(
        "intake.Report",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    label = models.BigIntegerField(db_index=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"report {self.report_id} in cluster {self.label}"
