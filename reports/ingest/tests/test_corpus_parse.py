"""Every plain-XML sample of the shared corpus, read the way the importer reads it, against
parsedmarc's figures in EXPECTED-parsedmarc.tsv. Pure: no database. The .gz/.zip/.eml samples
go through unpacking and are covered end to end by the import tests."""

from __future__ import annotations

import csv

import pytest

from reports.harness.corpus import corpus_dir
from reports.ingest.errors import ReportError
from reports.ingest.parser import BrokenXml, parse

SAMPLES = corpus_dir() / "parsedmarc"
XML_FILES = sorted(p.name for p in SAMPLES.iterdir() if p.name.endswith(".xml") and p.name != "empty.xml")
# The samples that are damaged on purpose (see the corpus README) and need recover mode.
DAMAGED = {"ikea.com!example.de!1538690400!1538776800.xml", "invalid_utf_8.xml", "invalid_xml.xml"}


def expected() -> dict[str, dict[str, str]]:
    with open(corpus_dir() / "EXPECTED-parsedmarc.tsv", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}


def read_like_the_importer(data: bytes):
    """Strict first; on BrokenXml, wherever it surfaces, start again in recover mode."""
    try:
        parsed = parse(data)
        return parsed, list(parsed.records), False
    except BrokenXml:
        parsed = parse(data, recover=True)
        return parsed, list(parsed.records), True


def test_the_corpus_has_the_plain_xml_samples_this_file_is_about():
    assert len(XML_FILES) >= 17
    assert DAMAGED.issubset(XML_FILES)


@pytest.mark.parametrize("name", XML_FILES)
def test_each_sample_reads_with_parsedmarcs_figures(name):
    want = expected()[name]
    assert want["parsed_by_parsedmarc"] == "yes"
    parsed, records, recovered = read_like_the_importer((SAMPLES / name).read_bytes())
    h = parsed.header

    assert sum(r.count for r in records) == int(want["messages"])
    assert h.report_id == want["report_id"]
    assert h.policy.domain == want["policy_domain"]
    if name.startswith("protection.outlook.com!"):
        # The file says <org_name>Outlook.com</org_name>; parsedmarc lower-cases org names that
        # look like domains. We keep the reporter's own spelling: it is what users see.
        assert b"<org_name>Outlook.com</org_name>" in (SAMPLES / name).read_bytes()
        assert h.org_name == "Outlook.com"
        assert h.org_name.lower() == want["org_name"]
    else:
        assert h.org_name == want["org_name"]

    assert recovered == (name in DAMAGED)
    if recovered:
        assert any(w.startswith("The XML was damaged and was recovered:") for w in parsed.warnings)


def test_the_empty_sample_is_rejected_with_a_clear_error():
    data = (SAMPLES / "empty.xml").read_bytes()
    assert data == b""
    assert expected()["empty.xml"]["parsed_by_parsedmarc"] == "no"
    with pytest.raises(ReportError, match="^The file is empty$"):
        parse(data)


@pytest.mark.parametrize(
    ("clean", "damaged"),
    [
        ("!example.com!1538204542!1538463818.xml", "invalid_utf_8.xml"),
        ("veeam.com!example.com!1530133200!1530219600.xml", "invalid_xml.xml"),
    ],
)
def test_a_damaged_copy_reads_like_its_clean_original_apart_from_the_damage(clean, damaged):
    a, a_records, a_recovered = read_like_the_importer((SAMPLES / clean).read_bytes())
    b, b_records, b_recovered = read_like_the_importer((SAMPLES / damaged).read_bytes())
    assert (a_recovered, b_recovered) == (False, True)
    assert (a.header.org_name, a.header.report_id, a.header.begin, a.header.end) == (
        b.header.org_name,
        b.header.report_id,
        b.header.begin,
        b.header.end,
    )
    assert [(r.source_ip, r.count, r.disposition) for r in a_records] == [
        (r.source_ip, r.count, r.disposition) for r in b_records
    ]
    # The damage sits in header_from: "bad_byte" and an invalid byte, no domain name, is left
    # empty and the report says so; "bad" (cut at a stray tag) is a name, kept as lxml read it.
    assert a_records[0].header_from == "example.com"
    if damaged == "invalid_utf_8.xml":
        assert b_records[0].header_from == ""
        assert any(w.startswith("A record's header_from 'bad_byte") for w in b.warnings)
    else:
        assert b_records[0].header_from == "bad"


def test_the_empty_org_name_samples_are_named_after_the_email_domain_with_a_warning():
    parsed, _, _ = read_like_the_importer((SAMPLES / "!example.com!1538204542!1538463818.xml").read_bytes())
    assert b"<org_name></org_name>" in (SAMPLES / "!example.com!1538204542!1538463818.xml").read_bytes()
    assert parsed.header.org_name == "accurateplastics.com"
    assert any("no org_name" in w for w in parsed.warnings)


def test_the_rfc9990_samples_are_recognised():
    for name in ("rfc9990-sample.xml", "rfc9990-example.net!example.com!1700000000!1700086399.xml"):
        parsed, _, _ = read_like_the_importer((SAMPLES / name).read_bytes())
        assert parsed.header.schema == "rfc9990"
        assert parsed.header.policy.discovery_method == "treewalk"


def test_the_large_sample_streams_all_its_records():
    parsed, records, _ = read_like_the_importer(
        (SAMPLES / "!large-example.com!1711897200!1711983600.xml").read_bytes()
    )
    assert len(records) == 2286
    assert len({r.source_ip for r in records}) == 2286


def test_upper_cased_results_are_read_as_words():
    parsed, [rec], _ = read_like_the_importer((SAMPLES / "report_with_upper_cased_pass.xml").read_bytes())
    assert (rec.disposition, rec.dkim, rec.spf) == ("none", "pass", "pass")
    assert [r.result for r in rec.dkim_results + rec.spf_results] == ["pass", "pass"]
    assert parsed.header.org_name == "example.com"  # "example.com " in the file


def test_the_empty_reason_sample_drops_the_empty_reason():
    parsed, [rec], _ = read_like_the_importer((SAMPLES / "empty_reason.xml").read_bytes())
    assert rec.reasons == []
    assert "Empty <reason> elements were ignored" in parsed.warnings
