"""Forms of the public pages: parse and check input, then hand it to services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import cached_property
from django.utils.translation import (
    get_language,
    gettext_lazy,
    gettext_noop,
    ngettext_lazy,
    pgettext_lazy,
)
from django.utils.translation import gettext as _

from hotline.core.templatetags.local_numbers import digits_localize
from hotline.intake.choices import (
    AgeRange,
    HelpWanted,
    MoneyStatus,
    PaymentMethod,
    Platform,
    Province,
    ReporterRole,
    VictimGender,
)
from hotline.intake.evidence import EvidenceRejected, PreparedEvidence, evidence_prepare
from hotline.intake.services import ReportInput
from hotline.sitesettings.selectors import category_choices

MAX_LINES = 50
MAX_LINE_CHARS = 500
HEX_HASH = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f]{64}$")
# Characters that have no place in text a person typed (NUL and other C0 controls).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Django decodes bytes that are not UTF-8 as U+FFFD: the text arrived damaged.
REPLACEMENT_CHAR = "\ufffd"

# Django's own messages are technical and its Khmer catalog is incomplete, so every public
# form field speaks with these instead (validators' messages are replaced by their code).
FRIENDLY_ERRORS = {
    "required": gettext_lazy("Please answer this question."),
    "invalid_choice": gettext_lazy("Please choose one of the answers shown."),
    "invalid_list": gettext_lazy("Please choose one of the answers shown."),
    "invalid": gettext_lazy("We could not read this answer. Please check it."),
    "max_length": gettext_lazy("This is too long: please use at most %(limit_value)d characters."),
    "null_characters_not_allowed": gettext_lazy("This text contains characters we cannot accept."),
}


# Django's own wording of the same errors, listed so `makemessages` keeps our Khmer for them:
# a field or validator that misses FRIENDLY_ERRORS still speaks Khmer, never half-translated.
DJANGO_MESSAGES = (
    gettext_noop("This field is required."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Enter a list of values."),
    gettext_noop("Enter a valid value."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("No file was submitted. Check the encoding type on the form."),
    gettext_noop("No file was submitted."),
    gettext_noop("The submitted file is empty."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this filename has at most %(max)d character (it has %(length)d).",
        "Ensure this filename has at most %(max)d characters (it has %(length)d).",
        "max",
    ),
)


class SharedFields(dict[str, forms.Field]):
    """A form class's fields, shared by its instances instead of deep-copied for each.

    Django deep-copies `base_fields` for every form so that an instance may change its own
    fields. Public forms never do (nothing here writes to `form.fields`), and the copy of the
    report form's choice fields was a sixth of a submission's CPU time.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


# Stand-ins for the numbers of a message while Django formats it (%d needs a number): large
# enough that no other part of a message is ever the same digits.
_NUMBER_SLOT = 9_187_364_500_000_000


def error_numbers_localize(error: ValidationError) -> ValidationError:
    """Return `error` with the numbers of its parameters in the page's digits (Khmer: ០-៩).

    Django formats "%(limit_value)d" itself, always in Latin digits. Only numeric parameters
    are rewritten (a value the reporter typed, a string parameter, stays exactly as typed);
    the message is formatted in the active language, as Django would format it when shown.
    """
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                name: [error_numbers_localize(e) for e in errors]
                for name, errors in error.error_dict.items()
            }
        )
    if len(error.error_list) != 1 or error.error_list[0] is not error:
        return ValidationError([error_numbers_localize(e) for e in error.error_list])
    params = error.params
    if not isinstance(params, dict):
        return error
    numbers = {
        name: value
        for name, value in params.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    if not numbers:
        return error
    slots = {name: _NUMBER_SLOT + index for index, name in enumerate(numbers)}
    # Khmer has one plural form (nplurals=1), so a stand-in never changes the wording.
    text = str(error.message % (params | slots))
    for name, slot in slots.items():
        text = text.replace(str(slot), digits_localize(str(numbers[name])))
    return ValidationError(text, code=error.code)


class FriendlyErrorsMixin:
    """Give every field of a public form the plain, translated error messages above.

    The messages are set once per class (they are lazy: each answer translates them into its
    own language), and the fields are then shared by every instance (see SharedFields).
    """

    base_fields: dict[str, forms.Field]
    # Say "(required)" beside required questions (intake/_field.html): on the report form, where
    # most questions are optional; a page asking one or two questions needs no mark.
    mark_required = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        form_class = type(self)
        if not isinstance(form_class.__dict__.get("base_fields"), SharedFields):
            # Two threads may both get here first; both write the same values.
            for field in form_class.base_fields.values():
                field.error_messages = {**field.error_messages, **FRIENDLY_ERRORS}
            form_class.base_fields = SharedFields(form_class.base_fields)
        super().__init__(*args, **kwargs)

    def add_error(self, field: Any, error: Any) -> None:
        """Add `error` as Django does, its numbers in Khmer digits on a Khmer page."""
        if isinstance(error, ValidationError) and (get_language() or "").split("-")[0] == "km":
            error = error_numbers_localize(error)
        super().add_error(field, error)  # type: ignore[misc]  # BaseForm comes after the mixin


def clean_text(value: str, *, limit: int) -> str:
    """Strip a text answer and refuse control characters, damaged text or more than `limit`."""
    if CONTROL_CHARS.search(value):
        raise forms.ValidationError(_("This text contains characters we cannot accept."))
    if REPLACEMENT_CHAR in value:
        raise forms.ValidationError(
            _(
                "Part of this text could not be read (it shows as �). "
                "Please remove that part or type it again."
            )
        )
    value = value.strip()
    if len(value) > limit:
        raise forms.ValidationError(
            _("This is too long: please use at most %(limit)s characters.")
            % {"limit": digits_localize(str(limit))}
        )
    return value


def clean_lines(value: str) -> list[str]:
    """Split a one-per-line answer into its non-empty lines."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise forms.ValidationError(
            _("Please give at most %(count)s lines here.")
            % {"count": digits_localize(str(MAX_LINES))}
        )
    if any(len(line) > MAX_LINE_CHARS for line in lines):
        raise forms.ValidationError(_("One of these lines is too long."))
    return lines


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Accept several files in one input, checking count and size before reading them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    @property
    def max_files(self) -> int:
        return int(settings.HOTLINE_MAX_FILES)

    @property
    def max_megabytes(self) -> int:
        return int(settings.HOTLINE_MAX_FILE_BYTES) // (1024 * 1024)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > settings.HOTLINE_MAX_FILES:
            raise forms.ValidationError(
                _("Please send at most %(count)s files.")
                % {"count": digits_localize(str(settings.HOTLINE_MAX_FILES))}
            )
        for item in files:
            if item.size is not None and item.size > settings.HOTLINE_MAX_FILE_BYTES:
                raise forms.ValidationError(
                    _("The file “%(name)s” is too large (the limit is %(mb)s MB).")
                    % {
                        "name": (item.name or "")[:80],
                        "mb": digits_localize(
                            str(settings.HOTLINE_MAX_FILE_BYTES // (1024 * 1024))
                        ),
                    }
                )
        return files


def prepare_files(files: list[UploadedFile[Any]]) -> list[PreparedEvidence]:
    """Read and check each file; raise ValidationError with the reporter-facing reason."""
    prepared = []
    for item in files:
        data = item.read(settings.HOTLINE_MAX_FILE_BYTES + 1)
        if len(data) > settings.HOTLINE_MAX_FILE_BYTES:
            raise forms.ValidationError(_("One of the files is too large."))
        try:
            prepared.append(evidence_prepare(filename=item.name or "file", data=data))
        except EvidenceRejected as exc:
            raise forms.ValidationError(exc.message) from exc
    return prepared


def parse_hashes(value: str) -> list[tuple[str, str, int | None]]:
    """Parse hashes computed on the reporter's device: 'kind:hex[:quality]' per line."""
    result: list[tuple[str, str, int | None]] = []
    for line in clean_lines(value):
        parts = line.lower().split(":")
        kind, hexvalue = ([*parts, "", ""])[:2]
        quality: int | None = None
        if len(parts) == 3 and parts[2].isascii() and parts[2].isdigit():
            quality = min(int(parts[2]), 100)
        valid = (
            (kind == "md5" and len(hexvalue) == 32)
            or (kind in {"sha256", "pdq"} and len(hexvalue) == 64)
        ) and HEX_HASH.match(hexvalue)
        if not valid or len(parts) > 3:
            raise forms.ValidationError(_("The image fingerprints could not be read."))
        result.append((kind, hexvalue, quality))
    return result


# The report form's optional sections, folded on a phone (<details>) unless one of their
# questions has an error or an answer.
FOLDED_SECTIONS = {
    "where": ("platforms", "links", "usernames", "phones", "started"),
    "money": ("money", "amount", "payment_methods", "payment_accounts"),
    "evidence": ("evidence_files", "keep_original_for_police", "device_hashes"),
    "help": ("help_wanted", "contact", "consent_contact"),
    "person": ("victim_gender", "province"),
}


class ReportForm(FriendlyErrorsMixin, forms.Form):
    """The public report form. Everything but two questions is optional."""

    mark_required = True

    submission_token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    in_danger = forms.ChoiceField(
        label=gettext_lazy("Is someone in danger right now?"),
        choices=[
            ("no", pgettext_lazy("someone in danger", "No")),
            ("yes", pgettext_lazy("someone in danger", "Yes")),
        ],
        widget=forms.RadioSelect,
        initial="no",
        required=False,
    )
    reporter_role = forms.ChoiceField(
        label=gettext_lazy("Who is this report about?"),
        choices=ReporterRole.choices,
        widget=forms.RadioSelect,
    )
    victim_age = forms.ChoiceField(
        label=gettext_lazy("How old is the person this happened to?"),
        help_text=gettext_lazy("Your own age if it happened to you. A guess is fine."),
        choices=AgeRange.choices,
        required=False,
    )
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("What happened?"),
        help_text=gettext_lazy("Choose all that fit."),
        # A callable: read at each use, so the categories and labels an administrator set
        # (hotline.sitesettings) apply at once, in the page's language, to the shared field.
        choices=category_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    platforms = forms.MultipleChoiceField(
        label=gettext_lazy("Where did it happen?"),
        choices=Platform.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    links = forms.CharField(
        label=gettext_lazy("Links (one per line)"),
        help_text=gettext_lazy(
            "Copy the address from the app, for example with Share, then Copy link."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    usernames = forms.CharField(
        label=gettext_lazy("Names or usernames of the person or group (one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    phones = forms.CharField(
        label=gettext_lazy("Phone numbers they used (one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    payment_accounts = forms.CharField(
        label=gettext_lazy("Payment accounts they gave (one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    started = forms.CharField(
        label=gettext_lazy("When did it start?"),
        help_text=gettext_lazy("For example: last week, or 3 March."),
        max_length=200,
        required=False,
    )
    money = forms.ChoiceField(
        label=gettext_lazy("Was money asked for?"),
        choices=MoneyStatus.choices,
        widget=forms.RadioSelect,
        initial=MoneyStatus.NONE,
        required=False,
    )
    amount = forms.CharField(label=gettext_lazy("How much?"), max_length=100, required=False)
    payment_methods = forms.MultipleChoiceField(
        label=gettext_lazy("How did they ask to be paid?"),
        choices=PaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    narrative = forms.CharField(
        label=gettext_lazy("Tell us what happened, in your own words"),
        help_text=gettext_lazy(
            "Write in Khmer or English, as much or as little as you want. Spelling does not matter."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )
    evidence_files = MultipleFileField(
        label=gettext_lazy("Choose pictures or files to send"),
        required=False,
    )
    keep_original_for_police = forms.BooleanField(
        label=gettext_lazy("Keep my files exactly as they are, as evidence for the police"),
        help_text=gettext_lazy(
            "Our team sees a copy without hidden details, such as where a photo was taken. "
            "Tick this only if you also want us to keep the untouched files, locked, "
            "for the police."
        ),
        required=False,
    )
    device_hashes = forms.CharField(widget=forms.HiddenInput, required=False)
    help_wanted = forms.MultipleChoiceField(
        label=gettext_lazy("What help would you like?"),
        choices=HelpWanted.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    contact = forms.CharField(
        label=gettext_lazy("How can we reach you? (optional: phone, e-mail, Telegram…)"),
        help_text=gettext_lazy("Leave it empty to stay anonymous. We only use it to help you."),
        max_length=300,
        required=False,
    )
    consent_contact = forms.BooleanField(
        label=gettext_lazy("I agree that the hotline may contact me this way"), required=False
    )
    # Last, in their own folded section: asked only to count who is harmed and where (the
    # staff dashboard), so they never stand between a reporter and the Send button.
    victim_gender = forms.ChoiceField(
        label=gettext_lazy("What is the gender of the person harmed?"),
        help_text=gettext_lazy("Your own answer if it happened to you."),
        choices=VictimGender.choices,
        required=False,
    )
    province = forms.ChoiceField(
        label=gettext_lazy("Which province does the person harmed live in?"),
        help_text=gettext_lazy("Only the province: we never ask for an address."),
        choices=Province.choices,
        required=False,
    )

    @cached_property
    def open_sections(self) -> frozenset[str]:
        """Return the folded sections to show open: those with an error or an answer in them.

        An answer is a value other than the question's default (money's "none" is no answer),
        whether it came in the POST or as the form's initial data (a kept draft).
        """
        opened = set()
        for section, names in FOLDED_SECTIONS.items():
            if any(name in self.errors or self._answered(name) for name in names):
                opened.add(section)
        return frozenset(opened)

    def _answered(self, name: str) -> bool:
        value = self[name].value()
        if isinstance(value, str):
            value = value.strip()
        return bool(value) and value != self.fields[name].initial

    def clean_narrative(self) -> str:
        return clean_text(self.cleaned_data["narrative"], limit=settings.HOTLINE_MAX_TEXT_CHARS)

    def clean_contact(self) -> str:
        return clean_text(self.cleaned_data["contact"], limit=300)

    def clean_started(self) -> str:
        return clean_text(self.cleaned_data["started"], limit=200)

    def clean_amount(self) -> str:
        return clean_text(self.cleaned_data["amount"], limit=100)

    def _lines(self, name: str) -> list[str]:
        return clean_lines(clean_text(self.cleaned_data[name], limit=MAX_LINES * MAX_LINE_CHARS))

    def clean_links(self) -> list[str]:
        return self._lines("links")

    def clean_usernames(self) -> list[str]:
        return self._lines("usernames")

    def clean_phones(self) -> list[str]:
        return self._lines("phones")

    def clean_payment_accounts(self) -> list[str]:
        return self._lines("payment_accounts")

    def clean_device_hashes(self) -> list[tuple[str, str, int | None]]:
        return parse_hashes(self.cleaned_data["device_hashes"][:20_000])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("contact") and not cleaned.get("consent_contact"):
            self.add_error(
                "consent_contact",
                _("Please tick this box if we may contact you, or leave the contact field empty."),
            )
        if not self.errors and cleaned.get("evidence_files"):
            try:
                cleaned["prepared_files"] = prepare_files(cleaned["evidence_files"])
            except forms.ValidationError as exc:
                self.add_error("evidence_files", exc)
        return cleaned

    def to_input(self, *, language: str) -> ReportInput:
        data = self.cleaned_data
        return ReportInput(
            reporter_role=data["reporter_role"],
            victim_age=data.get("victim_age") or "",
            victim_gender=data.get("victim_gender") or "",
            province=data.get("province") or "",
            categories=list(data["categories"]),
            platforms=list(data.get("platforms") or []),
            links=data.get("links") or [],
            usernames=data.get("usernames") or [],
            phones=data.get("phones") or [],
            payment_accounts=data.get("payment_accounts") or [],
            started=data.get("started") or "",
            money=data.get("money") or MoneyStatus.NONE,
            amount=data.get("amount") or "",
            payment_methods=list(data.get("payment_methods") or []),
            narrative=data.get("narrative") or "",
            contact=data.get("contact") or "" if data.get("consent_contact") else "",
            help_wanted=list(data.get("help_wanted") or []),
            consent_contact=bool(data.get("consent_contact")),
            keep_original_for_police=bool(data.get("keep_original_for_police")),
            in_danger=data.get("in_danger") == "yes",
            language=language,
            hashes=data.get("device_hashes") or [],
        )


class CodeForm(FriendlyErrorsMixin, forms.Form):
    """Ask for a receipt code."""

    code = forms.CharField(
        label=gettext_lazy("Your receipt code"),
        help_text=gettext_lazy("For example: 7KQ4-M2XD-9FTB-R6HC-W. Small letters are fine."),
        max_length=80,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class ReplyForm(FriendlyErrorsMixin, forms.Form):
    """A reporter's later message, files or hashes on their status page."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=80)
    message = forms.CharField(
        label=gettext_lazy("Your message or more information"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    evidence_files = MultipleFileField(
        label=gettext_lazy("Add screenshots or files (optional)"), required=False
    )
    device_hashes = forms.CharField(widget=forms.HiddenInput, required=False)
    # One per rendered form: the same reply sent twice (Reload, a double tap, Back and Send
    # again) is stored once (services.report_add_information).
    once = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def clean_message(self) -> str:
        return clean_text(self.cleaned_data["message"], limit=settings.HOTLINE_MAX_TEXT_CHARS)

    def clean_device_hashes(self) -> list[tuple[str, str, int | None]]:
        return parse_hashes(self.cleaned_data["device_hashes"][:20_000])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            if not (
                cleaned.get("message")
                or cleaned.get("evidence_files")
                or cleaned.get("device_hashes")
            ):
                raise forms.ValidationError(_("Please write a message or add a file."))
            try:
                cleaned["prepared_files"] = prepare_files(cleaned.get("evidence_files") or [])
            except forms.ValidationError as exc:
                self.add_error("evidence_files", exc)
        return cleaned


# An identifier is one link, handle, phone number, wallet or account: a few hundred characters
# at most. The cap keeps extraction cheap on a throttled public form.
MAX_IDENTIFIER_CHARS = 500


class EscrowForm(FriendlyErrorsMixin, forms.Form):
    """A receipt code and one offender identifier to keep in escrow."""

    code = forms.CharField(
        label=gettext_lazy("Your receipt code"),
        help_text=gettext_lazy("For example: 7KQ4-M2XD-9FTB-R6HC-W. Small letters are fine."),
        max_length=80,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    identifier = forms.CharField(
        label=gettext_lazy("The name, number or link of the person who hurt you"),
        help_text=gettext_lazy(
            "One at a time: a Telegram or Facebook account, a phone number, a Wing or ABA "
            "account number, or a link."
        ),
        max_length=MAX_IDENTIFIER_CHARS,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_identifier(self) -> str:
        from hotline.entities.services import EntityInputError, canonical_identifier

        text = clean_text(self.cleaned_data["identifier"], limit=MAX_IDENTIFIER_CHARS)
        try:
            canonical_identifier(text)
        except EntityInputError:
            raise forms.ValidationError(
                _(
                    "We could not read one name, number or link here. Please write only one, "
                    "for example @name on Telegram, 012 345 678 or a link."
                )
            ) from None
        return text


class EscrowAnswerForm(forms.Form):
    """A reporter's answer to a consent question on their status page."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=80)
    question = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    answer = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no")])
