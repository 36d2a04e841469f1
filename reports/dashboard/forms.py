from __future__ import annotations

from django import forms

from reports.dashboard.source_table import SORTS, SourceFilter
from reports.shared.vocabulary import CATEGORIES

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
