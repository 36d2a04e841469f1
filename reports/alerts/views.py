"""Alert pages: the alerts of each domain, the user's alert settings, and the unsubscribe link."""

from __future__ import annotations

import ipaddress

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from reports.access import audit, guard
from reports.access import rules as access_rules
from reports.access.models import AuditEntry
from reports.alerts import links
from reports.alerts.forms import DigestForm, DomainChoiceForm
from reports.alerts.models import Alert, AlertPreference, DigestSubscription
from reports.alerts.recipients import default_choice, hidden, split_urls
from reports.alerts.rules import RULES
from reports.rollups.queries import with_data as domains_with_data

RESOLVED_SHOWN = 100


def _domains(request) -> list[str]:
    return guard.domains(request, domains_with_data())


def _row(alert: Alert) -> dict:
    facts = alert.facts if isinstance(alert.facts, dict) else {}
    sources = [s for s in facts.get("sources") or [] if isinstance(s, dict) and _is_ip(s.get("ip"))]
    return {
        "alert": alert,
        "rule_label": RULES.get(alert.rule, alert.rule),
        "sources": [
            {
                "ip": s["ip"],
                "service": str(s.get("service") or ""),
                "url": reverse("source", args=[s["ip"]])
                + "?"
                + urlencode({"domain": alert.domain, "range": "30"}),
            }
            for s in sources[:20]
            if alert.domain
        ],
    }


def _is_ip(value) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@login_required
def alerts(request):
    allowed = _domains(request)
    domain = request.GET.get("domain", "")
    shown = [domain] if domain in allowed else allowed
    # Mailbox alerts (domain "") quote server details, which only admins see (reports/access).
    scope = [*shown, ""] if request.user.is_superuser else shown
    open_rows = Alert.objects.filter(domain__in=scope, resolved__isnull=True).order_by("-opened")
    resolved_rows = Alert.objects.filter(domain__in=scope, resolved__isnull=False).order_by("-resolved")
    ctx = {
        "domain": domain if domain in allowed else "",
        "domain_choices": allowed,
        "open_alerts": [_row(a) for a in open_rows],
        "resolved_alerts": [_row(a) for a in resolved_rows[:RESOLVED_SHOWN]],
    }
    return render(request, "reports/alerts/alerts.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    user = request.user
    # Choosing a domain's alerts is an operator's right (reports.access.rules.EDIT_ALERTS); a viewer
    # gets the default alerts of the domains they see.
    visible = _domains(request)
    domains = [d for d in visible if guard.can(request, access_rules.EDIT_ALERTS, d)]
    readonly = [d for d in visible if d not in domains]
    saved = {p.domain: p for p in AlertPreference.objects.filter(user=user, domain__in=domains)}
    sub = DigestSubscription.objects.filter(user=user).first()

    def initial(domain):
        p = saved.get(domain)
        if p is None:
            c = default_choice()
            return {"rules": c.rules, "email": c.email}
        return {"rules": p.rules, "email": p.email}

    def stored(domain):
        return split_urls(saved[domain].urls) if domain in saved else []

    data = request.POST if request.method == "POST" else None
    forms = [
        (d, DomainChoiceForm(data, prefix=f"d{i}", initial=initial(d), stored=stored(d)))
        for i, d in enumerate(domains)
    ]
    digest_form = DigestForm(data, initial={"digest": sub is None or sub.enabled})
    if request.method == "POST" and digest_form.is_valid() and all(f.is_valid() for _, f in forms):
        for d, f in forms:
            AlertPreference.objects.update_or_create(
                user=user,
                domain=d,
                defaults={
                    "rules": f.cleaned_data["rules"],
                    "email": f.cleaned_data["email"],
                    "urls": f.cleaned_data["urls"],
                },
            )
        DigestSubscription.objects.update_or_create(
            user=user, defaults={"enabled": digest_form.cleaned_data["digest"]}
        )
        audit.record(
            user,
            AuditEntry.ALERTS,
            "own alert settings",
            domains=domains,
            digest=digest_form.cleaned_data["digest"],
            # What each domain's alerts now reach, secrets hidden.
            choices={
                d: {
                    "rules": f.cleaned_data["rules"],
                    "email": f.cleaned_data["email"],
                    "urls": [hidden(u) for u in split_urls(f.cleaned_data["urls"])],
                }
                for d, f in forms
            },
        )
        messages.success(request, "Your alert settings are saved.")
        return redirect("alert_settings")
    return render(
        request,
        "reports/alerts/settings.html",
        {"forms": forms, "readonly": readonly, "digest_form": digest_form, "has_email": bool(user.email)},
    )


@csrf_exempt  # the signed token is the credential; mail clients POST here without a session (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    data = links.read_token(token)
    user = None
    if data and data.get("u"):
        user = get_user_model().objects.filter(pk=data["u"]).first()
    ctx = {
        "valid": data is not None,
        "from_env": bool(data) and user is None,
        "done": False,
        "data": data or {},
    }
    scope = (data or {}).get("s", "")
    ctx["what"] = (
        "the weekly digest"
        if scope == links.DIGEST
        else (f"alert emails for {scope.removeprefix('alerts:') or 'mailboxes'}")
    )
    if request.method == "POST" and user is not None:
        if scope == links.DIGEST:
            DigestSubscription.objects.update_or_create(user=user, defaults={"enabled": False})
        elif scope.startswith("alerts:"):
            domain = scope.removeprefix("alerts:")
            pref = AlertPreference.objects.filter(user=user, domain=domain).first()
            if pref is None:
                c = default_choice()
                AlertPreference.objects.create(user=user, domain=domain, rules=c.rules, email=False)
            elif pref.email:
                pref.email = False
                pref.save(update_fields=["email"])
        ctx["done"] = True
    status = 200 if data is not None else 400
    return render(request, "reports/alerts/unsubscribe.html", ctx, status=status)
