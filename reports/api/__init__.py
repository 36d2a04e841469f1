"""The REST API under /api/v1/: personal tokens with scopes, JSON reads of what the pages show, pushed
reports, marks and monitored domains (Django REST framework; the schema by drf-spectacular).

models.py    ApiToken: hashed secret, scopes, expiry, last use, revocation
rules.py     tokens and scopes as plain Python: making, checking, when to note a use
tokens.py    creating, listing and revoking tokens (the command, the account page and the admin)
auth.py      the DRF authentication, permission and per-token rate limit (Redis)
errors.py    every error as JSON {"error", "status"}, never HTML
params.py    query parameters read strictly: a bad one is a 400 that names it
reads.py     what the read endpoints answer, from the pages' own queries
push.py      reports pushed as a request body: saved as an upload, ingested by a worker
views.py     the endpoints (thin); account.py the account page of tokens
"""
