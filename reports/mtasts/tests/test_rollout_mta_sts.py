"""The MTA-STS checks and rollout assistant, end to end: records served by a real DNS server (dnsmasq),
policies by a real HTTPS server on 127.0.0.1:443 with a test CA's certificate, three weeks of TLS
reports imported, and `manage.py rollout DOMAIN --mta-sts --json --check` deciding."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.demo import tls_json
from reports.harness.builders import import_ok
from reports.harness.dns_server import DnsServer
from reports.harness.policy_server import PolicyServer
from reports.models import MtaStsCheck
from reports.mtasts import checks

pytestmark = pytest.mark.django_db

DOMAINS = ["ready.example", "uncovered.example", "certfail.example", "redirect.example", "html.example",
           "badcert.example", "invalid.example", "bimi.example", "big.example"]  # fmt: skip
CERT_NAMES = [f"mta-sts.{d}" for d in DOMAINS if d != "badcert.example"]


@pytest.fixture(scope="module")
def servers():
    dns = DnsServer()
    for d in DOMAINS:
        dns.host(f"mta-sts.{d}", "127.0.0.1")
        dns.mx(d, f"mx1.{d}")
        dns.txt(f"_mta-sts.{d}", "v=STSv1; id=20261101")
        dns.txt(f"_smtp._tls.{d}", f"v=TLSRPTv1; rua=mailto:tls@{d}")
        dns.txt(f"_dmarc.{d}", "v=DMARC1; p=none")
    dns.mx("ready.example", "mx2.ready.example", 20)
    dns.mx("uncovered.example", "backup.mailhost.example", 20)
    dns.txt("default._bimi.bimi.example", "v=BIMI1; l=https://bimi.example/logo.svg")
    dns.txt("default._bimi.ready.example", "v=BIMI1; l=https://ready.example/logo.svg")
    dns.lines = [line for line in dns.lines if line != 'txt-record=_dmarc.bimi.example,"v=DMARC1; p=none"']
    dns.txt("_dmarc.bimi.example", "v=DMARC1; p=reject")
    with dns, PolicyServer(CERT_NAMES) as https:
        dns.serve()
        for d in ("ready.example", "certfail.example", "bimi.example"):
            https.policy(f"mta-sts.{d}", "testing", [f"*.{d}"])
        https.policy("mta-sts.uncovered.example", "testing", ["mx1.uncovered.example"])
        https.route("mta-sts.redirect.example", status=301, Location="https://elsewhere.example/")
        https.route("mta-sts.html.example", "<html>version: STSv1</html>", ctype="text/html")
        https.route("mta-sts.big.example", "version: STSv1\r\n" + "mx: a.big.example\r\n" * 5000)
        https.route(
            "mta-sts.invalid.example", "version: STSv1\r\nmode: enforcing\r\nmax_age: 99999999999\r\n"
        )
        yield dns, https


@pytest.fixture
def live(servers, settings):
    dns, https = servers
    settings.DMARC_DNS_NAMESERVERS = [f"127.0.0.1:{dns.port}"]
    settings.DMARC_DNS_TIMEOUT = 2
    settings.DMARC_MTA_STS_CA_FILE = str(https.ca_file)
    return servers


def three_weeks(domain: str, failures_on_day_3=None) -> None:
    today = timezone.now().date()
    for n in range(1, 22):
        day = today - timedelta(days=n)
        import_ok(tls_json.dumps(tls_json.google(domain, day, mx=[f"mx1.{domain}"], ok=500)))
        failures = failures_on_day_3 if n == 3 and failures_on_day_3 else None
        import_ok(
            tls_json.dumps(tls_json.microsoft(domain, day, mx=[f"*.{domain}"], ok=300, failures=failures))
        )


def rollout(domain: str, *args) -> tuple[int, dict]:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("rollout", domain, "--mta-sts", "--json", "--check", *args, stdout=out)
    return exit_.value.code, json.loads(out.getvalue())


def reason(answer: dict, code: str) -> list[dict]:
    return [r for r in answer["reasons"] if r["code"] == code]


def test_three_clean_weeks_from_two_reporters_with_every_mx_covered_is_ready_for_enforce(
    live, client, superuser
):
    three_weeks("ready.example")
    code, answer = rollout("ready.example")
    assert code == 0, answer["reasons"]
    # The TLS page says what the command says, from the stored check, with the records to copy.
    client.force_login(superuser)
    page = client.get("/tls/ready.example/").content.decode()
    assert 'data-ready="true"' in page and "Publish now" in page
    assert answer["next_txt"].split("id=")[0] in page and page.count('class="btn secondary copy"') == 2
    assert (answer["stage"], answer["next_stage"], answer["ready"]) == ("testing", "enforce", True)
    assert answer["mx"] == [
        {"host": "mx1.ready.example", "covered": True},
        {"host": "mx2.ready.example", "covered": True},
    ]
    assert (
        answer["tls"]["reporters"] == ["Google Inc.", "Microsoft Corporation"]
        and answer["tls"]["report_days"] == 21
    )
    assert answer["tls"]["sessions"] == {"successful": 21 * 800, "failed": 0}
    assert answer["policy"]["valid"] and answer["policy"]["mode"] == "testing"
    assert "mode: enforce" in answer["next_policy"] and "mx: *.ready.example" in answer["next_policy"]
    assert "max_age: 86400" in answer["next_policy"]
    assert answer["next_txt"].startswith("v=STSv1; id=") and answer["next_txt"] != "v=STSv1; id=20261101"
    assert "max_age" in answer["max_age_note"]
    stored = MtaStsCheck.objects.get(domain="ready.example")
    assert stored.mode == "testing" and stored.policy_ok
    # BIMI is published, but DMARC does not enforce yet: the check says so.
    [bimi] = [i for i in stored.findings["items"] if i["code"] == "bimi"]
    assert not bimi["ok"] and "p=none" in bimi["text"]


def test_an_uncovered_mx_is_not_ready_and_the_reason_names_it(live, client, superuser):
    three_weeks("uncovered.example")
    code, answer = rollout("uncovered.example")
    assert code == 1 and not answer["ready"]
    client.force_login(superuser)
    page = client.get("/tls/uncovered.example/").content.decode()
    assert 'data-ready="false"' in page and "After the fixes, not now" in page
    assert 'class="btn secondary copy"' not in page and "backup.mailhost.example" in page
    assert {"host": "backup.mailhost.example", "covered": False} in answer["mx"]
    [bad] = [r for r in reason(answer, "mx_covered") if not r["ok"]]
    assert "backup.mailhost.example" in bad["text"]
    assert "mx: backup.mailhost.example" in answer["next_policy"]  # the next policy covers it


def test_certificate_failures_are_not_ready_and_the_reason_names_the_mx(live):
    failures = [tls_json.failure("certificate-expired", "mx1.certfail.example", 12)]
    three_weeks("certfail.example", failures_on_day_3=failures)
    code, answer = rollout("certfail.example")
    assert code == 1
    [bad] = [r for r in reason(answer, "failures") if not r["ok"]]
    assert "mx1.certfail.example" in bad["text"] and "12 certificate-expired" in bad["text"]
    assert "Microsoft Corporation" in bad["text"] and "Renew the certificate" in bad["text"]
    assert answer["tls"]["failures"] == {"certificate-expired": 12}


def test_one_reporter_or_too_few_days_is_not_ready(live):
    today = timezone.now().date()
    for n in range(1, 5):
        import_ok(tls_json.dumps(tls_json.google("bimi.example", today - timedelta(days=n))))
    code, answer = rollout("bimi.example")
    assert code == 1
    assert not reason(answer, "reporters")[0]["ok"] and not reason(answer, "report_days")[0]["ok"]
    stored = MtaStsCheck.objects.get(domain="bimi.example")
    [bimi] = [i for i in stored.findings["items"] if i["code"] == "bimi"]
    assert bimi["ok"], bimi  # at p=reject, BIMI is honoured


@pytest.mark.parametrize(
    ("domain", "error"),
    [
        ("redirect.example", "answers with a redirect (301)"),
        ("html.example", "served as text/html, not text/plain"),
        ("badcert.example", "not valid for it"),
        ("big.example", "larger than 64 KiB"),
    ],
)
def test_a_policy_senders_cannot_use_is_found_out(live, domain, error):
    check = checks.run(domain)
    items = {i["code"]: i for i in check.findings["items"]}
    assert not items["policy_fetch"]["ok"] and error in items["policy_fetch"]["text"]
    assert check.mode == "none" and not check.policy_ok


def test_an_invalid_policy_is_found_out(live):
    check = checks.run("invalid.example")
    items = {i["code"]: i for i in check.findings["items"]}
    assert items["policy_fetch"]["ok"] and not items["policy_syntax"]["ok"]
    text = items["policy_syntax"]["text"]
    assert "mode must be none, testing or enforce" in text and "max_age must be" in text
    assert not items["mx_covered"]["ok"] and "mx1.invalid.example" in items["mx_covered"]["text"]
