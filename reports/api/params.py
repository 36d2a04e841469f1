"""Query parameters, read strictly: an API caller is a program, so a bad value is a 400 that names the
parameter, not a silent fallback to a default as on the pages. The limits are the pages' own."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from rest_framework.exceptions import ValidationError

from reports.dashboard.forms import SourceFilterForm
from reports.dashboard.source_table import SourceFilter
from reports.rollups.selection import DEFAULT_DAYS, FIRST_DAY, LAST_DAY, MAX_DAYS, today
from reports.shared.dates import STORED_WINDOWS, WINDOW_DAYS, DateRange

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class RangeForm(forms.Form):
    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        end = cleaned.get("end") or today()
        start = cleaned.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start < FIRST_DAY or end > LAST_DAY or start > LAST_DAY or end < FIRST_DAY:
            raise forms.ValidationError(f"A range must lie between {FIRST_DAY} and {LAST_DAY}.")
        if start > end:
            raise forms.ValidationError("The start date is after the end date.")
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(f"A range can span at most {MAX_DAYS} days.")
        cleaned["range"] = DateRange(start, end)
        return cleaned


class PageForm(forms.Form):
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)


class DaysForm(forms.Form):
    days = forms.TypedChoiceField(
        required=False, coerce=int, choices=[(str(d), str(d)) for d in STORED_WINDOWS], empty_value=None
    )


class AlertStateForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=[(s, s) for s in ("open", "resolved", "all")])


def _valid(form: forms.Form) -> dict:
    if not form.is_valid():
        errors = {("params" if k == "__all__" else k): v for k, v in form.errors.items()}
        raise ValidationError(errors)
    return form.cleaned_data


def date_range(request) -> DateRange:
    """?start=YYYY-MM-DD&end=YYYY-MM-DD, both optional: the last 30 days by default."""
    return _valid(RangeForm(request.query_params))["range"]


def paging(request) -> tuple[int, int]:
    """(page, page_size): ?page= from 1, ?page_size= up to 500."""
    data = _valid(PageForm(request.query_params))
    return data.get("page") or 1, data.get("page_size") or PAGE_SIZE


def days(request) -> int:
    """?days= one of the readiness page's windows (the only ones kept computed)."""
    return _valid(DaysForm(request.query_params)).get("days") or WINDOW_DAYS


def source_filter(request) -> SourceFilter:
    """The sources table's filters, as the page reads them: q, failing, new, sort, dir, service,
    category, asn, country."""
    form = SourceFilterForm(request.query_params)
    if not form.is_valid():
        errors = {k: v for k, v in form.errors.items() if k != "page"}
        if errors:
            raise ValidationError(errors)
    return form.filter()


def alert_state(request) -> str:
    return _valid(AlertStateForm(request.query_params)).get("state") or "open"
