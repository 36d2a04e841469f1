"""The MTA-STS rules as plain data: policy syntax, mx patterns, TXT records, BIMI, and the assistant."""

import pytest

from reports.mtasts import policy, records
from reports.mtasts.assistant import Published, Window, advise, min_report_days


def test_a_policy_is_read_and_its_problems_named():
    good = policy.parse(
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n"
    )
    assert good.valid and good.mode == "enforce" and good.mx == ["mail.example.com", "*.example.net"]
    bad = policy.parse("version: STSv2\nmode: on\nmax_age: 31557601\nmx: -bad-.example\nmx\n")
    text = " ".join(bad.problems)
    for part in (
        "version: STSv1",
        "mode must be",
        "max_age must be",
        "'-bad-.example'",
        "not a 'key: value' line",
    ):
        assert part in text, part
    assert "a testing or enforce policy needs" in " ".join(
        policy.parse("version: STSv1\nmode: testing\nmax_age: 1").problems
    )


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("*.example.com", "mx1.example.com", True),
        ("*.example.com", "a.b.example.com", False),  # one label only
        ("*.example.com", "example.com", False),
        ("mx.example.com", "MX.Example.com.", True),
        ("mx.example.com", "mx2.example.com", False),
    ],
)
def test_mx_patterns_match_as_rfc_8461_says(pattern, host, matches):
    assert policy.matches(pattern, host) is matches


def test_txt_records():
    assert "id= must be 1 to 32 letters and digits" in records.mta_sts(["v=STSv1; id=2026-01-01"]).problems[0]
    assert records.mta_sts(["v=STSv1; id=abc123"]).valid
    assert "2 TXT records" in records.mta_sts(["v=STSv1; id=1", "v=STSv1; id=2"]).problems[0]
    assert records.tls_rpt(["v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example/tls"]).valid
    assert "neither mailto" in records.tls_rpt(["v=TLSRPTv1; rua=ftp://x"]).problems[0]
    assert not records.bimi(["v=BIMI1; l=https://e.example/l.svg"], "quarantine", 50, False).valid
    assert records.bimi(["v=BIMI1; l=https://e.example/l.svg"], "reject", None, False).valid


def published(mode="testing", mx=(("mx1.example.com", True),), **kw) -> Published:
    return Published(
        checked=True, mode=mode, policy_ok=True, mx=[{"host": h, "covered": c} for h, c in mx],
        policy={"mode": mode, "mx": ["*.example.com"], "max_age": 86400}, txt_ok=True, tls_rpt_ok=True, **kw,
    )  # fmt: skip


def test_the_assistant_goes_none_testing_enforce():
    clean = Window(21, report_days=21, reporters=["A", "B"], successful=1000)
    assert advise("example.com", published(), clean, "9").ready
    assert not advise("example.com", published(), Window(21, report_days=13, reporters=["A", "B"]), "9").ready
    assert min_report_days(21) == 14
    to_testing = advise("example.com", published(mode="none"), Window(21), "9")
    assert (
        to_testing.next_stage == "testing" and to_testing.ready and "mode: testing" in to_testing.next_policy
    )
    final = advise("example.com", published(mode="enforce"), clean, "9")
    assert final.next_stage is None and not final.ready and final.next_policy == ""
    # A DANE failure is not enforce's business; an STS one is.
    dane = Window(
        21, report_days=21, reporters=["A", "B"], failures={("tlsa-invalid", "mx1.example.com", "A"): 4}
    )
    assert advise("example.com", published(), dane, "9").ready
    sts = Window(
        21, report_days=21, reporters=["A", "B"], failures={("sts-policy-invalid", "mx1.example.com", "A"): 4}
    )
    advice = advise("example.com", published(), sts, "9")
    assert (
        not advice.ready
        and "MX mx1.example.com: 4 sts-policy-invalid sessions reported by A" in advice.reasons[-1].text
    )
