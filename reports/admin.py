"""The index of the app's admin: each capability registers its models in its package's admin.py."""

from reports.access import admin as access_admin
from reports.alerts import admin as alerts_admin
from reports.api import admin as api_admin
from reports.domains import admin as domains_admin
from reports.ingest import admin as ingest_admin
from reports.mail import admin as mail_admin
from reports.marks import admin as marks_admin
from reports.sources import admin as sources_admin
from reports.sso import admin as sso_admin
from reports.tlsrpt import admin as tlsrpt_admin

__all__ = [
    "access_admin",
    "alerts_admin",
    "api_admin",
    "domains_admin",
    "ingest_admin",
    "mail_admin",
    "marks_admin",
    "sources_admin",
    "sso_admin",
    "tlsrpt_admin",
]
