"""The endpoints that change something besides pushes: marks on a domain's sources (scope marks,
operator role) and monitored domains in bulk (scope marks, admins)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from reports.access import audit, guard
from reports.access import rules as access_rules
from reports.access.models import AuditEntry
from reports.api import rules, views
from reports.api.auth import audit_write
from reports.api.views import ANY, ERRORS, ApiView
from reports.domains.models import Domain
from reports.marks import actions as marks_actions
from reports.marks import queries as marks_queries
from reports.marks import rules as marks_rules
from reports.shared.names import domain_name

MAX_DOMAINS = 50_000  # a request's worth; 10,000 take about a second
CLEAR = "clear"

MARK_REQUEST = inline_serializer(
    "MarkRequest",
    {
        "source": serializers.CharField(help_text="An address, a network (CIDR) or a service id."),
        "verdict": serializers.ChoiceField(choices=[*marks_rules.VERDICTS, CLEAR]),
    },
)
DOMAINS_REQUEST = inline_serializer(
    "DomainsRequest",
    {"domains": serializers.ListField(child=serializers.CharField(), max_length=MAX_DOMAINS)},
)


class Marks(ApiView):
    scopes = {"GET": rules.READ, "POST": rules.MARKS}

    @extend_schema(summary="The marks on the domain's sources", responses={200: ANY, **ERRORS})
    def get(self, request, domain):
        domain = guard.domain_or_404(request, domain)
        return Response({"domain": domain, "results": [m.as_json() for m in marks_queries.marks(domain)]})

    @extend_schema(
        summary="Mark a source ours or not ours, or clear its mark (operator role)",
        description="As on the source page: readiness is computed again by a worker with the mark.",
        request=MARK_REQUEST,
        responses={200: ANY, **ERRORS},
    )
    def post(self, request, domain):
        domain = guard.domain_or_404(request, domain, access_rules.MARK_SENDERS)
        data = request.data if isinstance(request.data, dict) else {}
        source, verdict = data.get("source"), data.get("verdict")
        if not isinstance(source, str) or not source.strip() or len(source) > 255:
            raise ValidationError({"source": ["An address, a network (CIDR) or a service id."]})
        if verdict not in (*marks_rules.VERDICTS, CLEAR):
            raise ValidationError({"verdict": [f"One of {', '.join((*marks_rules.VERDICTS, CLEAR))}."]})
        try:
            if verdict == CLEAR:
                cleared = marks_actions.clear_mark(domain, source)
                audit.record(request.user, AuditEntry.MARK, domain, source=source, verdict=CLEAR)
                body = {"domain": domain, "source": source, "verdict": CLEAR, "cleared": cleared}
            else:
                mark = marks_actions.set_mark(domain, source, verdict, request.user.get_username())
                audit.record(request.user, AuditEntry.MARK, domain, source=mark.value, verdict=mark.verdict)
                body = {"domain": domain, **mark.as_json()}
        except marks_rules.MarkError as e:
            raise ValidationError({"source": [str(e)]}) from None
        audit_write(request, "mark", domain, source=source, verdict=verdict)
        return Response(body)


def bulk_names(value) -> tuple[list[str], list[dict]]:
    """(the domain names, normalised and deduplicated in their order; the entries that are none)."""
    if not isinstance(value, list):
        raise ValidationError({"domains": ["A list of domain names."]})
    if len(value) > MAX_DOMAINS:
        raise ValidationError({"domains": [f"At most {MAX_DOMAINS} domains in one request."]})
    names, bad = {}, []
    for i, item in enumerate(value):
        name = domain_name(item) if isinstance(item, str) else None
        if name is None or "." not in name:
            bad.append({"index": i, "value": str(item)[:300]})
        else:
            names.setdefault(name, None)
    return list(names), bad


class Domains(views.Domains):
    """/api/v1/domains/: GET lists them (views.Domains), POST adds some."""

    scopes = {"GET": rules.READ, "POST": rules.MARKS}

    @extend_schema(
        summary="Add monitored domains in bulk (admins: the permission to add domains)",
        description="All or nothing: one name that is no domain refuses the request, naming each. "
        "Names already monitored are counted, not added twice.",
        request=DOMAINS_REQUEST,
        responses={200: ANY, **ERRORS},
    )
    def post(self, request):
        if not request.user.has_perm("reports.add_domain"):
            raise PermissionDenied("Adding monitored domains needs the admin's permission to add domains.")
        names, bad = bulk_names((request.data if isinstance(request.data, dict) else {}).get("domains"))
        if bad:
            message = f"{len(bad)} entries are not domain names: nothing was added."
            return Response({"error": message, "status": 400, "invalid": bad[:100]}, status=400)
        with transaction.atomic():
            existing = set(Domain.objects.filter(name__in=names).values_list("name", flat=True))
            new = [Domain(name=n) for n in names if n not in existing]
            Domain.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
            audit.record(request.user, AuditEntry.DOMAINS, f"added {len(new)} domains by the API",
                         added=[d.name for d in new[:50]], count=len(new))  # fmt: skip
        audit_write(request, "domains", f"{len(new)} domains", count=len(new))
        return Response({"added": len(new), "existing": len(existing), "domains": len(names)})
