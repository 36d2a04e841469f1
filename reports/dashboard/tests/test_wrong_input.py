"""Wrong input says so on every page: an unknown domain is a 404 (never another domain in its
place), and a reversed, future or malformed range shows an error rather than silently the default."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

PAGES = ["overview", "sources", "senders", "sources_csv", "report_list", "selectors"]


def url(name: str) -> str:
    return reverse(name)


@pytest.mark.parametrize("name", PAGES + ["source"])
def test_an_unknown_domain_answers_404_on_every_page(superuser_client, operator_client, scenario, name):
    path = reverse("source", args=["192.0.2.10"]) if name == "source" else url(name)
    assert superuser_client.get(path + "?domain=nosuch.example").status_code == 404
    # A domain the operator may not see is answered like one that does not exist.
    assert operator_client.get(path + "?domain=other.example").status_code == 404
    assert superuser_client.get(path + "?domain=example.com").status_code == 200


@pytest.mark.parametrize("name", ["overview", "sources", "senders", "report_list", "selectors"])
def test_a_bad_range_shows_an_error_on_every_page(superuser_client, scenario, name):
    today = timezone.now().date()
    bad = {
        "reversed": (
            today - timedelta(days=3),
            today - timedelta(days=9),
            "The start date is after the end date.",
        ),
        "future": (today - timedelta(days=3), today + timedelta(days=30), "is in the future"),
    }
    for start, end, said in bad.values():
        query = f"?domain=example.com&range=custom&start={start}&end={end}"
        body = superuser_client.get(url(name) + query).content.decode()
        errors = body[body.index('id="range-errors"') :]
        assert said in errors[: errors.index("</div></div>")] and "Showing the last 30 days instead." in body
    body = superuser_client.get(url(name) + "?domain=example.com&range=45").content.decode()
    assert 'id="range-errors"' in body


def test_a_bad_window_on_the_readiness_page_says_so(superuser_client, scenario):
    page = reverse("rollout", args=["example.com"])
    for days in ("0", "abc", "400"):
        body = superuser_client.get(f"{page}?days={days}").content.decode()
        assert 'id="days-error"' in body and "from 1 to 366" in body
    assert 'id="days-error"' not in superuser_client.get(f"{page}?days=14").content.decode()
    assert superuser_client.get(reverse("rollout", args=["nosuch.example"])).status_code == 404


def test_the_pass_columns_are_named_alignment_and_coloured_by_dmarc(superuser_client, scenario):
    from reports.shared.counts import Counts

    header = (
        superuser_client.get(reverse("sources_csv") + "?domain=example.com").content.decode().splitlines()[0]
    )
    assert "dkim_aligned,dkim_aligned_pct,spf_aligned,spf_aligned_pct" in header and "dkim_pass" not in header
    page = superuser_client.get(reverse("sources") + "?domain=example.com").content.decode()
    assert "DKIM aligned" in page and "SPF aligned" in page and "DKIM pass" not in page
    # Mailchimp-like: SPF aligned for 74.9%, DKIM aligned and DMARC passing for all: SPF is not red.
    mailchimp = Counts(messages=1000, dmarc_pass=1000, dkim_pass=1000, spf_pass=749)
    assert mailchimp.grades == {"dmarc": "good", "dkim": "good", "spf": "muted"}
    failing = Counts(messages=1000, dmarc_pass=700, dkim_pass=700, spf_pass=600)
    assert failing.grades == {"dmarc": "bad", "dkim": "bad", "spf": "bad"}
