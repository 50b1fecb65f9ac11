"""Remove the "This hotline" contact with its placeholder number, if it was never changed.

A fresh install showed the public "023 000 000". The hotline's own numbers are now set on
the settings page (hotline.sitesettings) and shown only once set. A row whose number was
changed is the hotline's real number: it stays.
"""

from django.db import migrations

PLACEHOLDER = "023 000 000"


def remove(apps, schema_editor):
    Contact = apps.get_model("core", "EmergencyContact")
    Contact.objects.filter(phone=PLACEHOLDER, name_en="This hotline").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_default_contacts")]
    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
