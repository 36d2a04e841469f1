"""The index of the app's models: each capability keeps its own in its package's models.py.

Django finds every model of the app here; the app label (reports), the table names and the
migrations stay those of one app.
"""

from reports.access.models import AccessGrant, AuditEntry
from reports.alerts.models import (
    Alert,
    AlertMemory,
    AlertPreference,
    AlertThresholds,
    Delivery,
    DigestSubscription,
)
from reports.api.models import ApiToken
from reports.dashboard.models import SenderTotals, SourceRanking
from reports.domains.models import Domain
from reports.ingest.models import (
    AuthResult,
    ForeignReport,
    Record,
    Rejection,
    Report,
    Upload,
    UploadChunk,
    auth_results,
)
from reports.mail.models import Mailbox, MailMessage
from reports.marks.models import SenderMark
from reports.mtasts.models import MtaStsCheck
from reports.ops.models import MetricCount
from reports.rollout.models import DnsCache, ReadinessSummary
from reports.rollups.models import DailyRollup, DomainDay, MessageCounts, ReporterDay, SourcePeriod
from reports.sources.models import (
    DkimKey,
    DkimSelector,
    OperatorService,
    ReverseDns,
    SourceNetwork,
    SourceService,
    TrendDay,
)
from reports.sso.models import SsoIdentity
from reports.tlsrpt.models import TlsFailure, TlsPolicyResult, TlsReport

__all__ = [
    "AccessGrant",
    "AuditEntry",
    "ApiToken",
    "Alert",
    "AlertMemory",
    "AlertPreference",
    "AlertThresholds",
    "Delivery",
    "DigestSubscription",
    "SenderTotals",
    "SourceRanking",
    "Domain",
    "AuthResult",
    "ForeignReport",
    "Record",
    "Rejection",
    "Report",
    "Upload",
    "UploadChunk",
    "auth_results",
    "Mailbox",
    "MailMessage",
    "SenderMark",
    "MetricCount",
    "SsoIdentity",
    "MtaStsCheck",
    "DnsCache",
    "ReadinessSummary",
    "DailyRollup",
    "DomainDay",
    "MessageCounts",
    "ReporterDay",
    "SourcePeriod",
    "DkimKey",
    "DkimSelector",
    "OperatorService",
    "ReverseDns",
    "SourceNetwork",
    "SourceService",
    "TrendDay",
    "TlsFailure",
    "TlsPolicyResult",
    "TlsReport",
]
