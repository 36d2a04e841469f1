"""The break-glass sign-in, and the identities' list (read only: the provider owns them)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from reports.sso.models import SsoIdentity


class BreakGlassLoginForm(AdminAuthenticationForm):
    """With DMARC_LOCAL_LOGIN=false, the admin's password form takes a superuser only: the account
    made with `manage.py createsuperuser` for when the provider is down or misconfigured."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not settings.DMARC_LOCAL_LOGIN and not user.is_superuser:
            raise forms.ValidationError(
                "Password sign-in is off (DMARC_LOCAL_LOGIN=false): only a superuser may sign in here.",
                code="local_login_off",
            )


admin.site.login_form = BreakGlassLoginForm


@admin.register(SsoIdentity)
class SsoIdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "issuer", "subject", "created", "last_sign_in")
    search_fields = ("user__username", "subject")
    readonly_fields = ("user", "issuer", "subject", "created", "last_sign_in")

    def has_add_permission(self, request):
        return False
