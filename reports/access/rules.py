"""Who may do what on which domain: plain data in, answers out, no database.

A grant gives a user, or a group of users (a team), a role on a set of
monitored domains. A monitored domain covers its subdomains too, as DMARC's
organisational domain does: granting example.com shows the reports of
mail.example.com. A role is a Django group whose permissions are the actions
it allows (the migration creates "viewer" and "operator"); superusers may do
everything everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Actions, each named by the codename of the permission that allows it.
VIEW = "view_domain_pages"
UPLOAD = "upload_reports"
RETRY = "retry_mail"
REFRESH_DNS = "refresh_dns"
EDIT_ALERTS = "edit_alerts"
MARK_SENDERS = "mark_sender"

PERMISSIONS = [
    (VIEW, "Read the pages of their domains"),
    (UPLOAD, "Upload report files"),
    (RETRY, "Retry failed mail"),
    (REFRESH_DNS, "Refresh DNS checks"),
    (EDIT_ALERTS, "Edit alert settings"),
    (MARK_SENDERS, "Mark senders ours or not ours"),
]

VIEWER = "viewer"
OPERATOR = "operator"
ROLES = {VIEWER: [VIEW], OPERATOR: [VIEW, UPLOAD, RETRY, REFRESH_DNS, EDIT_ALERTS, MARK_SENDERS]}


@dataclass(frozen=True)
class Grant:
    domains: frozenset[str]  # monitored domain names
    actions: frozenset[str]  # permission codenames of the grant's role


def covers(monitored: str, policy_domain: str) -> bool:
    """Whether the monitored domain `monitored` includes `policy_domain`."""
    monitored, policy_domain = monitored.lower().rstrip("."), policy_domain.lower().rstrip(".")
    return policy_domain == monitored or policy_domain.endswith("." + monitored)


def parents(policy_domain: str) -> list[str]:
    """The names whose grant covers `policy_domain`: itself and each parent."""
    labels = policy_domain.lower().rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


@dataclass(frozen=True)
class Access:
    """What one user may do: everything (superuser), or what their grants allow."""

    everything: bool
    grants: tuple[Grant, ...] = ()

    def actions_on(self, policy_domain: str) -> frozenset[str]:
        found: set[str] = set()
        for grant in self.grants:
            if any(covers(name, policy_domain) for name in grant.domains):
                found |= grant.actions
        return frozenset(found)

    def may(self, action: str, policy_domain: str | None = None) -> bool:
        """Whether the user may do `action` on `policy_domain`, or on some domain if it is None."""
        if self.everything:
            return True
        if policy_domain is None:
            return any(action in g.actions and g.domains for g in self.grants)
        return action in self.actions_on(policy_domain)

    def domains(self, candidates: Iterable[str], action: str = VIEW) -> list[str]:
        """The policy domains among `candidates` the user may do `action` on, in their order."""
        return [d for d in candidates if self.may(action, d)]

    def granted_names(self, action: str = VIEW) -> list[str]:
        """The monitored domain names granted with `action`, sorted."""
        return sorted({n for g in self.grants if action in g.actions for n in g.domains})
