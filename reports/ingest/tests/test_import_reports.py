"""import_reports end to end, against PostgreSQL, on the real corpus and on hostile inputs."""

import csv
import gzip
import io
import json
import zlib

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum

from reports.demo.report_xml import record_xml, report_xml
from reports.harness.corpus import corpus_dir
from reports.ingest import store
from reports.models import DailyRollup, Record, Rejection, Report, SourcePeriod

pytestmark = pytest.mark.django_db


def run_import(*paths, expect_exit=None):
    out = io.StringIO()
    if expect_exit is None:
        call_command("import_reports", "--json", *map(str, paths), stdout=out)
    else:
        with pytest.raises(SystemExit) as exc:
            call_command("import_reports", "--json", *map(str, paths), stdout=out)
        assert exc.value.code == expect_exit
    return [json.loads(line) for line in out.getvalue().splitlines()]


def expected_rows():
    with open(corpus_dir() / "EXPECTED-parsedmarc.tsv", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_it_imports_the_whole_corpus_with_parsedmarcs_figures():
    folder = corpus_dir() / "parsedmarc"
    lines = run_import(folder, expect_exit=1)  # empty.xml is rejected
    by_file = {}
    for line in lines:
        by_file.setdefault(line["source"].rsplit("/", 1)[-1], []).append(line)

    rows = expected_rows()
    assert {r["file"] for r in rows} == set(by_file), "every corpus file gets at least one line"
    for row in rows:
        outcomes = by_file[row["file"]]
        assert len(outcomes) == 1, (row["file"], outcomes)
        got = outcomes[0]
        if row["parsed_by_parsedmarc"] == "no":
            assert got["status"] == "rejected"
            assert "empty" in got["error"].lower()
            continue
        assert got["status"] in ("imported", "duplicate"), (row["file"], got)
        assert got["messages"] == int(row["messages"]), row["file"]
        if got["org_name"] != row["org_name"]:
            # parsedmarc lower-cases some reporter names (Outlook.com); we keep
            # the reporter's own spelling, which is what the file says.
            assert got["org_name"].lower() == row["org_name"].lower(), row["file"]
            raw = (folder / row["file"]).read_bytes()
            assert f"<org_name>{got['org_name']}</org_name>".encode() in raw, row["file"]
        assert got["report_id"] == row["report_id"], row["file"]
        assert got["domain"] == row["policy_domain"], row["file"]

    # One report in three containers is stored once; two damaged copies of two
    # clean reports collapse onto them; changed-input is another reporter's.
    statuses = {f: o[0]["status"] for f, o in by_file.items()}
    nice = [statuses[f] for f in ("nice-input.xml", "nice-input.xml.gz", "nice-input.xml.zip")]
    assert sorted(nice) == ["duplicate", "duplicate", "imported"]
    assert statuses["changed-input.xml"] == "imported"
    assert Report.objects.count() == 20
    unique = {
        (r["org_name"], r["report_id"], r["policy_domain"]): int(r["messages"]) for r in rows if r["messages"]
    }
    assert Report.objects.aggregate(n=Sum("message_count"))["n"] == sum(unique.values())
    assert (
        Report.objects.get(org_name="accurateplastics.com", report_id="example.com:1711897200").record_count
        == 2286
    )


def test_the_clean_copy_wins_over_a_damaged_one_whatever_the_order():
    folder = corpus_dir() / "parsedmarc"
    # invalid_xml.xml sorts before its clean twin, so it is stored first.
    damaged = run_import(folder / "invalid_xml.xml")[0]
    assert damaged["status"] == "imported"
    assert any("recovered" in w for w in damaged["warnings"])
    clean = run_import(folder / "veeam.com!example.com!1530133200!1530219600.xml")[0]
    assert clean["status"] == "imported"
    report = Report.objects.get(report_id="sonexushealth.com:1530233361")
    assert not report.recovered
    assert report.email == "noreply.it.dmarc@veeam.com"
    assert list(Record.objects.filter(report=report).values_list("header_from", flat=True)) == ["example.com"]
    assert DailyRollup.objects.aggregate(n=Sum("messages"))["n"] == 1
    # And a damaged copy arriving after the clean one is a plain duplicate.
    assert run_import(folder / "invalid_xml.xml")[0]["status"] == "duplicate"


def test_a_second_run_finds_only_duplicates():
    folder = corpus_dir() / "parsedmarc"
    run_import(folder, expect_exit=1)
    count = Report.objects.count()
    lines = run_import(folder, expect_exit=1)
    assert Report.objects.count() == count
    assert {line["status"] for line in lines} == {"duplicate", "rejected"}


def test_it_exits_zero_and_prints_a_summary_when_nothing_is_rejected(tmp_path):
    (tmp_path / "a.xml").write_bytes(report_xml(report_id="a"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.xml.gz").write_bytes(gzip.compress(report_xml(report_id="b")))
    (tmp_path / "notes.txt").write_text("just some notes")
    out = io.StringIO()
    call_command("import_reports", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "imported 2, duplicate 0, rejected 0, not a report 1" in text
    assert Report.objects.count() == 2


def test_one_bad_input_does_not_stop_the_others(tmp_path):
    (tmp_path / "1-bad.xml").write_bytes(report_xml(records=[record_xml(count=-4)], report_id="bad"))
    (tmp_path / "2-good.xml").write_bytes(report_xml(report_id="good"))
    lines = run_import(tmp_path, expect_exit=1)
    assert [line["status"] for line in lines] == ["rejected", "imported"]
    assert "count" in lines[0]["error"].lower()
    assert list(Report.objects.values_list("report_id", flat=True)) == ["good"]
    rejection = Rejection.objects.get()
    assert rejection.origin.endswith("1-bad.xml")
    assert (
        zlib.decompress(bytes(rejection.original), 16 + zlib.MAX_WBITS)
        == (tmp_path / "1-bad.xml").read_bytes()
    )


def test_values_longer_than_the_database_columns_are_kept_whole_cut_or_refused(tmp_path):
    long_host = "a" * 300 + ".example.com"
    (tmp_path / "1-long-id.xml").write_bytes(report_xml(report_id="r" * 300))
    (tmp_path / "2-wide-org.xml").write_bytes(report_xml(org_name="\u20ac" * 250, report_id="wide"))
    (tmp_path / "3-long-values.xml").write_bytes(
        report_xml(
            records=[record_xml(header_from=long_host, disposition="x" * 40)], p="q" * 40, report_id="long"
        )
    )
    (tmp_path / "4-good.xml").write_bytes(report_xml(report_id="good"))

    lines = run_import(tmp_path, expect_exit=1)

    assert [line["status"] for line in lines] == ["rejected", "rejected", "imported", "imported"]
    assert "report_id is longer than 255 characters" in lines[0]["error"]
    assert "org_name is longer than 255 characters" in lines[1]["error"]  # 750 bytes of UTF-8
    # A record's values are kept whole, but a header_from that is no domain name (a label of
    # 300 characters) is left empty; a policy value is cut; the report says so each time.
    record = Record.objects.get(report__report_id="long")
    assert (record.header_from, record.disposition) == ("", "x" * 40)
    assert any(w.startswith("A record's header_from 'aaaa") for w in lines[2]["warnings"])
    assert Report.objects.get(report_id="long").p == "q" * 16
    assert any("policy_published p was longer than 16" in w for w in lines[2]["warnings"])
    assert DailyRollup.objects.filter(report__report_id="long").exists()
    assert set(Report.objects.values_list("report_id", flat=True)) == {"long", "good"}
    assert Rejection.objects.count() == 2


def test_counts_that_add_up_past_a_bigint_reject_only_that_report(tmp_path):
    big = 2**62
    (tmp_path / "1-huge.xml").write_bytes(report_xml(records=[record_xml(count=big)] * 2, report_id="huge"))
    (tmp_path / "2-good.xml").write_bytes(report_xml(records=[record_xml(count=big)], report_id="good"))
    # Each report fits on its own, but the day's total over both would not.
    (tmp_path / "3-more.xml").write_bytes(report_xml(records=[record_xml(count=big)], report_id="more"))

    lines = run_import(tmp_path, expect_exit=1)

    assert [line["status"] for line in lines] == ["rejected", "imported", "rejected"]
    assert "add up to more than 2^63-1" in lines[0]["error"]
    assert lines[2]["error"].startswith("The database refused the report: bigint out of range")
    assert list(Report.objects.values_list("report_id", flat=True)) == ["good"]
    assert DailyRollup.objects.aggregate(n=Sum("messages"))["n"] == big


def test_a_report_with_more_sources_than_the_rollup_holds_writes_its_sums_early(tmp_path, monkeypatch):
    # Several days, five sources, some in several records: with room for one (day, source)
    # sum and batches of two records, the sums are written many times over.
    ips = ["192.0.2.1", "192.0.2.2", "192.0.2.1", "2001:db8::1", "192.0.2.3", "192.0.2.2", "192.0.2.4"]
    records = [record_xml(ip=ip, count=7 * i + 1) for i, ip in enumerate(ips)]
    (tmp_path / "r.xml").write_bytes(report_xml(records=records, begin=1700000000, end=1700259199))

    def stored():
        per_day = DailyRollup.objects.values_list("day", "source_ip").annotate(n=Sum("messages"))
        periods = SourcePeriod.objects.values_list("period", "start", "source_ip", "messages", "first_day")
        return sorted(per_day), sorted(periods), DailyRollup.objects.count()

    with transaction.atomic():
        [line] = run_import(tmp_path)
        expected_days, expected_periods, rows = stored()
        transaction.set_rollback(True)
    assert rows == len(expected_days)  # one row per (day, source) normally
    assert len({ip for _, ip, _ in expected_days}) == 5 and len({d for d, _, _ in expected_days}) > 1

    monkeypatch.setattr(store, "BATCH", 2)
    monkeypatch.setattr(store, "ROLLUP_KEYS", 1)
    [again] = run_import(tmp_path)

    assert again["status"] == line["status"] == "imported"
    days, periods, rows = stored()
    assert rows > len(days)  # written early, so some (day, source) pairs have several rows
    assert (days, periods) == (expected_days, expected_periods)
    assert sum(n for *_, n in days) == again["messages"] == sum(7 * i + 1 for i in range(len(ips)))


def test_a_period_longer_than_the_limit_is_imported_over_its_last_days_with_a_warning(tmp_path):
    day = 86400
    (tmp_path / "1-decades.xml").write_bytes(
        report_xml(records=[record_xml(count=5)] * 3, begin=0, end=1700000000, report_id="decades")
    )
    (tmp_path / "2-quarter.xml").write_bytes(
        report_xml(
            records=[record_xml(count=920)], begin=1700006400, end=1700006400 + 92 * day, report_id="92d"
        )
    )

    lines = run_import(tmp_path)

    assert [line["status"] for line in lines] == ["imported", "imported"]
    assert lines[0]["warnings"] == [
        "The report's date range spans 19,676 days (1970-01-01 to 2023-11-14), more than"
        " DMARC_MAX_PERIOD_DAYS (92): its counts are spread over its last 92 days, from 2023-08-14"
    ]
    assert Report.objects.get(report_id="decades").warnings == lines[0]["warnings"]
    decades = (
        DailyRollup.objects.filter(report__report_id="decades").values_list("day").annotate(n=Sum("messages"))
    )
    assert sum(n for _, n in decades) == 15  # totals exact
    assert len(decades) <= 93 and min(d for d, _ in decades).isoformat() >= "2023-08-14"
    # The quarter is within the limit: spread over its 92 days, ten messages a day.
    per_day = (
        DailyRollup.objects.filter(report__report_id="92d").values_list("day").annotate(n=Sum("messages"))
    )
    assert len(per_day) == 92 and {n for _, n in per_day} == {10}
    assert not lines[1]["warnings"]


def test_a_three_year_test_report_of_a_converter_is_imported(tmp_path):
    # Converters' test suites carry reports whose period spans years (here 2019 to 2022).
    (tmp_path / "three-years.xml").write_bytes(
        report_xml(
            records=[record_xml(count=4, ip=f"192.0.2.{i}") for i in range(1, 4)],
            begin=1546300800,
            end=1640995199,
            report_id="three-years",
        )
    )
    [line] = run_import(tmp_path)
    assert line["status"] == "imported" and line["messages"] == 12
    assert "spread over its last 92 days" in line["warnings"][0]
    assert DailyRollup.objects.aggregate(n=Sum("messages"))["n"] == 12


@pytest.mark.slow
def test_a_gzip_bomb_is_rejected_and_nothing_is_stored(tmp_path):
    # 1 GiB of XML-looking text that compresses to about 1 MiB.
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [comp.compress(b"<feedback><report_metadata><org_name>")]
    chunk = b"A" * (1 << 20)
    parts += [comp.compress(chunk) for _ in range(1024)]
    parts.append(comp.flush())
    (tmp_path / "bomb.xml.gz").write_bytes(b"".join(parts))
    lines = run_import(tmp_path, expect_exit=1)
    assert len(lines) == 1 and lines[0]["status"] == "rejected"
    assert "MiB" in lines[0]["error"] or "limit" in lines[0]["error"].lower()
    assert Report.objects.count() == 0 and Record.objects.count() == 0


def test_a_file_over_the_input_limit_is_not_read(tmp_path, settings):
    settings.DMARC_MAX_INPUT_BYTES = 1000
    (tmp_path / "big.xml").write_bytes(report_xml(records=[record_xml()] * 20))
    lines = run_import(tmp_path, expect_exit=1)
    assert lines[0]["status"] == "rejected" and "limit" in lines[0]["error"]
    assert Report.objects.count() == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_several_worker_processes_store_each_report_once(tmp_path):
    for i in range(6):
        (tmp_path / f"r{i}.xml").write_bytes(report_xml(report_id=f"p{i}", records=[record_xml(count=i + 1)]))
    (tmp_path / "copy.xml").write_bytes(report_xml(report_id="p0", records=[record_xml(count=1)]))
    out = io.StringIO()
    call_command("import_reports", "--json", "--jobs", "2", str(tmp_path), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    # Lines come back in file order whatever process did the work.
    assert [line["source"].rsplit("/", 1)[-1] for line in lines] == ["copy.xml"] + [
        f"r{i}.xml" for i in range(6)
    ]
    assert sorted(line["status"] for line in lines) == ["duplicate"] + ["imported"] * 6
    assert Report.objects.count() == 6
    assert Report.objects.aggregate(n=Sum("message_count"))["n"] == 21
