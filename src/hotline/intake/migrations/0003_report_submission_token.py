"""Move the one-time form token (digest and replayable code) onto the report row."""

from typing import Any

from django.db import migrations, models


def tokens_to_reports(apps: Any, schema_editor: Any) -> None:
    """Copy each token's digest and replayable code to its report (nothing else refers to them)."""
    submission_token = apps.get_model("intake", "SubmissionToken")
    report = apps.get_model("intake", "Report")
    for token in submission_token.objects.all().iterator():
        report.objects.filter(pk=token.report_id).update(
            submission_digest=token.digest, replay_ciphertext=token.replay_ciphertext
        )


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0002_report_base_priority_report_priority_reasons"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="replay_ciphertext",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="report",
            name="submission_digest",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.RunPython(tokens_to_reports, migrations.RunPython.noop),
        # Unique where set: partner reports (NULL) stay out of the index.
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                condition=models.Q(("submission_digest__isnull", False)),
                fields=("submission_digest",),
                name="intake_report_submission_digest_unique",
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(
                condition=models.Q(("replay_ciphertext__isnull", False)),
                fields=["created_at"],
                name="intake_report_replay_pending",
            ),
        ),
        migrations.DeleteModel(
            name="SubmissionToken",
        ),
    ]
