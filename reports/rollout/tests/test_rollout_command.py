"""`manage.py rollout` for scripts: --check exit codes, reasons as objects, a closed pipe."""

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import build, google_workspace, ses_default
from reports.harness.waiting import scaled
from reports.harness.workers import worker_env


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        server.txt("_spf.google.com", "v=spf1 ip4:209.85.128.0/17 ~all")
        for d in ("ready.example", "ses.example"):
            server.txt(f"_dmarc.{d}", f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
            server.txt(d, "v=spf1 include:_spf.google.com -all")
        server.serve(settings)
        yield server


def check(*args) -> tuple[int, str]:
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("rollout", *args, "--check", stdout=out)
    return exit_.value.code, out.getvalue()


@pytest.mark.django_db
def test_check_exits_0_for_a_ready_domain_and_1_for_one_that_is_not(dns):
    build("ready.example", [google_workspace("ready.example")])
    build("ses.example", [google_workspace("ses.example"), ses_default("ses.example")])
    code, text = check("ready.example")
    assert code == 0, text
    assert "READY" in text and "NOT READY" not in text
    code, text = check("ses.example")
    assert code == 1 and "NOT READY" in text
    code, text = check("ses.example", "--json")
    assert code == 1 and json.loads(text)["ready"] is False


@pytest.mark.django_db
def test_a_14_day_window_ends_with_the_last_full_day_so_six_clean_weeks_pass(dns):
    # Reports for each of the 42 days before today, from two reporters; today has none yet.
    build("ready.example", [google_workspace("ready.example")], days=42)
    code, text = check("ready.example", "--days", "14")
    assert code == 0, text
    data = json.loads(check("ready.example", "--days", "14", "--json")[1])
    coverage = next(r for r in data["reasons"] if r["code"] == "coverage")
    assert coverage["ok"] is True and "on 14 days" in coverage["text"]
    assert data["publish"] and "t=y" in data["publish"][0]["record"]


@pytest.mark.django_db
def test_check_exits_2_when_it_cannot_tell(dns):
    with pytest.raises(CommandError) as error:
        call_command("rollout", "nosuch.example", "--check", stdout=StringIO())
    assert error.value.returncode == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_output_into_a_closed_pipe_ends_quietly(dns):
    build("ses.example", [google_workspace("ses.example"), ses_default("ses.example")])
    env = worker_env(DMARC_DNS_NAMESERVERS=f"127.0.0.1:{dns.port}", DMARC_DNS_TIMEOUT="2")
    for extra in ([], ["--json"], ["--check"]):
        # The reader is gone before the command writes a byte, as `| head -0` would leave it.
        reader, writer = subprocess.os.pipe()
        subprocess.os.close(reader)
        done = subprocess.run(
            [sys.executable, "manage.py", "rollout", "ses.example", *extra],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=writer,
            stderr=subprocess.PIPE,
            timeout=scaled(120),
        )
        subprocess.os.close(writer)
        assert done.stderr.decode() == "", extra
        assert done.returncode == (1 if extra == ["--check"] else 0), extra
