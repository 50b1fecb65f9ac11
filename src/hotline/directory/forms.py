"""Administrator forms for the directory; every field bounded and checked."""

from __future__ import annotations

from typing import Any

from babel import Locale
from django import forms
from django.core.exceptions import ValidationError

from hotline.directory.models import PartnerHotline, Platform, SupportService

LANGUAGE_CODES = {"km": "Khmer", "en": "English", "th": "Thai", "vi": "Vietnamese", "zh": "Chinese"}


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with their English names (from Babel's CLDR data)."""
    territories = Locale("en").territories
    return sorted(
        ((code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()),
        key=lambda item: item[1],
    )


def _https_only(value: str) -> str:
    if value and not value.lower().startswith("https://"):
        raise ValidationError("Give an https:// address.")
    return value


class PlatformForm(forms.ModelForm):  # type: ignore[type-arg]
    hostnames_text = forms.CharField(
        label="Host names",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line or separated by spaces, e.g. t.me telegram.me",
    )

    class Meta:
        model = Platform
        fields = [
            "code",
            "name",
            "channel",
            "abuse_email",
            "child_abuse_email",
            "web_form_url",
            "notes",
            "contact_checked",
            "active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["hostnames_text"].initial = " ".join(self.instance.hostnames)

    def clean_web_form_url(self) -> str:
        return _https_only(self.cleaned_data["web_form_url"])

    def clean_hostnames_text(self) -> list[str]:
        names = self.cleaned_data["hostnames_text"].lower().split()
        for name in names:
            try:
                ascii_name = name.encode("idna").decode("ascii")
            except UnicodeError:
                ascii_name = ""
            if not ascii_name or "." not in ascii_name or "/" in name or ":" in name:
                raise ValidationError(f"“{name[:60]}” is not a host name (like t.me).")
        if len(names) > 30:
            raise ValidationError("At most 30 host names.")
        return sorted(set(names))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel = data.get("channel")
        if channel == "email" and not data.get("abuse_email"):
            self.add_error("abuse_email", "An e-mail channel needs the abuse address.")
        if channel == "web_form" and not data.get("web_form_url"):
            self.add_error("web_form_url", "A web-form channel needs the form's address.")
        return data

    def save(self, commit: bool = True) -> Platform:
        self.instance.hostnames = self.cleaned_data.get("hostnames_text", [])
        return super().save(commit=commit)  # type: ignore[no-any-return]


class PartnerHotlineForm(forms.ModelForm):  # type: ignore[type-arg]
    country = forms.ChoiceField(choices=country_choices)

    class Meta:
        model = PartnerHotline
        fields = ["name", "country", "email", "website", "inhope_member", "notes", "active"]

    def clean_website(self) -> str:
        return _https_only(self.cleaned_data["website"])


class SupportServiceForm(forms.ModelForm):  # type: ignore[type-arg]
    languages = forms.MultipleChoiceField(
        choices=list(LANGUAGE_CODES.items()), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = SupportService
        fields = [
            "name_en",
            "name_km",
            "kind",
            "languages",
            "areas",
            "phone",
            "email",
            "website",
            "hours",
            "notes",
            "active",
        ]

    def clean_website(self) -> str:
        return _https_only(self.cleaned_data["website"])

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data["phone"]).strip()
        allowed = set("0123456789+ -()")
        if phone and (set(phone) - allowed or sum(c.isdigit() for c in phone) < 3):
            raise ValidationError("Write the number with digits, spaces, +, - or brackets.")
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("phone") or data.get("email") or data.get("website")):
            raise ValidationError("Give at least one way to reach the service.")
        return data
