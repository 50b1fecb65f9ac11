"""The administrator's retention rule form."""

from __future__ import annotations

from django import forms

from hotline.intake.choices import Category
from hotline.retention.models import CLOSED_STATES, MAX_KEEP_DAYS


class RuleForm(forms.Form):
    """One rule: a closed state, a category or any, and how many days to keep."""

    state = forms.ChoiceField(choices=[(s.value, s.label) for s in CLOSED_STATES])
    category = forms.ChoiceField(
        choices=[("", "Any category"), *[(c.value, c.label) for c in Category]], required=False
    )
    keep_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_KEEP_DAYS,
        label="Keep personal data for (days after the report's last change)",
    )


class RuleDeleteForm(forms.Form):
    rule = forms.IntegerField(min_value=1, max_value=2**62)
