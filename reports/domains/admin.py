"""The admin of the monitored domains."""

from django import forms
from django.contrib import admin

from reports.access import audit
from reports.access.admin import AuditedDeletes
from reports.access.models import AuditEntry
from reports.domains.models import Domain
from reports.shared.names import domain_name


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ["name"]
        help_texts = {"name": "A domain whose reports are kept; its subdomains are included."}

    def clean_name(self):
        name = domain_name(self.cleaned_data["name"])
        if name is None:
            raise forms.ValidationError("Not a domain name (letters, digits, hyphens and dots).")
        return name


@admin.register(Domain)
class DomainAdmin(AuditedDeletes, admin.ModelAdmin):
    audit_action = AuditEntry.DOMAINS
    form = DomainForm
    list_display = ["name", "created"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        before = form.initial.get("name") if change else None
        super().save_model(request, obj, form, change)
        audit.record(request.user, AuditEntry.DOMAINS, obj.name, created=not change, renamed_from=before)
