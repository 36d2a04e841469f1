"""Query parameters and URL parts are hostile: a bad one gives a 400/404 or the default, never a 500."""

from datetime import date
from urllib.parse import quote

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.demo import tls_json
from reports.demo.report_xml import record_xml
from reports.harness import pages
from reports.harness.builders import daily_report, import_ok
from reports.harness.dns_server import DnsServer

# The URLs a security review found answering 500, and their neighbours.
PROBES = [
    ("/reports/?q=%00", 200),
    ("/sources/?page=99999999999999999999", 200),
    ("/sources/192.0.2.1/?domain=example.com&page=99999999999999999999", 200),
    ("/sources/?q=fe80::1%25eth0", 200),
    ("/sources.csv?q=fe80::1%25eth0", 200),
    ("/sources/fe80::1%25eth0/", 400),
    ("/sources/999.1.1.1/", 400),
    ("/?range=custom&start=0001-01-01&end=2026-01-01", 200),
    ("/?range=custom&start=2026-01-01&end=9999-12-31", 200),
    ("/sources/?range=custom&start=0001-01-01&end=9999-12-31", 200),
    ("/rollout/%00/", 400),
    ("/rollout/evil%2Fx.example/", 400),
    ("/rollout/unknown.example/", 404),
    ("/rollout/example.com/?days=%00", 200),
    ("/reports/?page=-1", 200),
]


@pytest.fixture
def one_report(db):
    import_ok(daily_report(1, [record_xml(ip="192.0.2.1", count=3)]))
    # And a TLS report, for the TLS pages.
    failures = [tls_json.failure("certificate-expired", "mx1.example.com", 2)]
    import_ok(tls_json.dumps(tls_json.microsoft("example.com", timezone.now().date(), failures=failures)))


@pytest.mark.parametrize(("url", "status"), PROBES)
def test_a_hostile_url_gets_a_clear_answer_not_a_500(superuser_client, one_report, url, status):
    assert superuser_client.get(url).status_code == status


def test_a_url_part_that_is_no_address_or_domain_says_so(superuser_client, one_report):
    response = superuser_client.get("/sources/fe80::1%25eth0/")
    assert response.status_code == 400
    assert "This address does not name an IP address." in response.content.decode()
    assert "does not name a domain name" in superuser_client.get("/rollout/%00/").content.decode()


def test_a_custom_range_at_the_ends_of_the_calendar_says_why_and_shows_the_default(
    superuser_client, one_report
):
    for query in ("start=0001-01-01&end=0001-12-31", "start=9999-01-01&end=9999-12-31"):
        response = superuser_client.get(f"/?range=custom&{query}")
        assert response.status_code == 200
        assert "A range must lie between 1970-01-01 and 2999-12-31." in response.content.decode()
        assert response.context["preset"] == "30"


def test_a_bad_page_number_keeps_the_search(superuser_client, one_report):
    body = superuser_client.get("/sources/?q=192.0.2&page=99999999999999999999").content.decode()
    assert 'value="192.0.2"' in body and "192.0.2.1" in body


# --- Property-based: random strings, numbers, dates and IP texts in every parameter of every page ---

# Every page a signed-in user reads (reports.harness.pages), each sent every parameter some page reads.
FUZZED = [p.name for p in pages.app_pages() if p.reads and p.answer(pages.SUPERUSER) == 200]
PARAMETERS = pages.parameters()
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(
    texts,
    st.integers().map(str),
    st.integers(min_value=10**15, max_value=10**40).map(str),
    st.floats(allow_nan=True).map(str),
    st.dates().map(date.isoformat),
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda ip: f"{ip}%eth0"),
    st.sampled_from(["custom", "7", "30", "-1", "0", "messages", "asc", "desc", "on", "gz", "example.com"]),
)
queries = st.dictionaries(st.sampled_from(PARAMETERS), values, max_size=6)


@pytest.fixture
def every_page(superuser_client, one_report, dns_server, settings):
    """The pages (paths: the query is drawn), with a real DNS server answering the readiness page."""
    settings.DMARC_DNS_NAMESERVERS = [f"127.0.0.1:{dns_server.port}"]
    settings.DMARC_DNS_TIMEOUT = 1
    s = pages.subjects("example.com", ip="192.0.2.1")
    return [pages.page(name).url(s).split("?")[0] for name in FUZZED]


@pytest.fixture(scope="module")
def dns_server():
    with DnsServer() as server:
        server.txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com")
        server.serve()
        yield server


def test_the_fuzz_reaches_the_pages_it_always_did():
    reached = set(FUZZED)
    assert {"overview", "sources", "sources_csv", "source", "report_list", "report_detail", "report_download",
            "status", "rollout_how", "rollout"} <= reached  # fmt: skip
    assert {
        "domain",
        "range",
        "start",
        "end",
        "page",
        "q",
        "failing",
        "sort",
        "dir",
        "days",
        "format",
    } <= set(PARAMETERS)


@pytest.mark.slow
@settings(
    max_examples=15 * len(FUZZED),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), query=queries)
def test_no_query_parameter_makes_any_page_fail(superuser_client, every_page, data, query):
    url = data.draw(st.sampled_from(every_page), label="page")
    response = superuser_client.get(url, query)
    # A source link without ?domain= opens the domain that has the source.
    redirected = response.status_code == 302 and "domain=" in response.get("Location", "")
    # A domain the user has no reports for is not found, never replaced by another one.
    unknown = response.status_code == 404 and (query.get("domain") or "").strip() not in ("", "example.com")
    assert response.status_code in (200, 400) or redirected or unknown, (url, query, response.status_code)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=st.one_of(texts, st.ip_addresses().map(str), st.ip_addresses(v=6).map(lambda ip: f"{ip}%eth0")))
def test_no_path_part_makes_a_page_fail(superuser_client, one_report, part):
    for prefix in ("/sources/", "/rollout/"):
        response = superuser_client.get(prefix + quote(part, safe="") + "/")
        assert response.status_code in (200, 400, 404), (prefix, part, response.status_code)
