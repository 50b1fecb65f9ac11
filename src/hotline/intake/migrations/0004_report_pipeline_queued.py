"""Reports become their own outbox entries for the post-intake pipeline."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0003_report_submission_token"),
    ]

    operations = [
        # Reports stored before this had their task queued when they were stored: True.
        migrations.AddField(
            model_name="report",
            name="pipeline_queued",
            field=models.BooleanField(default=True),
        ),
        # From now on a new report waits for the workers to queue it.
        migrations.AlterField(
            model_name="report",
            name="pipeline_queued",
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(
                condition=models.Q(("pipeline_queued", False)),
                fields=["id"],
                name="intake_report_pipeline_due",
            ),
        ),
    ]
