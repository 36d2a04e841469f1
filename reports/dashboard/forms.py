from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from reports.dashboard.queries import SORTS, SourceFilter
from reports.shared.dates import WINDOW_DAYS, DateRange
from reports.shared.vocabulary import CATEGORIES

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


SORT_CHOICES = [(key, key) for key in SORTS]


class SourceFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    failing = forms.BooleanField(required=False, label="Failing only")
    new = forms.BooleanField(required=False, label="New in this range")
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    dir = forms.ChoiceField(choices=[("desc", "desc"), ("asc", "asc")], required=False)
    # Bounded so that the offset fits the database; past the last page shows the last one.
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)
    service = forms.CharField(required=False, max_length=64)
    category = forms.ChoiceField(
        required=False,
        choices=[
            ("", "any category"),
            *((c, c) for c in CATEGORIES),
        ],
    )
    asn = forms.RegexField(required=False, regex=r"^(?i:AS)?\d{1,10}$", label="AS number")
    country = forms.RegexField(required=False, regex=r"^[A-Za-z]{2}$")

    def filter(self) -> SourceFilter:
        # Each field falls back to its default on its own: a bad page number keeps the search.
        self.is_valid()
        data = self.cleaned_data
        sort = data.get("sort") or "messages"
        # Text columns read best A to Z, numbers biggest first.
        default_dir = "asc" if sort in ("ip", "first_seen") else "desc"
        return SourceFilter(
            search=data.get("q") or "",
            failing=bool(data.get("failing")),
            new=bool(data.get("new")),
            sort=sort,
            descending=(data.get("dir") or default_dir) == "desc",
            service=data.get("service") or "",
            category=data.get("category") or "",
            asn=int(data["asn"].upper().removeprefix("AS")) if data.get("asn") else None,
            country=(data.get("country") or "").upper(),
        )

    def page_number(self) -> int:
        self.is_valid()
        return self.cleaned_data.get("page") or 1


class ReportFilterForm(forms.Form):
    """The reports list's search; a value that is no text (a NUL byte) is ignored."""

    q = forms.CharField(required=False, max_length=100)

    def search(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("q") or ""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".xml,.gz,.zip,.eml"}))
        # An empty file is ingestion's to reject, with a Rejection row, like any other bad input.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="Report files", help_text="XML, gzip, zip or email (.eml); several at once."
    )
