from __future__ import annotations

from django import forms


class PackageForm(forms.Form):
    language = forms.ChoiceField(
        label="Labels in", choices=[("en", "English"), ("km", "Khmer")], initial="en"
    )
    include_evidence = forms.BooleanField(
        label="Include evidence files (decrypted originals, or working copies)", required=False
    )
