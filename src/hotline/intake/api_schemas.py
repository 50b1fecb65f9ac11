"""Request and response shapes of the partner API (plain pydantic: they are the OpenAPI schema).

The limits mirror the public form (intake.forms): what a reporter cannot type there, a partner
cannot send here. Unknown fields are refused, so a typo fails loudly instead of being dropped.
Plain `pydantic.BaseModel` rather than `ninja.Schema`: input never comes from ORM objects, and
ninja's per-object wrapper costs time on batches of hundreds of reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.conf import settings
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from hotline.intake.choices import (
    AgeRange,
    Category,
    HelpWanted,
    MoneyStatus,
    PaymentMethod,
    Platform,
    Province,
    ReporterRole,
    ReportStatus,
    VictimGender,
)
from hotline.intake.forms import MAX_LINE_CHARS, MAX_LINES

MAX_BATCH = 500
MAX_HASHES = 50
MAX_HASH_QUERIES = 1000
MAX_REFERENCE_CHARS = 200
MAX_IDEMPOTENCY_KEY_CHARS = 200

# No C0 control characters or DEL in one-line answers; multi-line text may hold tab and
# newlines. The same rule as intake.forms.CONTROL_CHARS.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Line = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LINE_CHARS, pattern=ONE_LINE)]
Lines = Annotated[list[Line], Field(max_length=MAX_LINES)]


Started = Annotated[str, StringConstraints(max_length=200, pattern=ONE_LINE)]
Amount = Annotated[str, StringConstraints(max_length=100, pattern=ONE_LINE)]
Contact = Annotated[str, StringConstraints(max_length=300, pattern=ONE_LINE)]
Reference = Annotated[str, StringConstraints(max_length=MAX_REFERENCE_CHARS, pattern=ONE_LINE)]
Narrative = Annotated[
    str,
    StringConstraints(max_length=settings.HOTLINE_MAX_TEXT_CHARS, pattern=MULTI_LINE),
]
# The site's languages (settings.LANGUAGES; a test keeps the two in step).
Language = Literal["km", "en"]
StrictFlag = Annotated[bool, Field(strict=True)]


def _unique[T](values: list[T]) -> list[T]:
    return list(dict.fromkeys(values))


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


def _hash_lengths(schema: dict[str, Any]) -> None:
    # Tell clients (and schemathesis) what the validator checks: the length follows the kind.
    schema["anyOf"] = [
        {"properties": {"kind": {"const": "md5"}, "value": {"pattern": "^[0-9a-fA-F]{32}$"}}},
        {
            "properties": {
                "kind": {"enum": ["sha256", "pdq"]},
                "value": {"pattern": "^[0-9a-fA-F]{64}$"},
            }
        },
    ]


def _contact_needs_consent(schema: dict[str, Any]) -> None:
    schema["anyOf"] = [
        {"properties": {"contact": {"maxLength": 0}}},
        {"required": ["consent_contact"], "properties": {"consent_contact": {"const": True}}},
    ]


class HashQuery(Input):
    """A hash to look up in the hotline's hash lists."""

    model_config = ConfigDict(json_schema_extra=_hash_lengths)

    kind: Literal["md5", "sha256", "pdq"]
    value: Annotated[
        str,
        StringConstraints(pattern=r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$"),
        Field(description="Hexadecimal: 32 digits for md5, 64 for sha256 and pdq."),
    ]

    @field_validator("value")
    @classmethod
    def _length_fits_kind(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is not None and len(value) != (32 if kind == "md5" else 64):
            raise ValueError(f"a {kind} hash has {32 if kind == 'md5' else 64} hex digits")
        return value.lower()


class HashIn(HashQuery):
    """A fingerprint of an image or video, computed by the partner instead of sending the file."""

    quality: Annotated[int, Field(ge=0, le=100, strict=True)] | None = Field(
        default=None, description="PDQ quality (0-100), if known."
    )


class ReportIn(Input):
    """One report, as a partner received it. Only reporter_role and categories are required."""

    model_config = ConfigDict(json_schema_extra=_contact_needs_consent)

    reporter_role: ReporterRole
    categories: Annotated[list[Category], Field(min_length=1, max_length=len(Category))]
    victim_age: AgeRange = AgeRange.UNKNOWN
    victim_gender: VictimGender = Field(
        default=VictimGender.UNKNOWN,
        description='The gender of the person harmed; "" if not given.',
    )
    province: Province = Field(
        default=Province.UNKNOWN,
        description='Where the person harmed lives (province, or outside); "" if not given.',
    )
    platforms: Annotated[list[Platform], Field(max_length=len(Platform))] = Field(
        default_factory=list
    )
    links: Lines = Field(default_factory=list)
    usernames: Lines = Field(default_factory=list)
    phones: Lines = Field(default_factory=list)
    payment_accounts: Lines = Field(default_factory=list)
    started: Started = ""
    money: MoneyStatus = MoneyStatus.NONE
    amount: Amount = ""
    payment_methods: Annotated[list[PaymentMethod], Field(max_length=len(PaymentMethod))] = Field(
        default_factory=list
    )
    narrative: Narrative = ""
    contact: Contact = ""
    help_wanted: Annotated[list[HelpWanted], Field(max_length=len(HelpWanted))] = Field(
        default_factory=list
    )
    consent_contact: StrictFlag = Field(
        default=False,
        validate_default=True,  # so a contact sent without this field is refused too
        description="Must be true when contact is given.",
    )
    in_danger: StrictFlag = False
    language: Language = "km"
    partner_reference: Reference = Field(
        default="",
        description="The partner's own id for this report; unique per partner when not empty.",
    )
    hashes: Annotated[list[HashIn], Field(max_length=MAX_HASHES)] = Field(default_factory=list)

    @field_validator("categories", "platforms", "payment_methods", "help_wanted")
    @classmethod
    def _dedupe(cls, values: list[str]) -> list[str]:
        return _unique(values)

    @field_validator("consent_contact")
    @classmethod
    def _consent_for_contact(cls, consent: bool, info: ValidationInfo) -> bool:
        if info.data.get("contact") and not consent:
            raise ValueError("contact details may only be sent with consent_contact: true")
        return consent


class BatchIn(Input):
    """Up to MAX_BATCH reports, stored all together or not at all."""

    reports: Annotated[list[ReportIn], Field(min_length=1, max_length=MAX_BATCH)]


class ReportAccepted(BaseModel):
    """A stored report: its id at the hotline and the partner's own reference."""

    id: UUID
    partner_reference: str


class BatchAccepted(BaseModel):
    """The stored reports, in the order they were sent."""

    reports: list[ReportAccepted]


class ReportStatusOut(BaseModel):
    """Where a report stands at the hotline."""

    id: UUID
    partner_reference: str
    status: ReportStatus
    created_at: datetime
    updated_at: datetime


class ReportList(BaseModel):
    """Reports this partner submitted, newest first."""

    reports: list[ReportStatusOut]


class HashMatchIn(Input):
    """Up to MAX_HASH_QUERIES hashes to check against the hotline's hash lists."""

    hashes: Annotated[list[HashQuery], Field(min_length=1, max_length=MAX_HASH_QUERIES)]


class HashMatchFound(BaseModel):
    """An entry of one of the hotline's hash lists that matches the queried hash."""

    bank: str = Field(description="The name of the hash list.")
    category: str = Field(description="What the list holds: csam, ncii, sextortion or other.")
    distance: int = Field(
        ge=0, le=256, description="Bits that differ (PDQ, up to the threshold); 0 for md5/sha256."
    )
    label: str = Field(description="The entry's label in that list (may be empty).")


class HashMatchResult(BaseModel):
    """The matches of one queried hash (an empty list: no match)."""

    kind: Literal["md5", "sha256", "pdq"]
    value: str
    matches: list[HashMatchFound]


class HashMatchOut(BaseModel):
    """One result per queried hash, in the order they were sent."""

    results: list[HashMatchResult]
    pdq_threshold: int = Field(description="PDQ hashes match within this many differing bits.")


class FieldError(BaseModel):
    """One reason a request was refused: where (dotted path) and why."""

    path: str
    message: str


class ErrorOut(BaseModel):
    """Every error answer: a stable code, a sentence, and field errors when there are any."""

    error: str
    message: str
    errors: list[FieldError] = []
