"""Forms of the case panel on a report's staff page."""

from __future__ import annotations

from django import forms

from hotline.cases.services import MAX_NOTE_CHARS
from hotline.intake.choices import CaseState


class StateChangeForm(forms.Form):
    # Any known state is accepted here; whether this move is allowed is the service's rule,
    # so a forged choice gets the same clear refusal as a stale page.
    to_state = forms.ChoiceField(label="New state", choices=CaseState.choices)
    expected_state = forms.ChoiceField(choices=CaseState.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label="Note (staff only, optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_NOTE_CHARS,
        required=False,
    )


class AssignForm(forms.Form):
    assignee = forms.CharField(max_length=150)
