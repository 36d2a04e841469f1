"""The XML reader: quirks real reporters send, RFC 9990, what is rejected, hostile input,
streaming. Pure: no database. Each test builds the smallest report that shows its point."""

from __future__ import annotations

import io
import ipaddress
import os
import time
from dataclasses import replace
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.ingest.errors import LimitExceeded, NotDmarc, ReportError
from reports.ingest.parser import BrokenXml, parse
from reports.ingest.report import DkimResult, ParsedRecord, Reason, SpfResult

PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'
METADATA = (
    "<report_metadata><org_name>Reporter Inc.</org_name><email>dmarc@reporter.example</email>"
    "<report_id>r-1</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range>"
    "</report_metadata>"
)
POLICY = (
    "<policy_published><domain>example.com</domain><adkim>r</adkim><aspf>r</aspf>"
    "<p>none</p><sp>none</sp><pct>100</pct><fo>0</fo></policy_published>"
)
RECORD = (
    "<record><row><source_ip>192.0.2.1</source_ip><count>3</count><policy_evaluated>"
    "<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>"
    "<identifiers><envelope_from>example.com</envelope_from><header_from>example.com</header_from>"
    "</identifiers><auth_results><dkim><domain>example.com</domain><selector>s1</selector>"
    "<result>pass</result></dkim><spf><domain>example.com</domain><scope>mfrom</scope>"
    "<result>pass</result></spf></auth_results></record>"
)


def report(
    *records: str,
    metadata=METADATA,
    policy=POLICY,
    version="<version>1.0</version>",
    prolog=PROLOG,
    root="<feedback>",
) -> bytes:
    body = "".join(records) if records else RECORD
    return f"{prolog}{root}{version}{metadata}{policy}{body}</feedback>".encode()


def read(data: bytes, recover: bool = False):
    parsed = parse(data, recover=recover)
    return parsed, list(parsed.records)


def read_like_the_importer(data: bytes):
    """Strict first; on BrokenXml start again in recover mode, as ingest does."""
    try:
        return read(data)
    except BrokenXml:
        return read(data, recover=True)


def only_record(data: bytes) -> ParsedRecord:
    _, records = read(data)
    assert len(records) == 1
    return records[0]


# -- the shapes in the wild (dmarc-notes §1, §2, §4) --------------------------------------------------------


def test_it_reads_a_plain_rfc7489_report():
    parsed, records = read(report())
    h = parsed.header
    assert (h.org_name, h.email, h.report_id, h.version, h.schema) == (
        "Reporter Inc.",
        "dmarc@reporter.example",
        "r-1",
        "1.0",
        "rfc7489",
    )
    assert h.begin == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert h.end == datetime(2023, 11, 15, 22, 13, 19, tzinfo=UTC)
    p = h.policy
    assert (p.domain, p.adkim, p.aspf, p.p, p.sp, p.pct, p.fo) == (
        "example.com",
        "r",
        "r",
        "none",
        "none",
        100,
        "0",
    )
    assert records == [
        ParsedRecord(
            source_ip="192.0.2.1",
            count=3,
            disposition="none",
            dkim="pass",
            spf="pass",
            header_from="example.com",
            envelope_from="example.com",
            dkim_results=[DkimResult("example.com", "s1", "pass")],
            spf_results=[SpfResult("example.com", "mfrom", "pass")],
        )
    ]
    assert parsed.warnings == []


def test_it_reads_the_old_draft_shape_without_version_envelope_from_selector_scope_or_fo():
    record = (
        "<record><row><source_ip>72.150.241.94</source_ip><count>2</count><policy_evaluated>"
        "<disposition>none</disposition><dkim>fail</dkim><spf>pass</spf></policy_evaluated></row>"
        "<identifiers><header_from>example.com</header_from></identifiers><auth_results>"
        "<dkim><domain>example.com</domain><result>fail</result><human_result></human_result></dkim>"
        "<spf><domain>example.com</domain><result>pass</result></spf></auth_results></record>"
    )
    policy = "<policy_published><domain>example.com</domain><p>none</p></policy_published>"
    parsed, [rec] = read(report(record, version="", policy=policy))
    assert parsed.header.schema == "draft"
    assert parsed.header.version == ""
    assert (parsed.header.policy.adkim, parsed.header.policy.aspf, parsed.header.policy.fo) == ("r", "r", "")
    assert rec.envelope_from == ""
    assert rec.dkim_results == [DkimResult("example.com", "", "fail", "")]
    assert rec.spf_results == [SpfResult("example.com", "", "pass")]


def test_it_reads_outlook_prolog_without_encoding_unused_namespaces_and_a_86400_second_day():
    metadata = METADATA.replace("1700086399", "1700086400")
    data = report(
        prolog='<?xml version="1.0"?>',
        root='<feedback xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        metadata=metadata,
    )
    parsed, records = read(data)
    assert (parsed.header.end - parsed.header.begin).total_seconds() == 86400
    assert len(records) == 1


def test_it_reads_google_inclusive_end_of_86399_seconds():
    parsed, _ = read(report())
    assert (parsed.header.end - parsed.header.begin).total_seconds() == 86399


def test_it_reads_aol_windows_1252_with_unused_prefix_no_policy_dkim_and_not_evaluated_dkim():
    metadata = METADATA.replace("Reporter Inc.", "Caf\u00e9 \u20ac Mail")
    record = (
        "<record><row><source_ip>192.0.2.9</source_ip><count>1</count><policy_evaluated>"
        "<disposition>none</disposition><spf>fail</spf></policy_evaluated></row>"
        "<identifiers><header_from>example.com</header_from></identifiers><auth_results>"
        "<dkim><domain>not.evaluated</domain><result>none</result></dkim>"
        "<spf><domain>example.com</domain><result>fail</result></spf></auth_results></record>"
    )
    text = (
        '<?xml version="1.0" encoding="windows-1252"?>'
        '<feedback xmlns:ns1="http://example.invalid/ns1">'
        f"{metadata}{POLICY}{record}</feedback>"
    )
    data = text.encode("cp1252")
    assert b"\xe9" in data and b"\x80" in data  # really windows-1252 bytes, not UTF-8
    parsed, [rec] = read(data)
    assert parsed.header.org_name == "Caf\u00e9 \u20ac Mail"
    assert rec.dkim == ""
    assert rec.spf == "fail"
    assert rec.dkim_results == [DkimResult("not.evaluated", "", "none")]


def test_it_reads_a_utf8_bom_before_the_xml_declaration():
    parsed, records = read(b"\xef\xbb\xbf" + report())
    assert parsed.header.report_id == "r-1"
    assert len(records) == 1


def test_it_reads_whitespace_before_the_xml_declaration():
    parsed, _ = read(b"\r\n  \n" + report())
    assert parsed.header.report_id == "r-1"


def test_it_reads_a_date_range_of_several_weeks_not_aligned_to_midnight():
    metadata = METADATA.replace("1700000000", "1698765432").replace("1700086399", "1701234567")
    parsed, _ = read(report(metadata=metadata))
    assert parsed.header.begin == datetime.fromtimestamp(1698765432, UTC)
    assert parsed.header.end == datetime.fromtimestamp(1701234567, UTC)


def test_it_names_a_reporter_with_an_empty_org_name_after_its_email_domain():
    parsed, _ = read(report(metadata=METADATA.replace("Reporter Inc.", "")))
    assert parsed.header.org_name == "reporter.example"
    assert any("no org_name" in w for w in parsed.warnings)


def test_it_accepts_an_empty_org_name_without_an_email():
    metadata = METADATA.replace("Reporter Inc.", "").replace("dmarc@reporter.example", "")
    parsed, _ = read(report(metadata=metadata))
    assert parsed.header.org_name == ""
    assert "The report has no org_name" in parsed.warnings


def test_it_keeps_an_empty_spf_domain():
    rec = only_record(report(RECORD.replace("<spf><domain>example.com</domain>", "<spf><domain></domain>")))
    assert rec.spf_results == [SpfResult("", "mfrom", "pass")]


def test_it_accepts_begin_equal_to_end():
    parsed, _ = read(report(metadata=METADATA.replace("1700086399", "1700000000")))
    assert parsed.header.begin == parsed.header.end


def test_it_drops_an_empty_reason_and_keeps_real_ones():
    record = RECORD.replace(
        "</policy_evaluated>",
        "<reason><type/><comment/></reason>"
        "<reason><type>Local_Policy</type><comment> arc=pass </comment></reason></policy_evaluated>",
    )
    parsed, [rec] = read(report(record))
    assert rec.reasons == [Reason("local_policy", "arc=pass")]
    assert "Empty <reason> elements were ignored" in parsed.warnings


def test_it_recovers_invalid_utf8_bytes_with_a_warning():
    data = report(RECORD).replace(b"<header_from>example.com", b"<header_from>example.com\x91", 1)
    with pytest.raises(BrokenXml, match="Invalid bytes in character encoding"):
        read(data)
    parsed, [rec] = read(data, recover=True)
    assert rec.count == 3
    assert any(w.startswith("The XML was damaged and was recovered:") for w in parsed.warnings)


def test_it_recovers_an_unescaped_less_than_sign_in_a_value():
    data = report(metadata=METADATA.replace("dmarc@reporter.example", "<dmarc@reporter.example>"))
    with pytest.raises(BrokenXml):
        read(data)
    parsed, [rec] = read(data, recover=True)
    assert parsed.header.report_id == "r-1"
    assert rec.count == 3
    assert any("recovered" in w for w in parsed.warnings)


def test_it_recovers_ikeas_stray_unclosed_schema_tag_before_feedback():
    data = report(prolog='<?xml version="1.0"?> <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">')
    # Strict parsing only fails at the very end, after the records: that is what the
    # importer's transaction-per-report and retry are for.
    strict = parse(data)
    assert strict.header.report_id == "r-1"
    with pytest.raises(BrokenXml, match="Premature end of data"):
        list(strict.records)
    parsed, records = read(data, recover=True)
    assert parsed.header.policy.domain == "example.com"
    assert [r.count for r in records] == [3]


def test_it_reads_dkim_results_without_spf_and_records_with_empty_auth_results():
    only_dkim = RECORD.replace(
        "<spf><domain>example.com</domain><scope>mfrom</scope><result>pass</result></spf>", ""
    )
    empty = RECORD.replace(
        RECORD[RECORD.index("<auth_results>") : RECORD.index("</record>")], "<auth_results/>"
    )
    _, (a, b) = read(report(only_dkim, empty))
    assert (len(a.dkim_results), a.spf_results) == (1, [])
    assert (b.dkim_results, b.spf_results) == ([], [])


@pytest.mark.parametrize(
    "report_id",
    ["<abc123@mail.example.com>", "abc123@mail.example.com", "1.7000000000e9", "12345.0", "0017"],
)
def test_it_keeps_report_ids_exactly_as_given(report_id):
    metadata = METADATA.replace(
        "<report_id>r-1</report_id>", f"<report_id>  {escape(report_id)}\n</report_id>"
    )
    parsed, _ = read(report(metadata=metadata))
    assert parsed.header.report_id == report_id


def test_it_reads_several_dkim_and_spf_results_per_record():
    record = RECORD.replace(
        "</auth_results>",
        "<dkim><domain>esp.example.net</domain><selector>k2</selector><result>FAIL</result>"
        "<human_result>body hash</human_result></dkim>"
        "<spf><domain>helo.example.net</domain><scope>helo</scope><result>SoftFail</result></spf></auth_results>",
    )
    rec = only_record(report(record))
    assert rec.dkim_results == [
        DkimResult("example.com", "s1", "pass"),
        DkimResult("esp.example.net", "k2", "fail", "body hash"),
    ]
    assert rec.spf_results == [
        SpfResult("example.com", "mfrom", "pass"),
        SpfResult("helo.example.net", "helo", "softfail"),
    ]


def test_it_lower_cases_every_enumerated_word():
    policy = POLICY.replace("<adkim>r</adkim>", "<adkim>S</adkim>").replace("<p>none</p>", "<p>REJECT</p>")
    record = (
        RECORD.replace("<disposition>none", "<disposition>Quarantine")
        .replace("<dkim>pass</dkim><spf>pass</spf>", "<dkim>Pass</dkim><spf>FAIL</spf>")
        .replace("<scope>mfrom</scope><result>pass</result>", "<scope>MFROM</scope><result>Pass</result>")
        .replace(
            "<selector>s1</selector><result>pass</result>", "<selector>S1</selector><result>PASS</result>"
        )
        .replace("</policy_evaluated>", "<reason><type>Mailing_List</type></reason></policy_evaluated>")
    )
    parsed, [rec] = read(report(record, policy=policy))
    assert (parsed.header.policy.adkim, parsed.header.policy.p) == ("s", "reject")
    assert (rec.disposition, rec.dkim, rec.spf) == ("quarantine", "pass", "fail")
    assert rec.dkim_results == [DkimResult("example.com", "S1", "pass")]  # a selector is a name, not a word
    assert rec.spf_results == [SpfResult("example.com", "mfrom", "pass")]
    assert rec.reasons == [Reason("mailing_list", "")]


def test_it_normalises_domains_to_lower_case_without_trailing_dot_or_whitespace():
    record = RECORD.replace("<header_from>example.com", "<header_from> Mail.Example.COM. ").replace(
        "<dkim><domain>example.com", "<dkim><domain>\n  EXAMPLE.com.\n"
    )
    policy = POLICY.replace("<domain>example.com", "<domain>Example.COM.")
    parsed, [rec] = read(report(record, policy=policy))
    assert parsed.header.policy.domain == "example.com"
    assert rec.header_from == "mail.example.com"
    assert rec.dkim_results[0].domain == "example.com"


@pytest.mark.parametrize(
    "given_ip",
    [
        "2001:0DB8:0000:0000:0000:0000:0000:0001",
        "2001:db8::1",
        "::ffff:192.0.2.1",
        "fe80::1%eth0",
        " 192.0.2.1 ",
    ],
)
def test_it_normalises_ip_addresses_like_the_ipaddress_module(given_ip):
    rec = only_record(report(RECORD.replace("192.0.2.1", given_ip)))
    assert rec.source_ip == ipaddress.ip_address(given_ip.strip()).compressed


def test_it_skips_unknown_elements_everywhere():
    record = (
        RECORD.replace("<row>", "<row><vendor_note>x</vendor_note>")
        .replace(
            "</identifiers>", "<envelope_note><domain>evil.example</domain></envelope_note></identifiers>"
        )
        .replace("</auth_results>", "<arc><result>pass</result></arc></auth_results>")
        .replace(
            "</record>", "<x:trace xmlns:x='urn:vendor'><x:domain>evil.example</x:domain></x:trace></record>"
        )
    )
    metadata = METADATA.replace("</report_metadata>", "<vendor>v</vendor></report_metadata>")
    parsed, [rec] = read(report(record, metadata=metadata))
    assert rec.header_from == "example.com"
    assert rec.spf_results == [SpfResult("example.com", "mfrom", "pass")]
    assert parsed.warnings == []


def test_it_does_not_compute_alignment_itself():
    rec = only_record(report())
    assert (rec.dkim_aligned, rec.spf_aligned) == (False, False)
    assert not any(r.aligned for r in rec.dkim_results + rec.spf_results)


def test_it_reads_error_elements_of_the_metadata():
    metadata = METADATA.replace("</report_metadata>", "<error>DNS timeout</error><error/></report_metadata>")
    parsed, _ = read(report(metadata=metadata))
    assert parsed.header.errors == ["DNS timeout"]


def test_it_accepts_a_stream_as_well_as_bytes():
    parsed = parse(io.BytesIO(report()))
    assert [r.count for r in parsed.records] == [3]


def test_it_reads_a_report_whose_policy_comes_after_its_records():
    data = report(RECORD, RECORD.replace("192.0.2.1", "192.0.2.2"), policy="").replace(
        b"</feedback>", POLICY.encode() + b"</feedback>"
    )
    parsed, records = read(data)
    assert parsed.header.policy.domain == "example.com"
    assert [r.source_ip for r in records] == ["192.0.2.1", "192.0.2.2"]


def test_it_accepts_a_report_without_records_with_a_warning():
    data = f"{PROLOG}<feedback>{METADATA}{POLICY}</feedback>".encode()
    parsed, records = read(data)
    assert records == []
    assert "The report has no records" in parsed.warnings


# -- RFC 9990 ----------------------------------------------------------------------------------------------

NS = "urn:ietf:params:xml:ns:dmarc-2.0"
RFC9990_POLICY = (
    "<policy_published><domain>example.com</domain><p>quarantine</p><sp>none</sp><np>Reject</np>"
    "<testing>n</testing><discovery_method>treewalk</discovery_method></policy_published>"
)
RFC9990_METADATA = METADATA.replace(
    "</date_range>", "</date_range><generator>Example Reporter v1.2</generator>"
)
RFC9990_RECORD = (
    RECORD.replace("<disposition>none", "<disposition>pass")
    .replace("<envelope_from>example.com</envelope_from>", "<envelope_from></envelope_from>")
    .replace("</record>", '<ext:note xmlns:ext="urn:vendor:ext">hello</ext:note></record>')
)
RFC9990_BODY = (
    f"<version>1.0</version>{RFC9990_METADATA}{RFC9990_POLICY}"
    '<extension><x:any xmlns:x="urn:x">1</x:any></extension>'
    f"{RFC9990_RECORD}"
)


def assert_rfc9990(parsed, records):
    h = parsed.header
    assert h.schema == "rfc9990"
    assert h.generator == "Example Reporter v1.2"
    p = h.policy
    assert (p.domain, p.p, p.sp, p.np, p.testing, p.discovery_method, p.pct) == (
        "example.com",
        "quarantine",
        "none",
        "reject",
        "n",
        "treewalk",
        None,
    )
    [rec] = records
    assert (rec.disposition, rec.envelope_from, rec.count) == ("pass", "", 3)
    assert rec.dkim_results == [DkimResult("example.com", "s1", "pass")]


def test_it_reads_rfc9990_with_a_default_namespace():
    assert_rfc9990(*read(f'{PROLOG}<feedback xmlns="{NS}">{RFC9990_BODY}</feedback>'.encode()))


def test_it_reads_rfc9990_with_a_prefix():
    import re

    prefixed = re.sub(r"<(/?)(?![a-z]+:)([a-z_]+)", r"<\1d:\2", RFC9990_BODY)
    data = f'{PROLOG}<d:feedback xmlns:d="{NS}">{prefixed}</d:feedback>'.encode()
    assert b"<d:record><d:row><d:source_ip>" in data
    assert_rfc9990(*read(data))


def test_it_reads_rfc9990_fields_without_the_namespace():
    assert_rfc9990(*read(f"{PROLOG}<feedback>{RFC9990_BODY}</feedback>".encode()))


def test_it_calls_a_report_rfc9990_for_its_namespace_alone():
    parsed, _ = read(report(root=f'<feedback xmlns="{NS}">'))
    assert parsed.header.schema == "rfc9990"


def test_it_reads_metadata_and_policy_in_either_order():
    data = f"{PROLOG}<feedback>{POLICY}{METADATA}{RECORD}</feedback>".encode()
    parsed, records = read(data)
    assert (parsed.header.report_id, parsed.header.policy.domain, len(records)) == ("r-1", "example.com", 1)


# -- what is rejected ---------------------------------------------------------------------------------------


def test_it_rejects_an_empty_file():
    with pytest.raises(ReportError, match="empty"):
        read(b"")
    with pytest.raises(ReportError, match="empty"):
        read(b"\xef\xbb\xbf \r\n", recover=True)


@pytest.mark.parametrize(
    "data",
    [b"<html><body>hello</body></html>", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'],
)
def test_it_tells_a_document_that_is_not_a_dmarc_report(data):
    with pytest.raises(NotDmarc, match="not a DMARC aggregate report"):
        read(data)


def test_it_tells_the_yahoo_unused_payload_is_not_a_report():
    with pytest.raises(BrokenXml):
        read(b"unused")
    with pytest.raises(NotDmarc):
        read(b"unused", recover=True)


def test_it_rejects_a_report_without_report_id():
    with pytest.raises(ReportError, match="no report_id"):
        read(report(metadata=METADATA.replace("<report_id>r-1</report_id>", "<report_id> </report_id>")))


def test_it_rejects_a_report_without_date_range():
    metadata = METADATA[: METADATA.index("<date_range>")] + "</report_metadata>"
    with pytest.raises(ReportError, match="no date_range"):
        read(report(metadata=metadata))


@pytest.mark.parametrize(
    ("begin", "message"),
    [
        ("", "no begin"),
        ("yesterday", "not a time"),
        ("-5", "not a time"),
        ("99999999999999999", "out of range"),
    ],
)
def test_it_rejects_an_unusable_date(begin, message):
    with pytest.raises(ReportError, match=message):
        read(report(metadata=METADATA.replace("1700000000", begin)))


def test_it_reads_dates_with_whitespace_and_a_fraction():
    metadata = METADATA.replace("1700000000", " 1700000000.0\n").replace("1700086399", "1700086399.75")
    parsed, _ = read(report(metadata=metadata))
    assert parsed.header.begin == datetime.fromtimestamp(1700000000, UTC)
    assert parsed.header.end == datetime.fromtimestamp(1700086399, UTC)


def test_it_rejects_begin_after_end():
    metadata = METADATA.replace("1700000000", "1700086400")
    with pytest.raises(ReportError, match="begins .* after it ends"):
        read(report(metadata=metadata))


def test_it_derives_a_missing_policy_domain_from_header_from_with_a_warning():
    records = [
        RECORD.replace("<header_from>example.com", "<header_from>mail.example.co.uk"),
        RECORD.replace("<header_from>example.com", "<header_from>example.co.uk"),
    ]
    parsed, got = read(report(*records, policy=POLICY.replace("<domain>example.com</domain>", "")))
    assert parsed.header.policy.domain == "example.co.uk"
    assert parsed.header.policy.p == "none"
    assert len(got) == 2
    assert any("example.co.uk was derived" in w for w in parsed.warnings)


def test_it_derives_the_domain_when_policy_published_is_missing_altogether():
    parsed, _ = read(report(policy=""))
    assert parsed.header.policy.domain == "example.com"
    assert "The report has no <policy_published>" in parsed.warnings


def test_it_rejects_a_missing_policy_domain_when_header_froms_disagree():
    records = [RECORD, RECORD, RECORD.replace("<header_from>example.com", "<header_from>other.example.org")]
    parsed = parse(report(*records, policy=POLICY.replace("<domain>example.com</domain>", "<domain/>")))
    assert parsed.header.policy.domain == "example.com"  # the first record's, until proven wrong
    it = iter(parsed.records)
    next(it), next(it)
    with pytest.raises(ReportError, match="cannot be derived.*different organizations"):
        next(it)


def test_it_rejects_a_missing_policy_domain_without_any_header_from():
    with pytest.raises(ReportError, match="cannot be derived"):
        read(report(RECORD.replace("<header_from>example.com</header_from>", ""), policy=""))


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("many", "Record 2: count 'many' is not a whole number"),
        ("1.5", "Record 2: count '1.5' is not a whole number"),
        ("-3", "Record 2: count -3 is negative"),
        (str(2**63), "Record 2: count 9223372036854775808 is too large"),
        ("9" * 5000, "Record 2: count 9+ is too large"),
        ("", "Record 2 has no count"),
        ("\u0663", "not a whole number"),  # an Arabic-Indic digit: int() would take it
    ],
)
def test_it_rejects_a_bad_count_naming_the_record(count, message):
    with pytest.raises(ReportError, match=message):
        read(report(RECORD, RECORD.replace("<count>3</count>", f"<count>{count}</count>")))


def test_it_accepts_the_largest_count_and_whole_numbers_written_as_decimals():
    _, records = read(
        report(
            RECORD.replace("<count>3</count>", f"<count>{2**63 - 1}</count>"),
            RECORD.replace("<count>3</count>", "<count> 7.0 </count>"),
        )
    )
    assert [r.count for r in records] == [2**63 - 1, 7]


@pytest.mark.parametrize("ip", ["not-an-ip", "192.0.2.300", "", "01.2.3.4"])
def test_it_rejects_a_record_with_an_unusable_source_ip(ip):
    with pytest.raises(ReportError, match="Record 1.* source_ip"):
        read(report(RECORD.replace("192.0.2.1", ip)))


# -- hostile input -----------------------------------------------------------------------------------------


def first_passwd_line() -> str:
    with open("/etc/passwd") as f:
        return f.readline().strip()


@pytest.mark.parametrize("recover", [False, True])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_it_rejects_xxe_and_leaks_nothing(recover, encoding):
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        '<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + report(metadata=METADATA.replace("Reporter Inc.", "&xxe;"), prolog="").decode()
    )
    started = time.monotonic()
    with pytest.raises(ReportError, match="DTD / entity declarations are not allowed") as caught:
        read(text.encode(encoding), recover=recover)
    assert time.monotonic() - started < 1
    assert first_passwd_line() not in str(caught.value)
    assert "root:" not in str(caught.value)


@pytest.mark.parametrize("recover", [False, True])
def test_it_rejects_a_dtd_behind_a_comment_that_looks_like_an_element(recover):
    # The byte scan stops at the first start tag; one inside a prolog comment ends it
    # early, and lxml's own view of the document must still refuse the DTD.
    data = report(
        prolog='<?xml version="1.0"?><!-- <feedback> --><!DOCTYPE feedback [<!ENTITY xxe SYSTEM'
        ' "file:///etc/passwd">]>',
        metadata=METADATA.replace("Reporter Inc.", "&xxe;"),
    )
    with pytest.raises(ReportError, match="DTD / entity declarations are not allowed") as caught:
        read(data, recover=recover)
    assert first_passwd_line() not in str(caught.value)


def test_it_rejects_an_external_dtd_without_fetching_it():
    data = report(prolog='<?xml version="1.0"?><!DOCTYPE feedback SYSTEM "http://127.0.0.1:9/evil.dtd">')
    started = time.monotonic()
    with pytest.raises(ReportError, match="DTD"):
        read(data, recover=True)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("recover", [False, True])
def test_it_rejects_billion_laughs_fast(recover):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)
    )
    data = f'<?xml version="1.0"?><!DOCTYPE feedback [{entities}]><feedback>&lol9;</feedback>'.encode()
    started = time.monotonic()
    with pytest.raises(ReportError, match="DTD"):
        read(data, recover=recover)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("recover", [False, True])
@pytest.mark.parametrize("depth", [25, 300, 100_000])
def test_it_rejects_deep_nesting(depth, recover):
    data = report(RECORD.replace("</record>", "<x>" * depth + "</x>" * depth + "</record>"))
    started = time.monotonic()
    # libxml2 stops at 256 levels itself; in recover mode it then skips the rest, which the
    # bound on markup outside records catches.
    with pytest.raises(LimitExceeded, match="nested more than 20|safety limit|tags outside"):
        read(data, recover=recover)
    assert time.monotonic() - started < 2


def test_it_rejects_deep_nesting_hidden_inside_a_value():
    inner = "<i>" * 30 + "</i>" * 30
    data = report(RECORD.replace("<header_from>example.com", f"<header_from>example.com{inner}"))
    with pytest.raises(LimitExceeded, match="nested more than 20"):
        read(data)


def test_it_rejects_deep_nesting_outside_the_records():
    data = report(
        metadata=METADATA.replace("</report_metadata>", "<a>" * 22 + "</a>" * 22 + "</report_metadata>")
    )
    with pytest.raises(LimitExceeded, match="nested more than 20"):
        read(data)


def test_it_rejects_deep_nesting_after_the_last_flushed_records():
    # Past the first batches of records, what is left at the end is checked on its own.
    deep = "<extension>" + "<a>" * 22 + "</a>" * 22 + "</extension>"
    data = report(*[RECORD] * 1500).replace(b"</feedback>", deep.encode() + b"</feedback>")
    with pytest.raises(LimitExceeded, match="nested more than 20"):
        read(data)


def test_it_rejects_deep_nesting_in_the_last_record_of_a_long_report():
    deep = RECORD.replace("<header_from>example.com", "<header_from>example.com" + "<i>" * 30 + "</i>" * 30)
    with pytest.raises(LimitExceeded, match="nested more than 20"):
        read(report(*[RECORD] * 1500, deep))


def test_it_accepts_moderate_nesting_in_an_extension():
    data = report(policy=POLICY + "<extension>" + "<e>" * 12 + "</e>" * 12 + "</extension>")
    _, records = read(data)
    assert len(records) == 1


def test_it_rejects_an_element_bomb_outside_the_records():
    data = report(RECORD).replace(b"</feedback>", b"<x/>" * 300_000 + b"</feedback>")
    with pytest.raises(LimitExceeded, match="tags outside DMARC records"):
        read(data)


def test_it_calls_a_large_document_without_report_elements_not_dmarc():
    with pytest.raises(NotDmarc):
        read(b"<data>" + b"<x/>" * 300_000 + b"</data>")


# -- streaming -----------------------------------------------------------------------------------------------


class CountingStream(io.RawIOBase):
    """A binary stream that remembers how much was read from it."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)
        self.consumed = 0

    def readable(self):
        return True

    def read(self, n=-1):
        chunk = self._data.read(n)
        self.consumed += len(chunk)
        return chunk


def numbered_record(i: int, count: str | int = 1) -> str:
    ip = f"2001:db8::{i:x}" if i % 3 else f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
    return RECORD.replace("192.0.2.1", ip).replace("<count>3</count>", f"<count>{count}</count>")


def test_the_header_is_known_before_the_records_are_read_and_a_bad_count_fails_while_iterating():
    records = [numbered_record(i, "x" if i == 5000 else i) for i in range(1, 10_001)]
    stream = CountingStream(report(*records))
    total = len(stream._data.getvalue())
    parsed = parse(stream)
    assert parsed.header.report_id == "r-1"
    assert stream.consumed < total / 10  # the header came from the first chunk or so
    read_before_error = []
    with pytest.raises(ReportError, match="Record 5000: count 'x' is not a whole number"):
        for rec in parsed.records:
            read_before_error.append(rec.count)
    assert read_before_error == list(range(1, 5000))
    assert stream.consumed < total  # it stopped at the bad record


def test_warnings_found_while_iterating_are_added_to_the_report():
    later = RECORD.replace("</policy_evaluated>", "<reason><type/></reason></policy_evaluated>")
    parsed = parse(report(RECORD, later))
    assert parsed.warnings == []
    list(parsed.records)
    assert parsed.warnings == ["Empty <reason> elements were ignored"]


class GeneratedReport(io.RawIOBase):
    """A report of `n` records made up as it is read, so the test holds no copy of it."""

    def __init__(self, n: int):
        def chunks():
            yield report(policy=POLICY, version="").split(b"<record>")[0]
            for start in range(0, n, 500):
                yield "".join(numbered_record(i) for i in range(start, min(n, start + 500))).encode()
            yield b"</feedback>"

        self._chunks = chunks()
        self._buffer = b""

    def readable(self):
        return True

    def read(self, size=-1):
        while len(self._buffer) < max(size, 1):
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
def test_memory_stays_flat_while_a_large_report_is_read():
    # A full tree of 60,000 records would take ~300 MB; streaming needs a small fraction of that.
    before = rss_bytes()
    peak = before
    messages = 0
    parsed = parse(GeneratedReport(60_000))
    for i, rec in enumerate(parsed.records):
        messages += rec.count
        if i % 5000 == 0:
            peak = max(peak, rss_bytes())
    assert messages == 60_000
    assert peak - before < 60 * 2**20


# -- properties ----------------------------------------------------------------------------------------------

labels = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10).filter(
    lambda label: label[0] != "-" and label[-1] != "-"
)
domains = st.builds(
    lambda names, tld: ".".join([*names, tld]),
    st.lists(labels, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "co.uk", "de", "example", "xn--p1ai"]),
)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), max_size=20).map(
    str.strip
)
words = st.sampled_from(["pass", "fail", "none", "neutral", "softfail", "temperror", "permerror", "policy"])


@st.composite
def records(draw):
    return ParsedRecord(
        source_ip=str(draw(st.ip_addresses())),
        count=draw(st.integers(0, 2**63 - 1)),
        disposition=draw(st.sampled_from(["none", "quarantine", "reject", "pass"])),
        dkim=draw(st.sampled_from(["pass", "fail", ""])),
        spf=draw(st.sampled_from(["pass", "fail", ""])),
        header_from=draw(domains),
        envelope_from=draw(st.one_of(st.just(""), domains)),
        envelope_to=draw(st.one_of(st.just(""), domains)),
        reasons=draw(
            st.lists(
                st.builds(Reason, st.sampled_from(["forwarded", "local_policy", "other"]), texts), max_size=2
            )
        ),
        dkim_results=draw(
            st.lists(
                st.builds(DkimResult, domains, st.from_regex(r"[a-z0-9]{0,8}", fullmatch=True), words, texts),
                max_size=4,
            )
        ),
        spf_results=draw(
            st.lists(st.builds(SpfResult, domains, st.sampled_from(["mfrom", "helo", ""]), words), max_size=2)
        ),
    )


def shout(word: str, flip: bool) -> str:
    return word.upper() if flip else word


def render(rec: ParsedRecord, flip: bool, exploded_ip: bool) -> str:
    ip = ipaddress.ip_address(rec.source_ip).exploded if exploded_ip else rec.source_ip
    reasons = "".join(
        f"<reason><type>{shout(r.type, flip)}</type><comment>{escape(r.comment)}</comment></reason>"
        for r in rec.reasons
    )
    dkims = "".join(
        f"<dkim><domain>{shout(d.domain, flip)}.</domain><selector>{d.selector}</selector>"
        f"<result>{shout(d.result, flip)}</result>"
        f"<human_result>{escape(d.human_result)}</human_result></dkim>"
        for d in rec.dkim_results
    )
    spfs = "".join(
        f"<spf><domain>{s.domain}</domain>{f'<scope>{s.scope}</scope>' if s.scope else ''}"
        f"<result>{shout(s.result, flip)}</result></spf>"
        for s in rec.spf_results
    )
    pe = "".join(f"<{k}>{shout(v, flip)}</{k}>" for k, v in (("dkim", rec.dkim), ("spf", rec.spf)) if v)
    ids = "".join(
        f"<{k}>{v}</{k}>"
        for k, v in (("envelope_to", rec.envelope_to), ("envelope_from", rec.envelope_from))
        if v
    )
    return (
        f"<record><row><source_ip>{ip}</source_ip><count>{rec.count}</count><policy_evaluated>"
        f"<disposition>{rec.disposition}</disposition>{pe}{reasons}</policy_evaluated></row>"
        f"<identifiers>{ids}<header_from>{rec.header_from}</header_from></identifiers>"
        f"<auth_results>{dkims}{spfs}</auth_results></record>"
    )


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    recs=st.lists(records(), min_size=1, max_size=8),
    flip=st.booleans(),
    exploded_ip=st.booleans(),
    namespaced=st.booleans(),
)
def test_random_valid_reports_read_back_exactly(recs, flip, exploded_ip, namespaced):
    root = f'<feedback xmlns="{NS}">' if namespaced else "<feedback>"
    data = report(*(render(r, flip, exploded_ip) for r in recs), root=root)
    parsed, got = read(data)
    expected = [replace(r, source_ip=ipaddress.ip_address(r.source_ip).compressed) for r in recs]
    assert got == expected
    assert sum(r.count for r in got) == sum(r.count for r in recs)


@st.composite
def written_addresses(draw):
    """An address in any of the ways reporters write one, including IPv4 inside IPv6."""
    if draw(st.booleans()):
        addr = ipaddress.IPv4Address(draw(st.integers(0, 2**32 - 1)))
        return str(addr)
    addr = ipaddress.IPv6Address(draw(st.integers(0, 2**128 - 1)))
    v4 = ipaddress.IPv4Address(addr.packed[-4:])
    return draw(
        st.sampled_from(
            [str(addr), addr.exploded, addr.exploded.upper(), f"::ffff:{v4}", f"::{v4}", f"64:ff9b::{v4}"]
        )
    )


@settings(max_examples=200, deadline=None)
@given(written_addresses())
def test_any_ip_address_is_stored_as_the_ipaddress_module_writes_it(written):
    rec = only_record(report(RECORD.replace("192.0.2.1", written)))
    assert rec.source_ip == ipaddress.ip_address(written).compressed


def valid_report() -> bytes:
    return report(
        RECORD,
        numbered_record(2, 7).replace(
            "</policy_evaluated>", "<reason><type>other</type></reason></policy_evaluated>"
        ),
        numbered_record(3, 11),
        root=f'<feedback xmlns="{NS}">',
    )


def read_anyhow(data: bytes) -> None:
    """The importer's path; anything but a ReportError escaping it is a bug."""
    try:
        read_like_the_importer(data)
    except ReportError as e:
        assert str(e)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_nothing_but_report_error(data):
    read_anyhow(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40).map(lambda b: b"<feedback>" + b))
def test_random_bytes_after_a_feedback_tag_raise_nothing_but_report_error(data):
    read_anyhow(data)


@st.composite
def mutations(draw):
    data = bytearray(valid_report())
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]))
        i = draw(st.integers(0, len(data)))
        if op == "flip" and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 40))]
        elif op == "insert":
            data[i:i] = draw(
                st.sampled_from([b"<", b">", b"&", b"<x>", b"</record>", b"<record>", b"\xff", b"-"])
            )
        elif op == "truncate":
            del data[i:]
        elif op == "duplicate":
            j = draw(st.integers(i, min(len(data), i + 200)))
            data[j:j] = data[i:j]
    return bytes(data)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(mutations())
def test_mutated_reports_raise_nothing_but_report_error(data):
    read_anyhow(data)
