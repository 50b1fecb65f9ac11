"""Forms of the support pages. Choices and limits here give clear messages; the rules (dates,
consent before referral, which case a row belongs to) are the services'."""

from __future__ import annotations

from django import forms

from hotline.directory.models import SupportService
from hotline.support.models import CaseState, ClosureReason, ContactBy, ReferralOutcome
from hotline.support.services import MAX_NOTE_CHARS


class OpenForm(forms.Form):
    report = forms.UUIDField(label="Report number (as on the report's page)")


class AssignForm(forms.Form):
    assignee = forms.CharField(max_length=150, required=False, label="Caseworker (user name)")


class MoveForm(forms.Form):
    to_state = forms.ChoiceField(
        choices=[(c.value, c.label) for c in CaseState if c != CaseState.CLOSED], label="New state"
    )
    expected = forms.ChoiceField(choices=CaseState.choices, widget=forms.HiddenInput)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(choices=ClosureReason.choices, label="Why is it closed?")


class ConsentForm(forms.Form):
    contact_by = forms.ChoiceField(choices=ContactBy.choices, label="Contact the reporter")
    share_with_police = forms.BooleanField(required=False, label="May be shared with the police")
    share_with_service = forms.ModelChoiceField(
        queryset=SupportService.objects.filter(active=True),
        required=False,
        label="May be shared with this support service",
    )


class ReferralForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=SupportService.objects.filter(active=True), label="Refer to"
    )


class OutcomeForm(forms.Form):
    referral = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    outcome = forms.ChoiceField(
        choices=[(c.value, c.label) for c in ReferralOutcome if c != ReferralOutcome.PENDING],
        label="Outcome",
    )


class FollowUpForm(forms.Form):
    due_on = forms.DateField(
        label="Follow up on",
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )


class FollowUpDoneForm(forms.Form):
    follow_up = forms.UUIDField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_NOTE_CHARS
    )
