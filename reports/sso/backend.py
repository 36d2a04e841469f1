"""The authentication backend of single sign-on: mozilla-django-oidc's code flow, with each check of
the ID token made here explicitly, and the user found by (issuer, subject).

mozilla-django-oidc checks the signature against the provider's keys and the nonce, but leaves the
audience unchecked and knows no issuer; a refusal raises Refused, whose reason the callback page
shows and the audit trail keeps. Nothing is created before every check has passed."""

from __future__ import annotations

import time

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from reports.sso import discovery, identities, rules


class Refused(SuspiciousOperation):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SsoBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(discovery.setting)

    def __init__(self, *args, **kwargs):
        # Not the parent's: it reads the endpoints from settings, and Django makes a backend for every
        # password sign-in too. They are read from discovery once a provider's answer arrives.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not settings.DMARC_OIDC_ISSUER or request is None or "code" not in request.GET:
            return None
        try:
            self.provider = discovery.document()
        except discovery.DiscoveryError as e:
            raise Refused(str(e)) from None
        self.OIDC_OP_TOKEN_ENDPOINT = self.provider["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = self.provider["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = self.provider["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.DMARC_OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.DMARC_OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        if not isinstance(token, str) or not token:
            raise Refused("the provider sent no ID token")
        try:
            key = self.retrieve_matching_jwk(token)
        except SuspiciousOperation:
            raise Refused("the token is signed with a key the provider does not publish") from None
        except jwt.PyJWTError:
            raise Refused("the token is not a signed JWT") from None
        try:
            # The signature only: the claims are checked below, each with its own reason.
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                options={"verify_aud": False, "verify_iss": False, "verify_exp": False, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            raise Refused("the token's signature does not match the provider's keys") from None
        except jwt.PyJWTError as e:
            raise Refused(f"the token cannot be read: {e}") from None
        expected = rules.Expected(
            issuer=self.provider["issuer"],
            client_id=settings.DMARC_OIDC_CLIENT_ID,
            nonce=kwargs.get("nonce"),
            now=time.time(),
        )
        problem = rules.id_token_problem(claims, expected)
        if problem:
            raise Refused(problem)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core §5.3.2: the userinfo answer must be about the token's subject.
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
            self.request.sso_refusal = "the provider's user information is about another subject"
            return None
        return identities.sign_in(self.provider["issuer"], {**payload, **userinfo})
