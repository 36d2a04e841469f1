"""The pages of single sign-on: its start and callback, the sign-in page, and signing out.

A refused sign-in (wrong audience, expired or replayed token, bad signature, unknown issuer, a
provider that cannot be reached or said no) gets one clear page with the reason, and an entry in
the audit trail; no user, identity or group is created."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from mozilla_django_oidc import views as oidc_views

from reports.access import audit, redirects
from reports.access.models import AuditEntry
from reports.sso import discovery
from reports.sso.backend import Refused

log = logging.getLogger(__name__)


def _configured() -> None:
    if not settings.DMARC_OIDC_ISSUER:
        raise Http404("Single sign-on is not configured.")


def refused(request, reason: str):
    log.warning("Single sign-on refused: %s", reason)
    audit.record(
        None, AuditEntry.SIGN_IN, "single sign-on refused", reason=reason, issuer=settings.DMARC_OIDC_ISSUER
    )
    return render(request, "sso/refused.html", {"reason": reason}, status=403)


class SsoStart(oidc_views.OIDCAuthenticationRequestView):
    get_settings = staticmethod(discovery.setting)

    def __init__(self, **kwargs):
        super(oidc_views.OIDCAuthenticationRequestView, self).__init__(**kwargs)  # endpoints: from discovery

    def get(self, request):
        _configured()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery.document()["authorization_endpoint"]
        except discovery.DiscoveryError as e:
            return refused(request, str(e))
        self.OIDC_RP_CLIENT_ID = settings.DMARC_OIDC_CLIENT_ID
        return super().get(request)


class SsoCallback(oidc_views.OIDCAuthenticationCallbackView):
    get_settings = staticmethod(discovery.setting)

    def get(self, request):
        _configured()
        try:
            return super().get(request)
        except Refused as e:
            return refused(request, e.reason)
        except SuspiciousOperation:
            # The state is not one this browser's session started: a callback used twice, or forged.
            return refused(
                request, "this answer of the provider was already used, or is not for this browser"
            )
        except requests.RequestException as e:
            return refused(request, f"the provider refused the sign-in ({type(e).__name__})")

    def login_failure(self):
        request = self.request
        if request.GET.get("error"):
            reason = f"the provider said: {request.GET['error'][:200]}"
        elif "oidc_states" not in request.session:
            reason = "this answer of the provider was already used, or is not for this browser"
        else:
            reason = getattr(request, "sso_refusal", "") or "the provider's answer could not be used"
        return refused(request, reason)


class LoginView(redirects.LoginView):
    """The sign-in page: single sign-on beside (or, with DMARC_LOCAL_LOGIN=false, instead of) the form."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso"] = bool(settings.DMARC_OIDC_ISSUER)
        context["local_login"] = settings.DMARC_LOCAL_LOGIN
        return context

    def post(self, request, *args, **kwargs):
        if not settings.DMARC_LOCAL_LOGIN:
            context = self.get_context_data(form=self.get_form())
            context["refused"] = "Password sign-in is turned off here: sign in with single sign-on."
            return render(request, self.template_name, context, status=403)
        return super().post(request, *args, **kwargs)


class LogoutView(redirects.LogoutView):
    """Ends the session here and, where the provider offers it, the provider's (RP-initiated logout)."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if not (id_token and settings.DMARC_OIDC_ISSUER):
            return response
        try:
            end = discovery.document().get("end_session_endpoint")
        except discovery.DiscoveryError:
            return response  # signed out here; the provider's session ends when it ends
        if not isinstance(end, str):
            return response
        back = request.build_absolute_uri(reverse("login"))
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": back,
                "client_id": settings.DMARC_OIDC_CLIENT_ID,
            }
        )
        # A page that goes on to the provider, not a redirect: the sign-out form's redirect to another
        # site would break the Content-Security-Policy's form-action 'self'.
        onward = f"{end}{'&' if '?' in end else '?'}{query}"
        return render(request, "sso/signed_out.html", {"onward": onward})
