"""The dashboard's filters: a date range, a type (category) and a bucket, all validated."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from django import forms
from django.utils import timezone

from hotline.intake.choices import Category
from hotline.statistics.dashboard import Bucket, Filters, bucket_for, default_filters

# The hotline's figures start in 2000 at the earliest, and no range may exceed 20 years: longer
# would only draw empty quarters (a range this long is drawn by quarter: at most 80 bars).
EARLIEST: Final = date(2000, 1, 1)
LONGEST: Final = timedelta(days=366 * 20)


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(
        required=False, label="Type", choices=[("", "Every type"), *Category.choices]
    )
    bucket = forms.ChoiceField(
        required=False,
        label="Per",
        choices=[("", "Automatic"), *((b.value, b.value) for b in Bucket)],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        default = default_filters(today)
        start = data.get("start") or default.start
        end = data.get("end") or (today if data.get("start") else default.end)
        if "start" in self.errors or "end" in self.errors:
            return data
        if start < EARLIEST or end < EARLIEST:
            raise forms.ValidationError(f"Dates start on {EARLIEST:%Y-%m-%d} at the earliest.")
        if end > today + timedelta(days=366) or start > today + timedelta(days=366):
            raise forms.ValidationError("Dates can be at most a year from today.")
        if start > end:
            raise forms.ValidationError("The start date is after the end date.")
        if end - start > LONGEST:
            raise forms.ValidationError("A range can be at most 20 years long.")
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        """The filters to show: the valid ones asked for, or the default view."""
        if not self.is_valid():
            return default_filters()
        data = self.cleaned_data
        wanted = Bucket(data["bucket"]) if data.get("bucket") else None
        return Filters(
            start=data["start"],
            end=data["end"],
            bucket=bucket_for(data["start"], data["end"], wanted),
            category=data.get("category") or "",
        )
