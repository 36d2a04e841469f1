"""The admin of API tokens: a token made here is shown once, in the message after saving; revoking is
an action (a revoked token stays listed, for the audit trail)."""

from django import forms
from django.contrib import admin, messages

from reports.api import rules, tokens
from reports.api.models import ApiToken


class NewTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(s, f"{s}: {rules.SCOPE_HELP[s]}") for s in rules.SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=[rules.READ],
    )
    expires_days = forms.IntegerField(
        required=False, min_value=1, max_value=rules.MAX_EXPIRY_DAYS, help_text="Empty: never expires."
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "scopes", "created", "expires", "last_used", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["user__username", "name", "prefix"]
    actions = ["revoke"]
    readonly_fields = ["user", "prefix", "scopes", "created", "expires", "last_used", "revoked"]
    fields = ["user", "name", "prefix", "scopes", "created", "expires", "last_used", "revoked"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = NewTokenForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["user", "name", "scopes", "expires_days"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        _, secret = tokens.create(
            data["user"], data["scopes"], name=data["name"], expires_days=data["expires_days"],
            by=request.user, row=obj,
        )  # fmt: skip
        messages.warning(request, f"The new token, shown only now: {secret}")

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        done = sum(tokens.revoke(row, by=request.user) for row in queryset.select_related("user"))
        messages.success(request, f"{done} token(s) revoked.")
