"""The signed-in user's alert choices: per domain, which rules and which channels; and the digest."""

from __future__ import annotations

from django import forms

from reports.alerts import destinations
from reports.alerts.recipients import hidden, split_urls
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
        help_text="One a line: slack://…, msteams://…, discord://…, gchat://…, tgram://…, pover://…, "
        "ntfy://topic, ntfys://, mmosts://, matrixs://, jsons://host/path, xmls://, forms://. Saved URLs "
        "show with their secrets hidden: leave such a line as it is to keep the URL.",
        max_length=4000,
    )

    def __init__(self, *args, stored: list[str] = (), **kwargs):
        # The stored URLs are shown masked (they hold tokens); a masked line sent back keeps its URL.
        self.stored = list(stored)
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {**kwargs["initial"], "urls": "\n".join(hidden(u) for u in self.stored)}
        super().__init__(*args, **kwargs)

    def clean_urls(self):
        lines = split_urls(self.cleaned_data["urls"])
        if len(lines) > MAX_URLS:
            raise forms.ValidationError(f"At most {MAX_URLS} URLs.")
        masked = [(hidden(u), u) for u in self.stored]
        urls, errors = [], []
        for n, line in enumerate(lines, 1):
            kept = next((pair for pair in masked if pair[0] == line), None)
            if kept is not None:
                masked.remove(kept)
            url = kept[1] if kept else line
            why = destinations.problem(url)
            if why:
                errors.append(f"Line {n} ({hidden(url)}): {why}.")
            urls.append(url)
        if errors:
            raise forms.ValidationError(errors)
        return "\n".join(urls)


class DigestForm(forms.Form):
    digest = forms.BooleanField(required=False, label="Send me the weekly digest")
