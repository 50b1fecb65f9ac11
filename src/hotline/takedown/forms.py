"""Forms of the notice pages: choices come from the report, limits from the services."""

from __future__ import annotations

from typing import Any

from django import forms

from hotline.directory.models import PartnerHotline
from hotline.takedown.models import Notice
from hotline.takedown.selectors import Candidate
from hotline.takedown.services import MAX_ANSWER_CHARS, MAX_TICKET_CHARS

LANGUAGE_CHOICES = [("en", "English"), ("km", "Khmer")]


def _choices(form: forms.Form, name: str, choices: list[tuple[Any, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _identifier_choices(candidates: list[Candidate]) -> list[tuple[str, str]]:
    return [(str(c.entity.pk), c.value) for c in candidates]


class NoticeCreateForm(forms.Form):
    targets = forms.MultipleChoiceField(
        label="Identifiers to notice", widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label="Language of the notice", choices=LANGUAGE_CHOICES)

    def __init__(self, *args: object, candidates: list[Candidate], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _choices(self, "targets", _identifier_choices([c for c in candidates if c.sendable]))

    def entity_ids(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["targets"]]


class ForwardForm(forms.Form):
    partner = forms.TypedChoiceField(label="Partner hotline", coerce=int)
    targets = forms.MultipleChoiceField(
        label="Identifiers to forward", widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: object,
        candidates: list[Candidate],
        partners: list[PartnerHotline],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _choices(self, "partner", [(p.pk, str(p)) for p in partners])
        _choices(self, "targets", _identifier_choices(candidates))

    def entity_ids(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["targets"]]


class SubmittedForm(forms.Form):
    ticket = forms.CharField(
        label="The platform's ticket number (if it gave one)",
        max_length=MAX_TICKET_CHARS,
        required=False,
    )


class AnswerForm(forms.Form):
    ticket = forms.CharField(label="Ticket number", max_length=MAX_TICKET_CHARS, required=False)
    answer = forms.CharField(
        label="What they answered",
        max_length=MAX_ANSWER_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NoticeFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *Notice.State.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Notice.Kind.choices], required=False)
    platform = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: object, platforms: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _choices(self, "platform", [("", "Any platform"), *platforms])
