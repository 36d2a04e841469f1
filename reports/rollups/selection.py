"""Which domain and which range of days a page shows: the domain picker (the domains with data the user
may see) and the range presets, carried in the query string of every page."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.http import urlencode

from reports.access import guard
from reports.rollups.queries import with_data
from reports.shared.dates import WINDOW_DAYS, DateRange

PRESETS = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "365 days"), ("custom", "Custom")]
DEFAULT_DAYS = WINDOW_DAYS
MAX_DAYS = 3660
# Dates outside these are typing errors or probes; the ends of the calendar would
# overflow the date arithmetic of the range (the day after 9999-12-31).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)


def today():
    return timezone.now().date()


class RangeForm(forms.Form):
    """Domain and date range, carried in the query string of every dashboard page."""

    domain = forms.ChoiceField(required=False)
    range = forms.ChoiceField(choices=PRESETS, required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data, domains: list[str]):
        super().__init__(data)
        self.fields["domain"].choices = [(d, d) for d in domains]
        self.domains = domains

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("range") == "custom":
            start, end = cleaned.get("start"), cleaned.get("end")
            if not start or not end:
                raise forms.ValidationError("A custom range needs a start and an end date.")
            if start > end:
                raise forms.ValidationError("The start date is after the end date.")
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(f"A range can span at most {MAX_DAYS} days.")
            if start < FIRST_DAY or end > LAST_DAY:
                raise forms.ValidationError(f"A range must lie between {FIRST_DAY} and {LAST_DAY}.")
            if end > today():
                raise forms.ValidationError(
                    f"The end date {end} is in the future: there are no reports for it yet."
                )

        return cleaned

    def selection(self) -> tuple[str | None, str, DateRange]:
        """(domain, preset, range), falling back to the defaults for anything missing or invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        domain = data.get("domain") or (self.domains[0] if self.domains else None)
        preset = data.get("range") or str(DEFAULT_DAYS)
        if preset == "custom" and data:
            return domain, preset, DateRange(data["start"], data["end"])
        if preset == "custom":
            preset = str(DEFAULT_DAYS)
        end = today()
        return domain, preset, DateRange(end - timedelta(days=int(preset) - 1), end)


RANGE_KEYS = ("domain", "range", "start", "end", "page")


def _errors(form: RangeForm) -> list[str]:
    """What is wrong with the range asked for, said on the page above the default range shown instead."""
    if not form.is_bound or form.is_valid():
        return []
    out = list(form.non_field_errors())
    for name in ("range", "start", "end"):
        out += [f"{name}: {e}" for e in form.errors.get(name, [])]
    return [f"{e} Showing the last {DEFAULT_DAYS} days instead." for e in out]


def selection(request) -> dict:
    """Domain and range of the request, and the query string that keeps them on every link."""
    form = RangeForm(request.GET, guard.domains(request, with_data()))
    asked = request.GET.get("domain", "").strip()
    if asked and asked not in form.domains:
        # Never another domain in its place; the same answer whether it has no reports or the user may
        # not see it.
        raise Http404("No reports for this domain.")
    domain, preset, rng = form.selection()
    keep = {"domain": domain or "", "range": preset}
    if preset == "custom":
        keep.update(start=rng.start.isoformat(), end=rng.end.isoformat())
    # The page's own filters (search, sort...) survive a change of domain or range; the page number does not.
    carry = [(k, v) for k, values in request.GET.lists() if k not in RANGE_KEYS for v in values]
    presets = [
        {
            "label": label,
            "active": value == preset,
            "url": "?" + urlencode([*carry, ("domain", domain or ""), ("range", value)]),
        }
        for value, label in PRESETS
        if value != "custom"
    ]
    return {
        "carry": carry,
        "presets": presets,
        "range_form": form,
        "range_errors": _errors(form),
        "domain": domain,
        "domains": form.domains,
        "preset": preset,
        "rng": rng,
        "keep": keep,
        "qs": urlencode(keep),
    }
