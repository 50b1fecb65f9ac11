"""Staff pages to publish a quarter's public figures (administrators; thin: publishing.py rules)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.base import Message
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from hotline.accounts.requests import staff_user
from hotline.staff.helpers import _in_english
from hotline.statistics.public import (
    AlreadyPublished,
    QuarterKey,
    StatisticsError,
    threshold_setting,
)
from hotline.statistics.publishing import (
    FiguresChanged,
    NotConfirmed,
    Preview,
    current_quarter,
    publishing_quarters,
    quarter_preview,
    quarter_publish_confirmed,
)

# Messages of this page carry this tag: the page shows only its own (allauth's "signed in"
# notes and others are not shown on staff pages).
TAG = "publish"
PLAIN = "text/plain; charset=utf-8"


class PublishForm(forms.Form):
    confirm = forms.CharField(
        label="Type the quarter to confirm", max_length=40, strip=True, required=True
    )
    figures = forms.CharField(max_length=64, widget=forms.HiddenInput, required=True)


def _see_other(fragment: str = "") -> HttpResponse:
    """Post/redirect/get: 303, so reloading the list never posts again."""
    response = HttpResponseRedirect(reverse("statistics:publish") + fragment)
    response.status_code = 303
    return response


@login_required
@_in_english
def publish_list(request: HttpRequest) -> HttpResponse:
    """Every finished quarter with reports or published: its state, a link to act on it."""
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(
            ["GET", "HEAD"],
            "This page only lists quarters: publish from a quarter's page.\n",
            content_type=PLAIN,
        )
    user = staff_user(request)
    rows = publishing_quarters(user)
    running = current_quarter()
    context = {
        "rows": rows,
        "running": running,
        "threshold": threshold_setting(),
        "publish_messages": _own_messages(request),
    }
    return render(request, "statistics/publish_list.html", context)


@login_required
@_in_english
def publish_quarter(request: HttpRequest, quarter: str) -> HttpResponse:
    """GET: the quarter's preview and the confirmation form; POST: publish it (303 to the list)."""
    if request.method not in {"GET", "HEAD", "POST"}:
        return HttpResponseNotAllowed(
            ["GET", "HEAD", "POST"],
            "Use the form on this page to publish a quarter.\n",
            content_type=PLAIN,
        )
    user = staff_user(request)
    try:
        key = QuarterKey.parse(quarter)
    except StatisticsError as exc:
        return render(
            request,
            "statistics/publish_quarter.html",
            {"bad_quarter": str(exc)},
            status=404,
        )
    if request.method != "POST":
        preview = quarter_preview(user, key)
        return _quarter_page(request, preview, PublishForm(initial={"figures": preview.digest}))
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _quarter_page(request, quarter_preview(user, key), form, status=400)
    try:
        published = quarter_publish_confirmed(
            actor=user,
            key=key,
            typed=form.cleaned_data["confirm"],
            digest=form.cleaned_data["figures"],
        )
    except AlreadyPublished as exc:
        # A second click, or another tab won: the list shows who published it, and when.
        messages.warning(request, str(exc), extra_tags=TAG)
        return _see_other(f"#q-{key}")
    except NotConfirmed as exc:
        return _quarter_page(request, quarter_preview(user, key), form, error=str(exc), status=400)
    except FiguresChanged as exc:
        # The form starts again from the figures as they are now (shown above it).
        preview = quarter_preview(user, key)
        fresh = PublishForm(initial={"figures": preview.digest})
        return _quarter_page(request, preview, fresh, error=str(exc), status=409)
    except StatisticsError as exc:  # not over, no report: the page already says so
        return _quarter_page(request, quarter_preview(user, key), form, error=str(exc), status=409)
    messages.success(
        request,
        f"{published} is published: the public page now shows it. Published figures never change.",
        extra_tags=TAG,
    )
    return _see_other(f"#q-{published}")


def _quarter_page(
    request: HttpRequest,
    preview: Preview,
    form: PublishForm,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "preview": preview,
        "key": str(preview.key),
        "form": form,
        "error": error,
    }
    return render(request, "statistics/publish_quarter.html", context, status=status)


def _own_messages(request: HttpRequest) -> list[Message]:
    """This page's messages (reading them all marks every one as seen)."""
    return [m for m in messages.get_messages(request) if TAG in m.extra_tags.split()]
