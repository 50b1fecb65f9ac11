"""The triage queue's filters: GET parameters, checked like any other input."""

from __future__ import annotations

from typing import Any

from django import forms

from hotline.accounts.models import User
from hotline.intake.choices import AgeRange, CaseState, Category, Platform, Source
from hotline.search.tokens import MAX_QUERY_CHARS, QueryError, query_terms

ANY = [("", "any")]
# Groups of states first (the default is the reports still waiting for a decision).
STATE_GROUPS = [
    ("open", "Waiting for a decision (received, in assessment, assessed, or the reporter wrote)"),
    ("replied", "The reporter wrote again (not dealt with yet)"),
    ("acted", "Action taken"),
    ("closed", "Closed"),
    ("all", "All states"),
    ("carried", "Assessed by carrying forward (same picture or link as an assessed report)"),
]
CARRIED = "carried"
REPLIED = "replied"
# AgeRange.UNKNOWN is "" (not given), which a GET form could not tell from "any".
UNKNOWN_AGE = "unknown"


class QueueFilterForm(forms.Form):
    # Free text over the decrypted fields, answered from the search index (hotline.search).
    # Longer input is refused here with a message; the tokeniser has the same limit.
    q = forms.CharField(
        label="Search", required=False, max_length=MAX_QUERY_CHARS, widget=forms.SearchInput
    )
    state = forms.ChoiceField(
        choices=STATE_GROUPS + [(s.value, s.label) for s in CaseState], required=False
    )
    category = forms.ChoiceField(
        choices=ANY + [(c.value, c.label) for c in Category], required=False
    )
    platform = forms.ChoiceField(
        choices=ANY + [(p.value, p.label) for p in Platform], required=False
    )
    age = forms.ChoiceField(
        label="Victim age",
        choices=ANY
        + [(a.value or UNKNOWN_AGE, a.label if a.value else "not given") for a in AgeRange],
        required=False,
    )
    assignee = forms.ChoiceField(required=False)
    language = forms.ChoiceField(choices=[*ANY, ("km", "Khmer"), ("en", "English")], required=False)
    channel = forms.ChoiceField(choices=ANY + [(s.value, s.label) for s in Source], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(is_active=True, is_staff=True).order_by("username")
        names = staff.values_list("username", flat=True)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "anyone"), ("none", "nobody (unassigned)")] + [
            (name, name) for name in names
        ]

    def clean_q(self) -> str:
        query: str = self.cleaned_data["q"]
        if query:
            try:
                query_terms(query)
            except QueryError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return query
