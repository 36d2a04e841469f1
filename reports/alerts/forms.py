"""The signed-in user's alert choices: per domain, which rules and which channels; and the digest."""

from __future__ import annotations

from django import forms

from reports.alerts.recipients import split_urls, valid_url
from reports.alerts.rules import RULES

MAX_URLS = 10


class DomainChoiceForm(forms.Form):
    rules = forms.MultipleChoiceField(
        choices=list(RULES.items()), widget=forms.CheckboxSelectMultiple, required=False
    )
    email = forms.BooleanField(required=False, label="By email")
    urls = forms.CharField(
        required=False,
        label="Apprise URLs",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="One a line: slack://…, msteams://…, discord://…, ntfy://…, json://host/path, …",
        max_length=4000,
    )

    def clean_urls(self):
        urls = split_urls(self.cleaned_data["urls"])
        if len(urls) > MAX_URLS:
            raise forms.ValidationError(f"At most {MAX_URLS} URLs.")
        bad = [u for u in urls if not valid_url(u)]
        if bad:
            raise forms.ValidationError(
                f"Apprise does not accept {len(bad)} of these URLs (line {urls.index(bad[0]) + 1})."
            )
        return "\n".join(urls)


class DigestForm(forms.Form):
    digest = forms.BooleanField(required=False, label="Send me the weekly digest")
