"""The admin shows TLS reports and failures read-only, and a hostile report renders as text."""

from datetime import date

import pytest
from django.core.management import call_command

from reports.demo import tls_json
from reports.models import TlsFailure, TlsReport

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("tls")</script>'


def test_staff_read_tls_reports_in_the_admin_and_cannot_change_them(tmp_path, admin_client):
    doc = tls_json.report(
        "example.com",
        date(2026, 11, 2),
        org=f"Evil {HOSTILE}",
        failures=[
            tls_json.failure(
                "certificate-expired", "mx1.example.com", 7, **{"additional-information": HOSTILE}
            )
        ],
    )
    path = tmp_path / "tls.json"
    path.write_bytes(tls_json.dumps(doc))
    call_command("import_reports", str(path))
    report, failure = TlsReport.objects.get(), TlsFailure.objects.get()

    pages = {
        "/admin/reports/tlsreport/": 200,
        f"/admin/reports/tlsreport/{report.pk}/change/": 200,
        f"/admin/reports/tlsfailure/{failure.pk}/change/": 200,
        "/admin/reports/tlsreport/add/": 403,
        f"/admin/reports/tlsreport/{report.pk}/delete/": 403,
        f"/admin/reports/tlsfailure/{failure.pk}/delete/": 403,
    }
    for url, status in pages.items():
        response = admin_client.get(url)
        assert response.status_code == status, url
        assert HOSTILE.encode() not in response.content, url
    assert b"Evil &lt;script&gt;" in admin_client.get("/admin/reports/tlsreport/").content
    assert TlsReport.objects.count() == 1
