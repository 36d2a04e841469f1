"""The admin of a domain's own alert thresholds."""

from django.contrib import admin

from reports.alerts.models import AlertThresholds


@admin.register(AlertThresholds)
class AlertThresholdsAdmin(admin.ModelAdmin):
    list_display = ("domain", "silent_days", "min_messages", "recent_days", "hourly_cap")
    search_fields = ("domain",)
