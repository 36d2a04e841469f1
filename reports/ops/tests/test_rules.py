"""The service's rules, without database or network."""

from datetime import UTC, datetime, timedelta

from reports.ops.rules import Check, Readiness, bucket_bounds, fresh, ingest_counts, origin_kind


def test_an_input_is_counted_by_how_it_arrived():
    assert origin_kind("imap://env/INBOX;UIDVALIDITY=1/;UID=2") == "mail"
    assert origin_kind("upload:r.zip") == "upload"
    assert origin_kind("/data/r.xml") == "file"


def test_one_input_adds_to_every_bucket_from_its_duration_up():
    counts = ingest_counts("upload:x", {"imported": 2, "duplicate": 1}, 30, 0.3)
    assert counts[("dmarc_reports_ingested", (("kind", "upload"), ("outcome", "imported")))] == 2
    assert counts[("dmarc_reports_ingested", (("kind", "upload"), ("outcome", "duplicate")))] == 1
    filled = [
        le for le in bucket_bounds() if ("dmarc_ingest_duration_seconds_bucket", (("le", le),)) in counts
    ]
    assert filled == bucket_bounds()[bucket_bounds().index("0.5") :]
    assert counts[("dmarc_ingest_duration_seconds_sum", ())] == 0.3


def test_a_sign_of_life_older_than_the_limit_is_down():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert fresh("worker", now - timedelta(seconds=10), now, 45, "heartbeat").ok
    stale = fresh("worker", now - timedelta(seconds=50), now, 45, "heartbeat")
    assert not stale.ok and stale.age == 50
    assert not fresh("beat", None, now, 45, "task").ok
    assert fresh("worker", 100.0, 120.0, 45, "heartbeat").age == 20


def test_anyone_reads_a_word_per_check_and_operators_the_detail():
    result = Readiness(
        [Check("database", True, "ok"), Check("redis", False, "redis://10.0.0.5:6379 refused")]
    )
    assert not result.ok
    assert result.public() == {"status": "down", "checks": {"database": "ok", "redis": "down"}}
    assert "10.0.0.5" in str(result.full())
