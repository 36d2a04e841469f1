"""The decision on real reports: exact figures, fresh data, the operator's marks, the what-if and
`rollout --json` / `--check`, against a real DNS server (dnsmasq)."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import REPORTERS, Flow, build, day, google_workspace, ses_default
from reports.rollout import queries

pytestmark = pytest.mark.django_db

DOMAINS = ("share.example", "quiet.example", "marks.example")
STRICT = "strict.example"  # at p=quarantine


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        server.txt("_spf.google.com", "v=spf1 ip4:209.85.128.0/17 ~all")
        for d in DOMAINS:
            server.txt(f"_dmarc.{d}", f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
            server.txt(d, "v=spf1 include:_spf.google.com -all")
        server.txt(f"_dmarc.{STRICT}", f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{STRICT}")
        server.txt(STRICT, "v=spf1 include:_spf.google.com -all")
        server.serve(settings)
        yield server


def rollout_json(domain) -> dict:
    out = StringIO()
    call_command("rollout", domain, "--json", stdout=out)
    return json.loads(out.getvalue())


def check_code(domain) -> int:
    with pytest.raises(SystemExit) as exit_:
        call_command("rollout", domain, "--check", stdout=StringIO())
    return exit_.value.code


def reason(data, code) -> dict:
    return next(r for r in data["reasons"] if r["code"] == code)


def test_a_share_of_97_96_percent_is_never_shown_as_98(dns, client):
    d = "share.example"
    workspace = Flow(["209.85.220.41"], 4898, dkim_results=((d, "google", "pass"),),
                     spf_results=((d, "mfrom", "pass"),))  # fmt: skip
    ses = ses_default(d)
    ses.per_day = 102
    build(d, [workspace, ses])
    data = rollout_json(d)
    share = reason(data, "share")
    assert share["ok"] is False
    assert share["text"] == "97.96% of legitimate mail is aligned (at least 98% needed)."
    client.force_login(User.objects.create_user("viewer", password="pw-viewer-12"))
    call_command("grant", "viewer", d, role="viewer")
    body = client.get(reverse("rollout", args=[d])).content.decode()
    assert "✗ 97.96% of legitimate mail is aligned" in body and "98.0%" not in body


def test_a_reporter_silent_for_5_days_makes_the_verdict_not_ready(dns, client):
    d = "quiet.example"
    # Everything else ready: aligned mail only, two reporters, 25 days of reports, the last 5 days ago.
    build(d, [google_workspace(d)], days=25, reporters=REPORTERS[:2], today=day(4))
    data = rollout_json(d)
    fresh = reason(data, "fresh-reports")
    assert fresh["ok"] is False and "No report for quiet.example in the last 3 days" in fresh["text"]
    assert data["ready"] is False
    assert [r["code"] for r in data["reasons"] if r["ok"] is False] == ["fresh-reports"]
    assert reason(data, "mailboxes")["ok"] is None  # no mailbox here: advice, not a blocker
    assert check_code(d) == 1

    client.force_login(User.objects.create_user("viewer", password="pw-viewer-12"))
    call_command("grant", "viewer", d, role="viewer")
    body = client.get(reverse("rollout", args=[d])).content.decode()
    banners = body[body.index('class="banners"') :]
    assert "No report for quiet.example in the last 3 days" in banners[: banners.index("</ul>")]
    assert 'class="last-reports"' in body and "silent" in body


def test_the_operators_marks_change_the_verdict_the_what_if_and_rollout_json(dns, client):
    d = "marks.example"
    inhouse = Flow(["198.51.100.20"], 40, dkim="fail", spf="fail", dkim_results=(),
                   spf_results=((d, "mfrom", "softfail"),))  # their app: unsigned, not in SPF  # fmt: skip
    build(d, [google_workspace(d), ses_default(d), inhouse])
    days = 29

    before = rollout_json(d)
    by_ip = {s["ip"]: s for s in before["sources"]}
    assert (by_ip["54.240.8.21"]["category"], by_ip["198.51.100.20"]["category"]) == (
        "misconfigured",
        "unknown",
    )
    assert before["ready"] is False and reason(before, "unaligned")["ok"] is False
    assert check_code(d) == 1

    # Amazon SES is not theirs (someone else's account): it becomes spoofing, which enforcement stops.
    call_command("mark", d, "Amazon SES", "--not-ours", "--by", "alice", stdout=StringIO())
    after = rollout_json(d)
    ses = {s["ip"]: s for s in after["sources"]}["54.240.8.21"]
    assert ses["category"] == "unknown"
    assert ses["mark"]["verdict"] == "not-ours" and ses["mark"]["marked_by"] == "alice"
    assert "Marked not ours by alice" in ses["diagnosis"]
    assert after["ready"] is True, [r for r in after["reasons"] if r["ok"] is False]
    assert check_code(d) == 0
    rows = {r["category"]: r for r in after["impact"]["by_category"]}
    # 2 reporters a day: SES 120 + the in-house app 40 + nothing misconfigured.
    assert rows["misconfigured"]["messages_per_day"] == 0
    assert rows["unknown"]["messages_per_day"] == 2 * (120 + 40)
    total = 2 * (300 + 120 + 40) * days
    assert rows["unknown"]["share"] == round(2 * (120 + 40) * days / total, 6)

    # The in-house app is theirs: legitimate, not aligned, so it blocks until fixed.
    call_command("mark", d, "198.51.100.20", "--ours", stdout=StringIO())
    marked = rollout_json(d)
    app = {s["ip"]: s for s in marked["sources"]}["198.51.100.20"]
    assert app["category"] == "misconfigured" and app["mark"]["verdict"] == "ours"
    assert marked["ready"] is False
    assert "198.51.100.20" in reason(marked, "unaligned")["text"]
    rows = {r["category"]: r for r in marked["impact"]["by_category"]}
    assert rows["misconfigured"]["messages_per_day"] == 2 * 40
    assert rows["unknown"]["messages_per_day"] == 2 * 120
    assert check_code(d) == 1

    # The page shows the marks to a viewer, without the buttons; an operator gets them, and undoes one.
    client.force_login(User.objects.create_user("viewer", password="pw-viewer-12"))
    call_command("grant", "viewer", d, role="viewer")
    body = client.get(reverse("rollout", args=[d])).content.decode()
    assert "marked ours" in body and "marked not ours" in body and "by alice" in body
    assert 'class="mark-form"' not in body
    operator = User.objects.create_user("operator", password="pw-operator-1")
    call_command("grant", "operator", d, role="operator")
    client.force_login(operator)
    page = reverse("rollout", args=[d])
    assert 'class="mark-form"' in client.get(page).content.decode()
    client.post(
        reverse("mark_sender", args=[d]), {"source": "198.51.100.20", "verdict": "clear", "next": page}
    )
    assert {s["ip"]: s for s in rollout_json(d)["sources"]}["198.51.100.20"]["category"] == "unknown"
    assert check_code(d) == 0


def test_the_record_to_publish_is_a_trial_for_both_generations_and_says_what_to_do_with_sp(dns):
    d = "marks.example"
    build(d, [google_workspace(d)])
    data = rollout_json(d)
    assert data["ready"] is True
    # Safe today: only the trial, t=y for RFC 9989 receivers and pct=0 for RFC 7489 receivers.
    trial = f"v=DMARC1; p=quarantine; t=y; pct=0; rua=mailto:dmarc@{d}"
    assert [s["record"] for s in data["publish"]] == [trial]
    assert [s["record"] for s in data["plan"]] == [
        f"v=DMARC1; p=quarantine; t=y; pct={pct}; rua=mailto:dmarc@{d}" for pct in (0, 10, 25, 50)
    ] + [f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}"]
    first = data["publish"][0]
    assert "pct=0 gives all of it p=none" in first["rfc7489"] and "test mode" in first["rfc9989"]
    assert "t= covers p=, sp= and np=" in first["subdomains"]
    assert data["next_record"] == data["plan"][-1]["record"]
    assert any("sp=" in a for a in data["subdomains"]) and any("np=" in a for a in data["subdomains"])
    assert queries.summary(d)["ready"] is True


def test_at_the_reject_step_the_what_if_counts_what_changes_and_keeps_arc_trusted_mail_apart(dns):
    from reports.demo.report_xml import record_xml
    from reports.harness.builders import daily_report, import_ok

    d = STRICT
    for back in range(1, 11):
        records = [
            record_xml(ip="209.85.220.41", count=900, header_from=d, dkim_results=((d, "google", "pass"),),
                       spf_results=((d, "mfrom", "pass"),)),
            # Spoofing, quarantined today: rejected at p=reject.
            record_xml(ip="203.0.113.7", count=60, disposition="quarantine", dkim="fail", spf="fail",
                       header_from=d, dkim_results=(), spf_results=((d, "mfrom", "fail"),)),
            # Already rejected by this receiver: no change.
            record_xml(ip="203.0.113.8", count=30, disposition="reject", dkim="fail", spf="fail",
                       header_from=d, dkim_results=(), spf_results=((d, "mfrom", "fail"),)),
            # A list the receiver let through on ARC: apart.
            record_xml(ip="23.83.209.10", count=10, dkim="fail", spf="fail", header_from=d,
                       dkim_results=(("lists.example.net", "list", "pass"), (d, "google", "fail")),
                       spf_results=(("lists.example.net", "mfrom", "pass"),),
                       reasons=(("local_policy", "arc=pass"),)),
        ]  # fmt: skip
        import_ok(daily_report(back, records, domain=d, p="quarantine"))
    impact = rollout_json(d)["impact"]
    assert (impact["stage"], impact["next_stage"], impact["days"]) == ("quarantine", "reject", 10)
    rows = {r["category"]: r for r in impact["by_category"]}
    assert rows["unknown"]["messages_per_day"] == 60
    assert rows["unknown"]["share"] == 0.06
    assert rows["forwarded"]["messages_per_day"] == rows["misconfigured"]["messages_per_day"] == 0
    assert impact["change"]["messages_per_day"] == 60
    assert impact["forwarded_arc_trusted"]["messages_per_day"] == 10
