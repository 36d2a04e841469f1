"""Single sign-on with OpenID Connect, through mozilla-django-oidc.

rules.py      plain Python: the checks of an ID token's claims, the groups a user gets, names
discovery.py  the provider's endpoints, read from its discovery document
backend.py    the authentication backend: the token checked, the user found by (issuer, subject)
identities.py who a provider's subject is here: created on first sign-in, kept in step after
views.py      start, callback (refusals: a clear page, an audit entry, nothing created), sign-in
              page, sign-out at the provider too
admin.py      the break-glass admin sign-in when DMARC_LOCAL_LOGIN=false; the identities' list
"""
