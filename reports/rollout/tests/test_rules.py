"""The classification and diagnosis rules with plain data: groups of messages as the evidence loader
gives them, records as text. No database, no DNS."""

from datetime import date

import pytest

from reports.rollout import lint
from reports.rollout.rules import checks as go_no_go
from reports.rollout.rules.checks import Impact, checks, next_stage, relying
from reports.rollout.rules.classification import AssessedSource, Group, forwarding_reason, strict_only
from reports.rollout.rules.next_record import next_record
from reports.rollout.rules.sources import build_sources
from reports.shared.vocabulary import ALIGNED, FORWARDED, MISCONFIGURED, UNKNOWN

D = "example.com"
END = date(2026, 3, 31)


def group(ip="192.0.2.1", messages=100, dkim="fail", spf="fail", dkim_results=(), spf_results=(), reasons=(),
          header_from=D, envelope_from=""):  # fmt: skip
    return Group(
        ip=ip,
        header_from=header_from,
        envelope_from=envelope_from,
        dkim_verdict=dkim,
        spf_verdict=spf,
        reasons=tuple(reasons),
        dkim=tuple(dkim_results),
        spf=tuple(spf_results),
        messages=messages,
    )


def sources(*groups, adkim="r", aspf="r", hostnames=None):
    return {s.ip: s for s in build_sources(list(groups), D, adkim, aspf, hostnames or {})}


def one(*groups, **kw) -> AssessedSource:
    (src,) = sources(*groups, **kw).values()
    return src


# --- classification


def test_a_dmarc_pass_is_aligned_whatever_the_results():
    src = one(group(dkim="pass", dkim_results=((D, "s1", "pass"),)))
    assert src.category == ALIGNED
    assert src.problems == ["Passes DMARC (DKIM)."]


@pytest.mark.parametrize(
    "reasons, expected",
    [
        ((("forwarded", ""),), "forwarded"),
        ((("mailing_list", "list.example.org"),), "mailing_list (list.example.org)"),
        ((("trusted_forwarder", ""),), "trusted_forwarder"),
        ((("local_policy", "arc = pass"),), "local_policy (arc = pass)"),
        ((("local_policy", "spf"),), ""),
        ((("sampled_out", ""),), ""),
    ],
)
def test_override_reasons_that_show_forwarding(reasons, expected):
    assert forwarding_reason(reasons) == expected


def test_an_override_reason_of_forwarding_makes_the_source_forwarded():
    src = one(group(reasons=(("local_policy", "arc=pass"),)))
    assert src.category == FORWARDED
    assert "The receiver saw forwarding: local_policy (arc=pass)." in src.diagnosis
    assert "Nothing to fix on your side." in src.diagnosis


def test_a_known_mailing_list_is_forwarded():
    g = group(
        dkim_results=(("googlegroups.com", "g", "pass"),),
        spf_results=(("googlegroups.com", "mfrom", "pass"),),
    )
    src = one(g)
    assert (src.service, src.category) == ("Google Groups", FORWARDED)


def test_a_mailbox_provider_re_sending_your_broken_signature_is_forwarded():
    src = one(group(dkim_results=((D, "s1", "fail"),), spf_results=(("gmx.net", "mfrom", "pass"),)))
    assert (src.service, src.category) == ("GMX", FORWARDED)
    assert "your DKIM signature breaks in transit" in src.diagnosis


def test_a_known_service_that_does_not_align_is_misconfigured_with_its_own_fixes():
    src = one(
        group(
            dkim_results=(("amazonses.com", "ug7n", "pass"),),
            spf_results=(("us-east-1.amazonses.com", "mfrom", "pass"),),
        )
    )
    assert (src.service, src.category) == ("Amazon SES", MISCONFIGURED)
    assert "SPF passes for us-east-1.amazonses.com, which is not your domain" in src.diagnosis
    # The service's how-to, DKIM first (reports.sources.services.biggest), then the warning.
    assert src.fixes[0].startswith("Enable Easy DKIM. In SES") and "three CNAMEs" in src.fixes[0]
    assert src.fixes[1] == "Set up a custom MAIL FROM domain in SES so that SPF aligns."
    assert src.fixes[-1].startswith("If you do not use Amazon SES")


def test_a_reverse_dns_name_alone_needs_some_authentication_to_name_a_service():
    fail = group(spf_results=((D, "mfrom", "fail"),))
    spoof = one(fail, hostnames={"192.0.2.1": "a8-21.smtp-out.amazonses.com"})
    assert (spoof.service, spoof.category) == ("Amazon SES", UNKNOWN)
    passing = group(spf_results=(("amazonses.com", "mfrom", "pass"),))
    assert one(passing, hostnames={"192.0.2.1": "a8-21.smtp-out.amazonses.com"}).category == MISCONFIGURED


def test_your_own_servers_by_reverse_dns_are_misconfigured_not_unknown():
    src = one(group(spf_results=((D, "mfrom", "softfail"),)), hostnames={"192.0.2.1": f"mx1.{D}"})
    assert (src.service, src.category) == ("Your own mail servers", MISCONFIGURED)
    assert f"SPF softfail for {D}: your servers is not in its SPF record" in src.diagnosis


def test_a_subdomain_that_only_strict_alignment_rejects_is_misconfigured():
    g = group(spf_results=((f"bounce.{D}", "mfrom", "pass"),))
    assert strict_only(g, "r", "s") == ([f"bounce.{D}"], [])
    assert strict_only(g, "r", "r") == ([], [])
    src = one(g, aspf="s")
    assert src.category == MISCONFIGURED
    assert "your record asks for strict SPF alignment" in src.diagnosis
    assert one(g, aspf="r").category == UNKNOWN


def test_strict_dkim_alignment_against_a_subdomain_signature():
    g = group(dkim_results=((f"mail.{D}", "s1", "pass"),))
    src = one(g, adkim="s")
    assert src.category == MISCONFIGURED
    assert f"DKIM is signed by mail.{D}, a subdomain, but your record asks for strict DKIM alignment" in (
        src.diagnosis
    )


def test_nothing_known_and_nothing_aligned_is_unknown():
    src = one(group(spf_results=(("spoof.invalid", "mfrom", "fail"),), dkim_results=((D, "s1", "fail"),)))
    assert (src.service, src.category) == ("", UNKNOWN)
    assert (
        "Not a known service (no reverse DNS name) and nothing aligns (SPF spoof.invalid: fail)."
        in src.problems
    )
    assert "It carries a failing DKIM signature of your domain: it may be forwarded mail." in src.problems


# --- one source, several groups


def test_a_few_failing_messages_leave_a_source_aligned():
    src = one(group(messages=990, dkim="pass"), group(messages=10))
    assert src.category == ALIGNED
    assert "10 of its 1,000 messages failed: too few to act on." in src.problems


def test_the_failing_category_with_most_messages_wins_and_ties_go_to_misconfigured():
    forwarded = group(messages=50, reasons=(("forwarded", ""),))
    strict = group(messages=50, spf_results=((f"b.{D}", "mfrom", "pass"),))
    assert one(forwarded, strict, aspf="s").category == MISCONFIGURED
    assert one(group(messages=51, reasons=(("forwarded", ""),)), strict, aspf="s").category == FORWARDED


def test_relying_names_the_senders_that_need_relaxed_alignment():
    g = group(spf_results=((f"mail.{D}", "mfrom", "pass"),), dkim_results=(("amazonses.com", "x", "pass"),))
    srcs = list(sources(g).values())
    assert relying([g], srcs, "spf", D) == ["Amazon SES"]
    assert relying([g], srcs, "dkim", D) == []


# --- readiness rules


def rec(text: str) -> lint.DmarcRecord:
    return lint.parse_dmarc(text)


@pytest.mark.parametrize(
    "record, no_record, expected",
    [
        ("v=DMARC1; p=none; rua=mailto:d@example.com", False, "quarantine"),
        ("v=DMARC1; p=quarantine; rua=mailto:d@example.com", False, "reject"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com", False, None),
        ("v=DMARC1; p=quarantine; t=y; rua=mailto:d@example.com", False, "quarantine"),
        ("v=DMARC1; p=quarantine; pct=20; rua=mailto:d@example.com", False, "quarantine"),
    ],
)
def test_the_next_stage(record, no_record, expected):
    r = rec(record)
    assert next_stage(r, r.p, no_record) == expected


def test_without_a_record_the_next_stage_is_a_monitoring_record():
    assert next_stage(lint.DmarcRecord(raw="", tags={"p": "none"}), "none", True) == "none"


def test_the_next_record_keeps_reporting_and_drops_what_breaks_or_is_obsolete():
    r = rec("v=DMARC1; p=none; pct=50; rf=afrf; sp=reject; adkim=s; aspf=s; fo=1; rua=mailto:d@example.com")
    problems = lint.context_problems(r, days_on_none=None, relaxed_spf=["Amazon SES"])
    assert next_record(r, "quarantine", D, problems) == (
        "v=DMARC1; p=quarantine; sp=reject; adkim=s; fo=1; rua=mailto:d@example.com"
    )
    assert next_record(rec("v=DMARC1"), "none", D, []) == f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{D}"


def test_impact_counts_failing_messages_per_day_by_category():
    failing = [group(messages=300, reasons=(("forwarded", ""),)), group(ip="192.0.2.2", messages=600)]
    srcs = sources(*failing)
    assert {s.category for s in srcs.values()} == {FORWARDED, UNKNOWN}
    impact = go_no_go.impact([*failing, group(ip="192.0.2.3", dkim="pass")], days=30)
    assert impact["reject"].by_category == {"forwarded": 10.0, "misconfigured": 0.0, "unknown": 20.0}
    assert impact["quarantine"].messages_per_day == 30.0


def checks_of(srcs, reporters=2, days=20, problems=()):
    found, share = checks(list(problems), srcs, reporters, days, END, False, None)
    return {c.code: c for c in found}, share


def test_checks_pass_when_every_legitimate_source_aligns_with_enough_coverage():
    src = one(group(dkim="pass", messages=1000))
    src.first_seen = date(2026, 1, 1)
    found, share = checks_of([src])
    assert share == 1.0 and all(c.ok for c in found.values())


def test_checks_name_what_blocks():
    ses = one(group(dkim_results=(("amazonses.com", "x", "pass"),)))
    ses.first_seen = date(2026, 3, 25)
    problem = lint.Problem("no-rua", "error", "There is no rua address.")
    found, share = checks_of([ses], reporters=1, days=3, problems=[problem])
    assert not found["record"].ok and "There is no rua address." in found["record"].message
    assert not found["unaligned"].ok and "Amazon SES (192.0.2.1, 100 messages)" in found["unaligned"].message
    assert share == 0.0 and not found["share"].ok
    assert not found["new-source"].ok and "Amazon SES (first seen 2026-03-25)" in found["new-source"].message
    assert not found["coverage"].ok


def test_notes_advise_t_y_and_warn_about_forwarded_mail_under_reject():
    r = rec("v=DMARC1; p=quarantine; rua=mailto:d@example.com")
    per_day = {"forwarded": 5.0, "unknown": 0}
    impact = {"quarantine": Impact(5, per_day), "reject": Impact(5, per_day)}
    notes = go_no_go.notes(r, "quarantine", "reject", impact, [])
    assert any("t=y" in n.message for n in notes)
    assert any("5 forwarded messages a day would be rejected" in n.message for n in notes)
    assert all(not n.blocking and n.code for n in notes)


def test_a_softfail_in_the_reports_beside_minus_all_in_the_record_is_explained():
    zendesk = group(ip="192.161.147.1", spf_results=((D, "mfrom", "softfail"),))
    srcs = list(sources(zendesk).values())
    (note,) = go_no_go.spf_result_mismatch(srcs, D, "v=spf1 include:_spf.google.com -all")
    assert note.code == "spf-softfail-vs-fail" and not note.blocking
    assert "softfail" in note.message and "ends in -all" in note.message
    assert go_no_go.spf_result_mismatch(srcs, D, "v=spf1 include:_spf.google.com ~all") == []
