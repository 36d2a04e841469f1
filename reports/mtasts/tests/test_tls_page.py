"""The TLS page of a domain and its MX drill-down, and the TLS figures on the overview and the
domains list: counts equal a rebuild from the stored report rows, every hostile value is escaped."""

import re
from html import unescape

import pytest
from django.db.models import Sum

from reports.harness.builders import HOSTILE_ORG, OTHER, OWN
from reports.models import TlsFailure, TlsPolicyResult

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_tls_page_adds_up_to_the_reports_and_explains_each_failure(client, superuser, scenario):
    client.force_login(superuser)
    page = text(client.get(f"/tls/{OWN}/"))
    rows = TlsPolicyResult.objects.filter(domain=OWN).aggregate(
        ok=Sum("successful_sessions"), bad=Sum("failed_sessions")
    )
    assert (rows["ok"], rows["bad"]) == (993, 7)
    assert re.search(r'data-total="failed">7<', page)
    assert re.search(r'data-total="rate">99\.30%<', page)
    assert 'data-type="certificate-expired"' in page and "Renew the certificate" in page
    assert f'data-mx="mx1.{OWN}"' in page and 'data-reporter="Microsoft Corporation"' in page
    assert 'id="tls-data"' in page and "js/tls.js" in page
    # The stage as reported until a check has run.
    assert "<code>testing</code>" in page and "as reported" in page

    mx = text(client.get(f"/tls/{OWN}/mx/mx1.{OWN}/"))
    assert re.search(r'data-total="failed">7<', mx) and "192.0.2.10" in mx and "Microsoft Corporation" in mx
    assert TlsFailure.objects.filter(domain=OWN).aggregate(n=Sum("failed_sessions"))["n"] == 7


def test_overview_and_domains_list_show_the_tls_rate_and_stage(client, superuser, scenario):
    client.force_login(superuser)
    overview = text(client.get(f"/?domain={OWN}"))
    assert re.search(r'<a href="/tls/example.com/" data-total="tls">99\.30%<', overview)
    domains = text(client.get("/domains/"))
    assert 'data-tls="99.3"' in domains and 'data-mta-sts="testing"' in domains
    assert f'href="/tls/{OTHER}/"' in domains


def test_hostile_values_render_as_text(client, superuser, scenario, hostile):
    client.force_login(superuser)
    for url in (f"/tls/{OWN}/", f"/tls/{OWN}/mx/mx1.{OWN}/"):
        page = text(client.get(url))
        assert HOSTILE_ORG not in page and "<img src=x" not in page
        assert HOSTILE_ORG in unescape(page), url


def test_a_domain_without_tls_reports_or_out_of_reach_is_not_found(client, viewer, scenario):
    client.force_login(viewer)
    assert client.get(f"/tls/{OTHER}/").status_code == 404  # the viewer does not see other.example
    assert client.get("/tls/nothing.example/").status_code == 404
