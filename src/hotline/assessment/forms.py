"""Forms of the assessment panel on a report's staff page (choices come from the scheme)."""

from __future__ import annotations

from typing import Any

from django import forms

from hotline.assessment.scheme import scheme

MAX_VERSION = 1_000_000


class AssessmentForm(forms.Form):
    """One choice per dimension of the scheme, and the version the analyst saw."""

    expected_version = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, initial_values: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for dim in scheme().dimensions:
            self.fields[f"v_{dim.code}"] = forms.ChoiceField(
                label=dim.en,
                choices=[("", "choose…"), *dim.choices()],
                initial=(initial_values or {}).get(dim.code, ""),
            )

    def values(self) -> dict[str, str]:
        return {
            name.removeprefix("v_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("v_")
        }


class VersionForm(forms.Form):
    expected_version = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION, widget=forms.HiddenInput
    )


class LinkForm(forms.Form):
    KINDS = [("duplicate", "is a duplicate of"), ("merged", "belongs to the case of")]

    kind = forms.ChoiceField(label="This report", choices=KINDS)
    primary = forms.UUIDField(
        label="Report number (as shown at the top of its page)",
        error_messages={"invalid": "Give a report number such as 3f2b…-…, as shown on its page."},
    )
    expected_state = forms.CharField(max_length=16, widget=forms.HiddenInput)


class SchemeEditForm(forms.Form):
    """The scheme's TOML text and the version the administrator started from."""

    text = forms.CharField(
        label="The classification scheme (TOML)",
        widget=forms.Textarea(attrs={"rows": 30, "cols": 110, "spellcheck": "false"}),
        # Checked by the service (length, syntax, codes in use) for one clear message; the
        # browser limit is a courtesy.
        max_length=200_000,
        strip=False,
    )
    expected_version = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION, widget=forms.HiddenInput
    )
