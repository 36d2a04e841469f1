"""The admin of a domain's own alert thresholds (each change audited)."""

from django import forms
from django.contrib import admin

from reports.access import audit
from reports.access.admin import AuditedDeletes
from reports.access.models import AuditEntry
from reports.alerts.models import AlertThresholds

THRESHOLDS = ("silent_days", "min_messages", "recent_days", "hourly_cap")


class AlertThresholdsForm(forms.ModelForm):
    class Meta:
        model = AlertThresholds
        fields = ["domain", *THRESHOLDS]

    def clean(self):
        data = super().clean()
        # As the settings they stand in for: 0 would mean "never" (an hourly cap of 0 holds every alert).
        for name in THRESHOLDS:
            if data.get(name) is not None and data[name] < 1:
                self.add_error(name, "At least 1 (leave it empty for the setting's default).")
        return data


@admin.register(AlertThresholds)
class AlertThresholdsAdmin(AuditedDeletes, admin.ModelAdmin):
    audit_action = AuditEntry.ALERTS
    form = AlertThresholdsForm
    list_display = ("domain", *THRESHOLDS)
    search_fields = ("domain",)

    def audit_target(self, obj) -> str:
        return f"alert thresholds of {obj.domain}"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            request.user,
            AuditEntry.ALERTS,
            self.audit_target(obj),
            created=not change,
            changed=form.changed_data,
            **{name: getattr(obj, name) for name in THRESHOLDS},
        )
