"""The retention rules page for administrators (Action.MANAGE_SETTINGS)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.intake.choices import Category
from hotline.retention.forms import RuleDeleteForm, RuleForm
from hotline.retention.models import PurgedReport, RetentionRule
from hotline.retention.services import RuleError, rule_delete, rule_set


def _admin(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    require(user, Action.MANAGE_SETTINGS)
    return user


def _page(
    request: HttpRequest, form: RuleForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    labels = dict(Category.choices)
    rules = [
        {
            "rule": rule,
            "category_label": labels.get(rule.category, rule.category) if rule.category else "",
        }
        for rule in RetentionRule.objects.all()
    ]
    context = {
        "rules": rules,
        "form": form,
        "error": error,
        "purged": PurgedReport.objects.count(),
        "grace_days": settings.HOTLINE_RETENTION_GRACE_DAYS,
    }
    return render(request, "retention/rules.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponse:
    """List the rules; on POST create or change one (303 back to the list)."""
    user = _admin(request)
    if request.method == "GET":
        return _page(request, RuleForm())
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    rule_set(
        user=user,
        state=form.cleaned_data["state"],
        category=form.cleaned_data["category"] or "",
        keep_days=form.cleaned_data["keep_days"],
    )
    return redirect("retention:rules")


@login_required
@require_http_methods(["POST"])
def rule_remove(request: HttpRequest) -> HttpResponse:
    """Delete a rule (the reports it covered are kept until another rule covers them)."""
    user = _admin(request)
    form = RuleDeleteForm(request.POST)
    if not form.is_valid():
        return _page(request, RuleForm(), error="This rule could not be found.", status=400)
    try:
        rule_delete(user=user, rule_id=form.cleaned_data["rule"])
    except RuleError as exc:
        return _page(request, RuleForm(), error=str(exc), status=404)
    return redirect("retention:rules")
