"""Services of your own in the admin: defined here, used by the next assessment of each domain."""

from django import forms
from django.contrib import admin

from reports.sources.models import OperatorService
from reports.sources.own import KIND_CHOICES


class OperatorServiceForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=KIND_CHOICES)

    class Meta:
        model = OperatorService
        fields = ["name", "slug", "kind", "dkim", "spf", "rdns", "asn", "note"]
        widgets = {f: forms.Textarea(attrs={"rows": 2}) for f in ("dkim", "spf", "rdns", "asn", "note")}


@admin.register(OperatorService)
class OperatorServiceAdmin(admin.ModelAdmin):
    form = OperatorServiceForm
    list_display = ["name", "kind", "dkim", "spf", "rdns", "asn"]
    search_fields = ["name", "dkim", "spf", "rdns"]
    prepopulated_fields = {"slug": ["name"]}
