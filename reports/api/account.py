"""The account page of a user's own API tokens (/account/tokens/): make one (shown once), see when each
was last used, revoke one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from reports.api import rules, tokens


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, required=False, help_text="What the token is for (a CI job, a SIEM)."
    )
    scopes = forms.MultipleChoiceField(
        choices=[(s, f"{s}: {rules.SCOPE_HELP[s]}") for s in rules.SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=[rules.READ],
    )
    expires_days = forms.IntegerField(
        required=False, min_value=1, max_value=rules.MAX_EXPIRY_DAYS, label="Expires after (days)",
        help_text="Empty: never expires.",
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def account_tokens(request):
    new_token = None
    form = TokenForm()
    if request.method == "POST" and "revoke" in request.POST:
        row = tokens.of_user(request.user).filter(pk=_int(request.POST["revoke"])).first()
        if row is not None and tokens.revoke(row, by=request.user):
            messages.success(request, f"Token {row.prefix}… revoked.")
        return redirect("account_tokens")
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            _, new_token = tokens.create(
                request.user, data["scopes"], name=data["name"], expires_days=data["expires_days"]
            )
            form = TokenForm()
    ctx = {
        "form": form,
        "new_token": new_token,  # shown in this answer only: a reload shows it no more
        "tokens": tokens.of_user(request.user),
        "api_docs": "/api/v1/docs/",
    }
    return render(request, "reports/api/tokens.html", ctx)


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 19 else 0
