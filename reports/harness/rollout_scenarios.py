"""Scenario builders for the rollout tests: weeks of daily reports, imported through ingest_bytes.

Each sender is described the way a reporter would see it; the reports are
real XML from several reporters, so the assistant reads them exactly as it
reads production data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from reports.demo.report_xml import record_xml, report_xml
from reports.ingest.pipeline import ingest_bytes

REPORTERS = ("google.com", "Outlook.com", "Yahoo")


@dataclass
class Flow:
    """Mail of one sender, as reporters see it every day."""

    ips: list[str]
    per_day: int
    dkim: str = "pass"  # policy_evaluated verdicts
    spf: str = "pass"
    dkim_results: tuple = ()
    spf_results: tuple = ()
    reasons: tuple = ()
    since_days: int = 0  # appears only in the last N days (0: every day)
    until_days: int = 0  # stops before the last N days (0: every day)
    disposition: str = "none"  # what the receivers did with it
    random_ips: int = 0  # a spoofer: this many random addresses a day instead of `ips`
    envelope_from: str | None = None
    header_from: str | None = None  # a subdomain's mail; the domain itself when None
    extra: dict = field(default_factory=dict)


def google_workspace(domain):
    return Flow(
        ["209.85.220.41", "209.85.220.69"],
        300,
        dkim_results=((domain, "google", "pass"),),
        spf_results=((domain, "mfrom", "pass"),),
    )


def ses_default(domain):
    """Amazon SES without a custom MAIL FROM or Easy DKIM."""
    return Flow(
        ["54.240.8.21"],
        120,
        dkim="fail",
        spf="fail",
        dkim_results=(("amazonses.com", "6gbrjpgwjskckoa6a5zn6fwqkn67xbtw", "pass"),),
        spf_results=("us-east-1.amazonses.com", "mfrom", "pass"),
    )


def google_workspace_unnamed(domain):
    """Google Workspace mail whose addresses answer no PTR: only its network (AS15169) can name it."""
    return Flow(
        ["209.85.221.50", "2607:f8b0:4864:20::42a"],
        200,
        dkim_results=((domain, "google", "pass"),),
        spf_results=((domain, "mfrom", "pass"),),
    )


def ses_custom_mail_from(domain, spf="fail"):
    """Amazon SES with a custom MAIL FROM (a subdomain: SPF passes for it, and aligns unless the record
    says aspf=s) and without Easy DKIM."""
    return Flow(
        ["54.240.8.97"],
        80,
        dkim="fail",
        spf=spf,
        dkim_results=(("amazonses.com", "6gbrjpgwjskckoa6a5zn6fwqkn67xbtw", "pass"),),
        spf_results=((f"mail.{domain}", "mfrom", "pass"),),
    )


def ses_easy_dkim(domain, custom_mail_from=False, aspf="r"):
    """Amazon SES with Easy DKIM (it signs with d=the domain itself), with or without a custom MAIL FROM
    (mail.DOMAIN): DMARC passes through DKIM whatever aspf says; SPF aligns only with the custom
    MAIL FROM under aspf=r."""
    mail_from = f"mail.{domain}" if custom_mail_from else "us-east-1.amazonses.com"
    return Flow(
        ["54.240.8.44"],
        100,
        dkim="pass",
        spf="pass" if custom_mail_from and aspf == "r" else "fail",
        dkim_results=(
            (domain, "easydkim1", "pass"),
            ("amazonses.com", "6gbrjpgwjskckoa6a5zn6fwqkn67xbtw", "pass"),
        ),
        spf_results=((mail_from, "mfrom", "pass"),),
    )


def mailing_list_without_arc(domain):
    """A list relay: its own DKIM and SPF pass for its domain, the author's signature is broken by the
    list's footer, and the reporter says nothing of ARC or forwarding."""
    return Flow(
        ["192.0.2.150"],
        15,
        dkim="fail",
        spf="fail",
        dkim_results=(("lists.example.org", "list", "pass"), (domain, "google", "fail")),
        spf_results=(("lists.example.org", "mfrom", "pass"),),
    )


def unknown_network(domain):
    """A sender nobody names: no PTR, a network no service owns, nothing aligned."""
    return Flow(
        ["198.51.100.77", "198.51.100.78"],
        10,
        dkim="fail",
        spf="fail",
        spf_results=((domain, "mfrom", "fail"),),
    )


def arc_mailing_list(domain):
    return Flow(
        ["23.83.209.10"],
        20,
        dkim="fail",
        spf="fail",
        dkim_results=(("lists.example.net", "list", "pass"), (domain, "google", "fail")),
        spf_results=(("lists.example.net", "mfrom", "pass"),),
        reasons=(("local_policy", "arc=pass"),),
    )


def spoofer(domain):
    return Flow(
        [],
        3,
        dkim="fail",
        spf="fail",
        dkim_results=(),
        spf_results=((domain, "mfrom", "fail"),),
        random_ips=4,
    )


def build(
    domain, flows, *, days=29, reporters=REPORTERS[:2], p="none", adkim="r", aspf="r", today=None, seed=1
):
    """Import one report per reporter and day, for the `days` days before today."""
    today = today or timezone.now().date()
    rng = random.Random(seed)
    outcomes = []
    for back in range(1, days + 1):
        day = today - timedelta(days=back)
        begin = int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())
        for reporter in reporters:
            records = []
            for flow in flows:
                if flow.since_days and back > flow.since_days:
                    continue
                if flow.until_days and back <= flow.until_days:
                    continue
                ips = (
                    [f"203.0.113.{rng.randrange(1, 255)}" for _ in range(flow.random_ips)]
                    if flow.random_ips
                    else flow.ips
                )
                spf_results = flow.spf_results
                if spf_results and isinstance(spf_results[0], str):
                    spf_results = (spf_results,)
                for ip in ips:
                    records.append(
                        record_xml(
                            ip=ip,
                            count=max(1, flow.per_day // len(ips)),
                            dkim=flow.dkim,
                            spf=flow.spf,
                            header_from=flow.header_from or domain,
                            envelope_from=flow.envelope_from,
                            dkim_results=flow.dkim_results,
                            spf_results=spf_results,
                            reasons=flow.reasons,
                            disposition=flow.disposition,
                        )
                    )
            if not records:
                continue
            xml = report_xml(
                records,
                org_name=reporter,
                report_id=f"{reporter}-{domain}-{day.isoformat()}",
                domain=domain,
                begin=begin,
                end=begin + 86399,
                p=p,
                adkim=adkim,
                aspf=aspf,
            )
            outcomes += ingest_bytes(xml, f"test:{domain}")
    assert outcomes and all(o.status == "imported" for o in outcomes), [o.error for o in outcomes][:3]
    return outcomes


def day(back: int) -> date:
    return timezone.now().date() - timedelta(days=back)
