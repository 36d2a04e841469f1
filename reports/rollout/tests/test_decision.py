"""The decision block's rules over plain data."""

import pytest

from reports.rollout import decision as d


@pytest.mark.parametrize(
    ("share", "threshold", "text"),
    [
        (0.9796, 0.98, "97.96%"),  # never 98.0% beside a failed check
        (0.97996, 0.98, "97.996%"),
        (0.979999999, 0.98, "97.9999%"),
        (0.98, 0.98, "98.0%"),
        (0.9804, 0.98, "98.0%"),
        (0.9751, 0.98, "97.5%"),
        (1.0, 0.98, "100.0%"),
    ],
)
def test_a_percentage_is_never_rounded_across_its_threshold(share, threshold, text):
    assert d.pct_text(share, threshold) == text


def test_subdomain_advice_names_sp_and_np():
    advice = d.subdomain_advice({}, "quarantine", ["news.example.com"])
    assert "Without sp=, subdomains get p=quarantine too." in advice[0]
    assert "news.example.com" in advice[0] and "sp=none" in advice[0]
    assert "np=reject" in advice[1]
    kept = d.subdomain_advice({"sp": "none", "np": "reject"}, "reject", [])
    assert "sp=none keeps subdomains at a weaker policy" in kept[0]
    assert kept[1].startswith(
        "np=reject sets the policy for non-existent subdomains; it stays in the record."
    )
    assert "relax it while t=y is set" in kept[1]


def test_the_what_if_counts_only_what_changes_at_the_next_stage():
    flows = [
        d.Flow("aligned", "none", 9000),
        d.Flow("misconfigured", "none", 300),
        d.Flow("unknown", "none", 600),
        d.Flow("forwarded", "none", 60),
        d.Flow("forwarded", "none", 40, arc_trusted=True),
    ]
    w = d.what_if(flows, "none", "quarantine", 10)
    rows = {r.category: r for r in w.rows}
    assert (rows["misconfigured"].per_day, rows["unknown"].per_day, rows["forwarded"].per_day) == (30, 60, 6)
    assert rows["unknown"].share == 600 / 10000 and rows["unknown"].share_text == "6.00%"
    assert (w.arc.messages, w.arc.per_day) == (40, 4)
    assert (w.change.messages, w.change.per_day) == (960, 96)
    assert w.becomes == "sent to spam"


def test_at_the_reject_step_mail_already_rejected_is_no_change():
    flows = [
        d.Flow("aligned", "none", 1000),
        d.Flow("unknown", "quarantine", 80),
        d.Flow("unknown", "reject", 20),  # a receiver rejecting already
        d.Flow("forwarded", "none", 10, arc_trusted=True),
    ]
    w = d.what_if(flows, "quarantine", "reject", 1)
    assert {r.category: r.messages for r in w.rows} == {"misconfigured": 0, "forwarded": 0, "unknown": 80}
    assert w.arc.messages == 10 and w.was == "in spam"


def test_no_next_stage_or_a_monitoring_record_changes_nothing():
    assert d.what_if([d.Flow("unknown", "none", 5)], "reject", None, 1).rows == []
    assert d.what_if([d.Flow("unknown", "none", 5)], "none", "none", 1).change is None


def test_the_what_if_rate_of_a_sender_that_started_lately_counts_from_its_first_day():
    # 384 messages of a sender that started 3 days ago: 128 a day, not 384 over the 29-day window.
    flows = [d.Flow("misconfigured", "none", 384, days=3), d.Flow("unknown", "none", 290)]
    w = d.what_if(flows, "none", "quarantine", 29)
    rows = {r.category: r.per_day for r in w.rows}
    assert rows == {"misconfigured": 128.0, "forwarded": 0.0, "unknown": 10.0}
    assert w.change.per_day == 138.0


def test_list_mail_whose_from_is_rewritten_is_delivered_not_sent_to_spam():
    flows = [d.Flow("forwarded", "none", 290, rewritten=True), d.Flow("forwarded", "none", 58)]
    w = d.what_if(flows, "none", "quarantine", 29)
    assert {r.category: r.per_day for r in w.rows}["forwarded"] == 2.0
    assert w.rewritten.per_day == 10.0 and w.change.per_day == 2.0
    assert w.as_json()["forwarded_rewritten"]["messages_per_day"] == 10.0
