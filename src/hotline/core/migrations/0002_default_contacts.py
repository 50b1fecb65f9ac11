"""Seed the emergency contact directory (staff change it in the admin)."""

from django.db import migrations

DEFAULTS = [
    ("Police", "នគរបាល", "117", "Emergency police", "នគរបាលសង្គ្រោះបន្ទាន់"),
    (
        "Child Helpline Cambodia",
        "ខ្សែទូរស័ព្ទជំនួយកុមារកម្ពុជា",
        "1280",
        "Free, for children and parents",
        "ឥតគិតថ្លៃ សម្រាប់កុមារ និងឪពុកម្តាយ",
    ),
    # The hotline's own number is no longer a contact with a placeholder number: it is set on
    # the settings page (hotline.sitesettings) and shown only once set (0003 removes the row).
]


def seed(apps, schema_editor):
    Contact = apps.get_model("core", "EmergencyContact")
    if Contact.objects.exists():
        return
    for position, (en, km, phone, den, dkm) in enumerate(DEFAULTS):
        Contact.objects.create(
            name_en=en,
            name_km=km,
            phone=phone,
            description_en=den,
            description_km=dkm,
            position=position,
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
