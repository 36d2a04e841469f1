"""The checks every page and endpoint makes, one call each.

A domain, or a report of a domain, that the user may not see answers 404, so
that its existence does not leak; an action their role lacks answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from reports.access import rules
from reports.access.queries import access_for


def domains(request, candidates) -> list[str]:
    """The candidate policy domains the user may see, for the domain picker. A
    `?domain=` outside them answers 404; a user who may see nothing gets 403."""
    access = access_for(request.user)
    if not access.may(rules.VIEW):
        raise PermissionDenied("No domain is granted to you.")
    asked = request.GET.get("domain", "").strip()
    if asked and not access.may(rules.VIEW, asked):
        raise Http404("No such domain")
    return access.domains(candidates)


def domain_or_404(request, domain: str, action: str = rules.VIEW) -> str:
    """`domain` if the user may do `action` on it: 404 if they may not see it, else 403."""
    access = access_for(request.user)
    if not access.may(rules.VIEW, domain):
        raise Http404("No such domain")
    if not access.may(action, domain):
        raise PermissionDenied("Your role does not allow this.")
    return domain


def require(request, action: str) -> None:
    """403 unless the user may do `action` on at least one domain (actions not tied to one)."""
    if not access_for(request.user).may(action):
        raise PermissionDenied("Your role does not allow this.")


def visible(request, queryset, field: str = "domain"):
    """The rows of `queryset` whose `field` is a policy domain the user may see."""
    access = access_for(request.user)
    if access.everything:
        return queryset
    names = access.granted_names(rules.VIEW)
    if not names:
        return queryset.none()
    covered = Q()
    for name in names:
        covered |= Q(**{field: name}) | Q(**{f"{field}__endswith": "." + name})
    return queryset.filter(covered)


def can(request, action: str, domain: str | None = None) -> bool:
    return access_for(request.user).may(action, domain)
