"""What the purge does with each model that points at a report or its evidence, and each column.

tests/retention/test_purge_other_apps.py fails when a model gains a relation to
intake.Report or intake.EvidenceFile (a new app, a new table), or Report gains a column, that
is in neither list here: the next capability cannot be forgotten by the purge. The reasons are
docs/decisions/retention.md's, in short.
"""

from __future__ import annotations

# Deleted by hotline.retention.services.report_purge (label -> what it holds).
PURGED: dict[str, str] = {
    "intake.evidencefile": "uploaded files: rows, encrypted working copies and originals",
    "intake.evidencehash": "hashes of the reporter's pictures",
    "intake.message": "messages with the reporter, both ways",
    "intake.replyonce": "digests of one-time reply tokens",
    "entities.reportentity": "who the offender is, as this reporter named them",
    "entities.escrowedidentifier": "digests of identifiers this reporter left in escrow",
    "entities.reportcluster": "the cluster label the entity links made",
    "hashing.reportmatch": "matches of this report's hashes",
    "hashing.victimsubmission": "hashes this victim submitted",
    "hashing.videohashing": "how this report's videos were hashed",
    "cases.casenote": "staff notes (may repeat the reporter, the victim, the police)",
    "cases.caseattachment": "staff files: rows and encrypted files",
    "cases.reporternotice": "that the reporter left an e-mail address, and when we wrote",
    "cases.replywaiting": "that the reporter wrote and nobody has answered yet",
    "search.searchterm": "keyed digests of the report's words",
    "viewing.evidencereveal": "who saw which picture of it in clear",
    "support.supportcase": "the victim support case, its consent, referrals, follow-ups, notes",
}

# Kept: anonymous, or not this report's personal data (label -> why).
KEPT: dict[str, str] = {
    "cases.caseevent": "workflow history for statistics; its note column is cleared",
    "cases.assignment": "which member of staff holds it: staff, not reporter",
    "cases.substatus": "a code from a fixed list, never free text",
    "assessment.assessment": "classification codes of the scheme, never free text",
    "assessment.reportlink": "that two reports are duplicates or one case: ids only",
    "alerts.alert": "triage signal codes and times, never words of the report",
    "search.searchindexed": "that the index holds the report's (now empty) text",
    "retention.purgedreport": "the purge's own record",
    "takedown.target": "which identifier was noticed, when it came down: scorecard figures",
    "takedown.notice": "the hotline's record of a notice; its text and the answer are cleared",
    "referrals.referralpackage": "that a package went to police: ids, times, digests only",
}

# Report columns the purge clears (name -> value after the purge); the details become an
# encrypted empty record.
REPORT_CLEARED: dict[str, object] = {
    "details_ciphertext": "an encrypted {}",
    "replay_ciphertext": None,
    "receipt_digest": None,
    "receipt_digest_version": 1,
    "submission_digest": None,
    "partner_reference": "",
    "priority_reasons": [],
    "consent_contact": False,
    "keep_original_for_police": False,
}

# Report columns kept: anonymous statistics, staff and partner ids, bookkeeping.
REPORT_KEPT: tuple[str, ...] = (
    "id",
    "public_id",
    "created_at",
    "updated_at",
    "source",
    "partner",
    "taken_by",
    "language",
    "reporter_role",
    "victim_age",
    "victim_gender",
    "province",
    "categories",
    "platforms",
    "payment_methods",
    "money",
    "in_danger",
    "help_wanted",
    "status",
    "priority",
    "base_priority",
    "pipeline_queued",
)
