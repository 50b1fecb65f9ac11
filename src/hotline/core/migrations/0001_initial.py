from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="EmergencyContact",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name_en", models.CharField(max_length=120)),
                ("name_km", models.CharField(max_length=120)),
                ("phone", models.CharField(max_length=40)),
                ("description_en", models.CharField(blank=True, max_length=240)),
                ("description_km", models.CharField(blank=True, max_length=240)),
                ("position", models.PositiveSmallIntegerField(default=0)),
                ("active", models.BooleanField(default=True)),
            ],
            options={"ordering": ["position", "id"]},
        ),
    ]
