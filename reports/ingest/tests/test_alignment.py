"""Our own alignment verdicts (RFC 7489 §3.1) next to the reporter's. Pure: no database."""

from __future__ import annotations

import pytest

from reports.ingest.alignment import evaluate
from reports.ingest.report import DkimResult, ParsedRecord, Reason, SpfResult
from reports.shared.names import domains_align, org_domain


def record(header_from="example.com", dkim=(), spf=(), verdict=("fail", "fail"), reasons=()) -> ParsedRecord:
    return ParsedRecord(
        source_ip="192.0.2.1",
        count=1,
        disposition="none",
        dkim=verdict[0],
        spf=verdict[1],
        header_from=header_from,
        reasons=list(reasons),
        dkim_results=[DkimResult(d, "s1", r) for d, r in dkim],
        spf_results=[SpfResult(d, scope, r) for d, scope, r in spf],
    )


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("example.com", "example.com"),
        ("a.b.mail.example.com", "example.com"),
        ("mail.example.co.uk", "example.co.uk"),
        ("co.uk", "co.uk"),  # a public suffix is its own organizational domain
        ("com", "com"),
        ("MAIL.Example.COM.", "example.com"),
        ("  example.com \n", "example.com"),
        ("bounce.foo.github.io", "foo.github.io"),  # private section of the list: github.io is a suffix
        ("host.internal-name.zz", "internal-name.zz"),  # unknown TLD: the default "*" rule
        ("mail.b\u00fccher.de", "xn--bcher-kva.de"),  # IDNs compare in their A-label form
        ("192.0.2.1", "192.0.2.1"),
        ("", ""),
    ],
)
def test_org_domain_is_the_public_suffix_plus_one_label(domain, org):
    assert org_domain(domain) == org


@pytest.mark.parametrize(
    ("a", "b", "mode", "aligned"),
    [
        ("example.com", "example.com", "r", True),
        ("example.com", "example.com", "s", True),
        ("mail.example.com", "example.com", "r", True),
        ("mail.example.com", "example.com", "s", False),
        ("example.com", "news.example.com", "r", True),
        ("a.example.com", "b.example.com", "r", True),
        ("example.com", "example.net", "r", False),
        ("example.co.uk", "other.co.uk", "r", False),
        ("mail.example.co.uk", "example.co.uk", "r", True),
        ("foo.github.io", "bar.github.io", "r", False),  # two organizations under a private suffix
        ("Example.COM.", "example.com", "s", True),  # case and trailing dot never matter
        ("xn--bcher-kva.de", "B\u00fccher.de", "s", True),
        ("", "example.com", "r", False),
        ("example.com", "", "r", False),
        ("", "", "r", False),
        ("amazonses.com", "example.com", "r", False),
    ],
)
def test_domains_align_relaxed_or_strict(a, b, mode, aligned):
    assert domains_align(a, b, mode) is aligned


def test_a_passing_dkim_signature_of_a_subdomain_aligns_relaxed_but_not_strict():
    rec = record(dkim=[("mail.example.com", "pass")], verdict=("pass", "fail"))
    evaluate(rec, "r", "r")
    assert (rec.dkim_results[0].aligned, rec.dkim_aligned) == (True, True)
    evaluate(rec, "s", "r")
    assert (rec.dkim_results[0].aligned, rec.dkim_aligned) == (False, False)


def test_only_passing_results_align():
    rec = record(
        dkim=[("example.com", "fail"), ("example.com", "temperror")],
        spf=[("example.com", "mfrom", "softfail")],
    )
    evaluate(rec, "r", "r")
    assert not rec.dkim_aligned and not rec.spf_aligned
    assert not any(r.aligned for r in rec.dkim_results + rec.spf_results)


def test_one_aligned_dkim_signature_among_several_is_enough():
    rec = record(dkim=[("esp.example.net", "pass"), ("example.com", "pass"), ("example.com", "fail")])
    evaluate(rec, "r", "r")
    assert [r.aligned for r in rec.dkim_results] == [False, True, False]
    assert rec.dkim_aligned


def test_spf_aligns_for_mail_from_with_or_without_a_scope():
    rec = record(spf=[("bounce.example.com", "mfrom", "pass")])
    evaluate(rec, "r", "r")
    assert rec.spf_aligned
    rec = record(spf=[("bounce.example.com", "", "pass")])  # older reports send no scope
    evaluate(rec, "r", "r")
    assert rec.spf_aligned
    evaluate(rec, "r", "s")
    assert not rec.spf_aligned


def test_a_helo_spf_result_never_aligns():
    rec = record(spf=[("example.com", "helo", "pass")])
    evaluate(rec, "r", "r")
    assert not rec.spf_results[0].aligned and not rec.spf_aligned


def test_an_empty_spf_domain_never_aligns():
    rec = record(spf=[("", "mfrom", "pass")])
    evaluate(rec, "r", "r")
    assert not rec.spf_aligned


def test_the_amazon_ses_default_mail_from_does_not_align_but_easy_dkim_does():
    rec = record(
        dkim=[("example.com", "pass"), ("amazonses.com", "pass")],
        spf=[("amazonses.com", "mfrom", "pass")],
        verdict=("pass", "fail"),
    )
    evaluate(rec, "r", "r")
    assert (rec.dkim_aligned, rec.spf_aligned) == (True, False)
    assert not rec.disagrees


def test_our_verdict_agrees_with_a_reporter_that_saw_the_same():
    rec = record(
        dkim=[("example.com", "pass")], spf=[("example.com", "mfrom", "pass")], verdict=("pass", "pass")
    )
    evaluate(rec, "r", "r")
    assert rec.our_pass and rec.dmarc_pass and not rec.disagrees


def test_an_arc_trusted_forward_disagrees_with_our_reading():
    # Forwarded mail: the signature broke on the way and SPF passed for the forwarder. The
    # receiver trusted the ARC chain and reports DKIM pass by local policy; the auth results
    # alone fail, so our recomputed verdict differs and the row is flagged.
    rec = record(
        dkim=[("example.com", "fail"), ("forwarder.example.net", "pass")],
        spf=[("forwarder.example.net", "mfrom", "pass")],
        verdict=("pass", "fail"),
        reasons=[Reason("local_policy", "arc=pass")],
    )
    evaluate(rec, "r", "r")
    assert rec.dmarc_pass
    assert not rec.our_pass
    assert rec.disagrees


def test_a_reporter_with_another_suffix_list_disagrees():
    # We count github.io as a suffix; a reporter that does not will call this aligned.
    rec = record(header_from="foo.github.io", dkim=[("mail.bar.github.io", "pass")], verdict=("pass", "fail"))
    evaluate(rec, "r", "r")
    assert not rec.dkim_aligned
    assert rec.disagrees
