"""Forms of the settings page: shape and size of every field; the rules are the services'."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from hotline.accounts.models import User
from hotline.intake.choices import Category

MAX_PHONES = 3
MAX_ALERT_EMAILS = 20
# What a phone number for the public looks like as printed: digits, spaces, dashes, an
# optional leading +; 3 (short codes such as 117) to 15 digits (E.164).
PHONE = re.compile(r"\+?[0-9][0-9 \-]*[0-9]")
# Controls, and the bidirectional overrides that make text read other than it is stored.
# (Khmer needs zero-width spaces and joiners, so format characters are not refused wholesale.)
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def plain_text(value: str) -> str:
    """Return `value` stripped, or raise if it holds control or direction-override characters."""
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI for ch in value):
        raise ValidationError("Use letters, digits and punctuation only (no control characters).")
    return value.strip()


def phone_number(value: str) -> str:
    """Return a phone number for the public as it will be printed, or raise."""
    value = " ".join(value.split())
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE.fullmatch(value) or not 3 <= digits <= 15:
        raise ValidationError(
            f"“{value[:40]}” is not a phone number: use digits, spaces and dashes, "
            "from 3 to 15 digits (for example 012 345 678 or 1280)."
        )
    return value


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class TextField(forms.CharField):
    """A CharField that refuses control and direction-override characters."""

    def clean(self, value: Any) -> str:
        return plain_text(str(super().clean(value)))


class PhoneListField(forms.CharField):
    """Phone numbers, one per line."""

    def clean(self, value: Any) -> list[str]:
        lines = _lines(str(super().clean(value)))
        if len(lines) > MAX_PHONES:
            raise ValidationError(f"At most {MAX_PHONES} numbers.")
        numbers = [phone_number(line) for line in lines]
        return list(dict.fromkeys(numbers))


class EmailListField(forms.CharField):
    """E-mail addresses, one per line."""

    def clean(self, value: Any) -> list[str]:
        lines = _lines(str(super().clean(value)))
        if len(lines) > MAX_ALERT_EMAILS:
            raise ValidationError(f"At most {MAX_ALERT_EMAILS} addresses.")
        errors = []
        for line in lines:
            try:
                validate_email(line)
            except ValidationError:
                errors.append(f"“{line[:80]}” is not an e-mail address.")
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(lines))


def _staff() -> Any:
    return User.objects.filter(is_active=True, is_staff=True).order_by("username")


class SiteSettingsForm(forms.Form):
    name_en = TextField(label="The hotline's name in English", max_length=80, required=False)
    name_km = TextField(label="The hotline's name in Khmer", max_length=80, required=False)
    phone_numbers = PhoneListField(
        label="The hotline's phone numbers for the public (one per line, at most 3)",
        help_text="Shown on every public page once set. Leave empty to show none.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=200,
        required=False,
    )
    alert_emails = EmailListField(
        label="Other e-mail addresses told of urgent reports (one per line)",
        help_text="The e-mail says only that a report needs attention now, with a link.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=6000,
        required=False,
    )
    alert_staff = forms.ModelMultipleChoiceField(
        label="Staff told of urgent reports by e-mail (at their account's address)",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    on_duty = forms.ModelMultipleChoiceField(
        label="Staff on duty (see urgent-report alerts in the staff pages)",
        help_text="Nobody ticked: everyone who may respond to alerts sees them.",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = _staff()
        self.fields["alert_staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["on_duty"].queryset = staff  # type: ignore[attr-defined]
        self.fields["alert_staff"].label_from_instance = _staff_label  # type: ignore[attr-defined]
        self.fields["on_duty"].label_from_instance = _staff_label  # type: ignore[attr-defined]


def _staff_label(user: User) -> str:
    address = user.email or "no e-mail address"
    return f"{user.username} ({user.get_role_display()}, {address})"


class CategoriesForm(forms.Form):
    """One row per report category: offered or not, and labels that replace the standard."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in Category.choices:
            self.fields[f"{code}-enabled"] = forms.BooleanField(
                label=f"Offer “{label}”", required=False
            )
            # In a table: each input says which category it labels (no visible label each).
            self.fields[f"{code}-label_en"] = TextField(
                label="English label (empty: the standard one)",
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"aria-label": f"English label for “{label}”"}),
            )
            self.fields[f"{code}-label_km"] = TextField(
                label="Khmer label (empty: the standard one)",
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"aria-label": f"Khmer label for “{label}”"}),
            )

    def rows(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (
                code,
                str(label),
                [self[f"{code}-{name}"] for name in ("enabled", "label_en", "label_km")],
            )
            for code, label in Category.choices
        ]


class ContactForm(forms.Form):
    contact_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    name_en = TextField(label="Name (English)", max_length=120)
    name_km = TextField(label="Name (Khmer)", max_length=120)
    phone = forms.CharField(label="Number", max_length=40)
    description_en = TextField(label="What for (English)", max_length=240, required=False)
    description_km = TextField(label="What for (Khmer)", max_length=240, required=False)
    position = forms.IntegerField(label="Order", min_value=0, max_value=999, initial=0)
    active = forms.BooleanField(label="Shown", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # In a table: each input names its column and row (no visible label each).
        row = str(self.prefix or "").rpartition("-")[2]
        number = int(row) + 1 if row.isdigit() else 0
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = f"{field.label}, row {number}"

    def clean_phone(self) -> str:
        return phone_number(str(self.cleaned_data["phone"]))


class BaseContactFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            row = index + 1 if index is not None else 0
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Remove, row {row}"


ContactFormSet = forms.formset_factory(
    ContactForm,
    formset=BaseContactFormSet,
    extra=1,
    can_delete=True,
    max_num=30,
    validate_max=True,
    absolute_max=30,
)
