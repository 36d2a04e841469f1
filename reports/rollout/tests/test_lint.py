"""Record linting with plain data: DMARC lint (RFC 7489, RFC 9989), SPF lookup count, DKIM keys.

No database and no DNS server: records are plain strings, and the lookups a
check makes are answered by a dict (`zone`).
"""

import base64

import pytest

from reports.rollout import lint
from reports.rollout.lint import NXDOMAIN, Answer

D = "example.com"


def zone(records: dict[str, list[str]]):
    """A Resolve answering TXT lookups from `records`; every other name is NXDOMAIN."""

    def resolve(name: str, rdtype: str) -> Answer:
        name = name.rstrip(".").lower()
        if name in records:
            return Answer(name, rdtype, records=list(records[name]))
        return Answer(name, rdtype, error=NXDOMAIN)

    return resolve


def codes(problems):
    return {p.code for p in problems}


def rsa_key_b64(bits: int) -> str:
    """A SubjectPublicKeyInfo for an RSA key of `bits` bits (DER built by hand; the modulus is arbitrary)."""

    def tlv(tag, body):
        n = len(body)
        length = (
            bytes([n])
            if n < 128
            else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
        )
        return bytes([tag]) + length + body

    modulus = b"\x00" + b"\xc3" + b"\x5a" * (bits // 8 - 1)
    rsa = tlv(0x30, tlv(0x02, modulus) + tlv(0x02, b"\x01\x00\x01"))
    alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return base64.b64encode(tlv(0x30, alg + tlv(0x03, b"\x00" + rsa))).decode()


# --- the DMARC record, as text


def test_it_reads_a_valid_record_without_problems():
    rec = lint.parse_dmarc(
        "v=DMARC1; p=quarantine; sp=reject; adkim=r; aspf=s; fo=1:d; rua=mailto:d@example.com!10m"
    )
    assert rec.problems == []
    assert rec.p == "quarantine"
    assert rec.aspf == "s"
    assert [a.address for a in rec.rua] == ["d@example.com"]


def test_it_requires_v_first():
    rec = lint.parse_dmarc("p=none; v=DMARC1; rua=mailto:d@example.com")
    assert "v-first" in codes(rec.problems)


def test_it_flags_duplicate_tags():
    rec = lint.parse_dmarc("v=DMARC1; p=none; p=reject; rua=mailto:d@example.com")
    assert "duplicate-tag" in codes(rec.problems)
    assert rec.tags["p"] == "none"  # the first one is what was read


@pytest.mark.parametrize(
    "tag, code",
    [
        ("p=block", "invalid-p"),
        ("sp=yes", "invalid-sp"),
        ("np=maybe", "invalid-np"),
        ("pct=150", "invalid-pct"),
        ("t=maybe", "invalid-t"),
        ("adkim=x", "invalid-adkim"),
        ("aspf=relaxed", "invalid-aspf"),
        ("fo=2", "invalid-fo"),
    ],
)
def test_it_flags_invalid_values(tag, code):
    rec = lint.parse_dmarc(f"v=DMARC1; {tag}; rua=mailto:d@example.com")
    assert code in codes(rec.errors)


def test_it_requires_mailto_and_a_valid_size():
    rec = lint.parse_dmarc(
        "v=DMARC1; p=none; rua=d@example.com,mailto:e@example.com!10x; ruf=https://x.example"
    )
    assert "not-mailto" in codes(rec.errors)
    assert "bad-size" in codes(rec.errors)


def test_it_flags_obsolete_tags_but_keeps_the_record_usable():
    rec = lint.parse_dmarc("v=DMARC1; p=quarantine; pct=50; rf=afrf; ri=86400; rua=mailto:d@example.com")
    assert {"obsolete-pct", "obsolete-rf", "obsolete-ri"} <= codes(rec.problems)
    assert rec.errors == []
    assert rec.pct == 50


def test_it_warns_about_more_than_two_report_addresses_and_no_rua():
    three = lint.parse_dmarc("v=DMARC1; p=none; rua=mailto:a@x.example,mailto:b@x.example,mailto:c@x.example")
    assert "too-many-addresses" in codes(three.problems)
    none = lint.parse_dmarc("v=DMARC1; p=none")
    assert "no-rua" in codes(none.errors)


def test_it_flags_p_none_held_for_months_and_strict_alignment_that_breaks_senders():
    rec = lint.parse_dmarc("v=DMARC1; p=none; aspf=s; rua=mailto:d@example.com")
    problems = lint.context_problems(rec, days_on_none=200, relaxed_spf=["Amazon SES"])
    assert {"none-forever", "strict-spf"} <= codes(problems)
    assert lint.context_problems(rec, days_on_none=20) == []


# --- the checks over a resolve callable


def test_without_a_record_at_dmarc_there_is_nothing_to_apply():
    check = lint.check_dmarc(D, zone({D: ["v=DMARC1; p=none; rua=mailto:d@example.com", "v=spf1 -all"]}))
    assert check.record is None
    assert {"no-record", "bare-domain"} <= codes(check.errors)


def test_two_records_mean_none_applies_and_one_not_starting_with_v_is_ignored():
    two = lint.check_dmarc(D, zone({f"_dmarc.{D}": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]}))
    assert two.record is None and "several-records" in codes(two.errors)
    late_v = lint.check_dmarc(D, zone({f"_dmarc.{D}": ["p=none; v=DMARC1"]}))
    assert late_v.record is None and {"v-first", "no-record"} <= codes(late_v.errors)


def test_a_failed_lookup_is_not_a_missing_record():
    def down(name, rdtype):
        return Answer(name, rdtype, error="timeout")

    check = lint.check_dmarc(D, down)
    assert codes(check.problems) == {"lookup-failed"} and check.lookup_error == "timeout"
    assert codes(lint.check_spf(D, down).problems) == {"lookup-failed"}


def test_an_external_report_address_needs_its_authorization_record():
    resolve = zone(
        {
            f"_dmarc.{D}": ["v=DMARC1; p=none; rua=mailto:d@example.com,mailto:x@reports.example.net"],
            f"{D}._report._dmarc.reports.example.net": ["v=DMARC1"],
        }
    )
    assert lint.check_dmarc(D, resolve).errors == []
    resolve = zone({f"_dmarc.{D}": ["v=DMARC1; p=none; rua=mailto:x@dmarc.example.org"]})
    assert "unauthorized-address" in codes(lint.check_dmarc(D, resolve).errors)


def test_spf_lookups_are_counted_through_includes_and_redirects():
    resolve = zone(
        {
            D: ["v=spf1 a mx include:_spf.one.example redirect=_spf.two.example"],
            "_spf.one.example": ["v=spf1 a:x.one.example exists:%{i}.one.example ptr -all"],
            "_spf.two.example": ["v=spf1 ip4:192.0.2.0/24 -all"],
        }
    )
    check = lint.check_spf(D, resolve)
    assert check.lookups == 7
    assert codes(check.problems) == {"ptr"}
    assert check.includes == ["_spf.one.example", "_spf.two.example"]


def test_spf_over_ten_lookups_is_a_permerror():
    resolve = zone({D: ["v=spf1 " + " ".join(f"a:h{i}.example.com" for i in range(11)) + " -all"]})
    check = lint.check_spf(D, resolve)
    assert check.lookups == 11 and check.problems[0].code == "too-many-lookups"


@pytest.mark.parametrize(
    "records, code",
    [
        ({D: ["v=spf1 -all", "v=spf1 mx -all"]}, "several-spf"),
        ({D: ["v=spf1 include:gone.example -all"]}, "broken-include"),
        ({D: ["v=spf1 +all"]}, "plus-all"),
        ({D: ["v=spf1 include:a.example -all"], "a.example": ["v=spf1 include:example.com -all"]}, "loop"),
    ],
)
def test_spf_errors(records, code):
    assert code in codes(lint.check_spf(D, zone(records)).errors)


def test_no_spf_record_is_a_warning():
    check = lint.check_spf(D, zone({D: ["google-site-verification=x"]}))
    assert codes(check.problems) == {"no-spf"} and check.errors == []


def test_dkim_keys_by_size_and_state():
    resolve = zone(
        {
            f"big._domainkey.{D}": [f"v=DKIM1; k=rsa; p={rsa_key_b64(2048)}"],
            f"small._domainkey.{D}": [f"v=DKIM1; p={rsa_key_b64(512)}"],
            f"mid._domainkey.{D}": [f"v=DKIM1; p={rsa_key_b64(1024)}"],
            f"bad._domainkey.{D}": ["v=DKIM1; p=***"],
            f"old._domainkey.{D}": ["v=DKIM1; p="],
            f"ed._domainkey.{D}": ["v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
        }
    )
    selectors = [(s, D) for s in ("big", "small", "mid", "bad", "old", "ed", "gone")]
    keys = {k.selector: k for k in lint.check_dkim(selectors, resolve)}
    assert keys["big"].bits == 2048 and keys["big"].problems == []
    assert codes(keys["small"].problems) == {"weak-key"}
    assert codes(keys["mid"].problems) == {"short-key"}
    assert codes(keys["bad"].problems) == {"bad-key"}
    assert codes(keys["old"].problems) == {"revoked"}
    assert keys["ed"].found and keys["ed"].problems == []
    assert codes(keys["gone"].problems) == {"no-key"}


def test_include_amazonses_at_the_root_is_flagged_as_doing_nothing_for_dmarc():
    check = lint.check_spf(D, zone({D: ["v=spf1 include:_spf.google.com include:amazonses.com -all"],
                                    "_spf.google.com": ["v=spf1 ip4:209.85.128.0/17 ~all"],
                                    "amazonses.com": ["v=spf1 ip4:54.240.0.0/18 -all"]}))  # fmt: skip
    (useless,) = [p for p in check.problems if p.code == "useless-include"]
    assert useless.severity == "warning" and "include:amazonses.com" in useless.message
    assert f"mail.{D}" in useless.message and "Easy DKIM" in useless.message
    # On the custom MAIL FROM subdomain it is what SES needs: nothing to say.
    sub = lint.check_spf(f"mail.{D}", zone({f"mail.{D}": ["v=spf1 include:amazonses.com -all"],
                                            "amazonses.com": ["v=spf1 ip4:54.240.0.0/18 -all"]}))  # fmt: skip
    assert "useless-include" not in codes(sub.problems)
