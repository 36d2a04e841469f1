"""No alert URL an operator can give makes the product connect to an internal address.

A TCP listener on 127.0.0.1 stands for the internal service an attacker aims at (an admin API,
Redis, PostgreSQL, cloud metadata). An operator signs in to the running server and tries to save
each URL; URLs stored before the rules existed (or whose name resolves elsewhere by the time of the
send) are then sent by a real worker after an upload fires an alert; names resolve through the
test DNS server. The listener must receive nothing, while a URL the server's operator set
(DMARC_ALERT_URLS) reaches it, which shows that it would have seen anything sent.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.contrib.auth.models import User
from django.core.management import call_command

from reports.access import netguard
from reports.access.outbound import Allowed
from reports.alerts.tasks import send_alert_deliveries
from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.harness.waiting import wait_for
from reports.harness.web import Listener, Web
from reports.models import AlertPreference, Delivery, Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PUBLIC = "93.184.215.14"  # a public address the tests never connect to (there is no internet)


def attacks(port: int) -> list[str]:
    """The URLs of the attack on main, and their variants, aimed at the listener."""
    return [
        f"json://127.0.0.1:{port}/internal/admin/users/1?method=DELETE&+X-Api-Key=forged",
        f"jsons://127.0.0.1:{port}/internal/admin/users/1",
        "jsons://hooks.public.test/x?method=DELETE",
        "jsons://hooks.public.test/x?%2BX-Api-Key=forged",
        "jsons://hooks.public.test/x?-token=1&:field=2",
        f"json://hooks.public.test:{port}/",
        f"xml://127.0.0.1:{port}/",
        f"xmls://127.0.0.1:{port}/",
        f"form://127.0.0.1:{port}/",
        "jsons://169.254.169.254/latest/meta-data/",
        "jsons://100.100.100.200/latest/meta-data/",
        f"jsons://2130706433:{port}/",
        f"jsons://0177.0.0.1:{port}/",
        f"jsons://0x7f.0.0.1:{port}/",
        f"jsons://127.1:{port}/",
        f"jsons://[::1]:{port}/",
        f"jsons://[::ffff:7f00:1]:{port}/",
        f"jsons://[64:ff9b::7f00:1]:{port}/",
        f"jsons://10.0.0.1:{port}/",
        f"jsons://localhost:{port}/",
        f"jsons://loopback.attacker.test:{port}/",
        "jsons://metadata.attacker.test/latest/meta-data/",
        f"jsons://both.attacker.test:{port}/",
        f"ntfy://127.0.0.1:{port}/topic",
        f"ntfys://127.0.0.1:{port}/topic",
        f"mmosts://loopback.attacker.test:{port}/token",
        f"matrixs://user:pass@127.0.0.1:{port}/#room",
        f"irc://user@127.0.0.1:{port}/#channel",
        f"rsyslog://127.0.0.1:{port}",
        f"syslog://127.0.0.1:{port}",
        f"mailto://relayuser:relaypw@127.0.0.1:{port}?to=a@example.com",
        f"mailtos://relayuser:relaypw@hooks.public.test:{port}?to=a@example.com",
        f"apprise://127.0.0.1:{port}/token",
    ]


@pytest.fixture
def names(dns, settings):
    dns.host("loopback.attacker.test", "127.0.0.1")
    dns.host("metadata.attacker.test", "169.254.169.254")
    dns.host("both.attacker.test", PUBLIC)
    dns.host("both.attacker.test", "127.0.0.1")
    dns.host("hooks.public.test", PUBLIC)
    dns.serve(settings)
    return dns


@pytest.fixture
def operator(db):
    user = User.objects.create_user("op", "op@ops.test", "pw-op-1")
    call_command("grant", "op", "example.com", role="operator")
    return user


def test_an_operator_can_save_none_of_the_urls(names, operator, live_server):
    import_ok(daily_report(1, [record_xml(ip="192.0.2.1", count=3)]))
    web = Web(live_server.url, "op", "pw-op-1")
    with Listener() as listener:
        for url in attacks(listener.port):
            response = web.post("/alerts/settings/", {"d0-rules": ["new-source"], "d0-urls": url})
            assert response.status_code == 200, url
            assert "Line 1" in response.text, url
        assert not AlertPreference.objects.exclude(urls="").exists()
        # A public service's URL is saved: the form refuses what it must, not everything.
        slack = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
        response = web.post("/alerts/settings/", {"d0-rules": ["new-source"], "d0-urls": slack})
        assert response.status_code == 302
        assert AlertPreference.objects.get(user=operator).urls == slack
    assert listener.connections == 0 and listener.received == b""


def test_urls_stored_before_the_rules_are_refused_when_a_worker_sends(
    names, operator, live_server, celery_broker, celery_worker
):
    with Listener() as listener:
        AlertPreference.objects.create(
            user=operator, domain="example.com", rules=["new-source"], email=False,
            urls="\n".join(attacks(listener.port)),
        )  # fmt: skip
        control = f"json://127.0.0.1:{listener.port}/set-by-the-server-operator"
        celery_worker(
            DMARC_ALERT_URLS=control,
            DMARC_ALERT_AFTER_IMPORT_DELAY=0,
            DMARC_DNS_NAMESERVERS=f"127.0.0.1:{names.port}",
        )
        # The operator uploads a report whose unknown failing source fires an alert.
        report = daily_report(1, [record_xml(ip="198.51.100.23", count=40, dkim="fail", spf="fail")])
        web = Web(live_server.url, "op", "pw-op-1")
        assert web.post("/status/", files={"files": ("r.xml", report)}).status_code == 302
        wait_for(lambda: Upload.objects.filter(state="done").exists(), timeout=60, message="the upload")

        wait_for(lambda: listener.connections, timeout=60, message="the server operator's URL")
        tried = Delivery.objects.filter(channel="apprise").exclude(user=None)
        wait_for(
            lambda: tried.count() == len(attacks(0)) and not tried.filter(attempts=0).exists(),
            timeout=60,
            message="every URL of the operator to be tried",
        )
        # Only the server operator's URL got anything: one POST per alert that fired.
        wait_for(lambda: len(listener.requests) == listener.connections, timeout=10, message="the requests")
        assert all(r.startswith(b"POST /set-by-the-server-operator ") for r in listener.requests)
        for d in tried:
            assert d.state == "pending" and d.last_error.startswith("Not sent: "), (d.label, d.last_error)
        errors = " ".join(tried.values_list("last_error", flat=True))
        for why in ("loopback", "link-local", "in another form", "plain HTTP", "not one of the allowed"):
            assert why in errors


def test_a_name_that_resolves_elsewhere_after_the_save_reaches_nothing(dns, settings, operator, client):
    """DNS rebinding: public when the URL is saved, 127.0.0.1 when it is used."""
    import_ok(daily_report(1, [record_xml(ip="192.0.2.1", count=3)]))
    client.force_login(operator)
    with Listener() as listener:
        url = f"jsons://flip.attacker.test:{listener.port}/hook"
        dns.host("flip.attacker.test", PUBLIC).serve(settings)
        response = client.post("/alerts/settings/", {"d0-rules": ["new-source"], "d0-urls": url})
        assert response.status_code == 302 and AlertPreference.objects.get(user=operator).urls == url

        dns.lines = [line for line in dns.lines if "flip.attacker.test" not in line]
        dns.host("flip.attacker.test", "127.0.0.1").serve(settings)
        Delivery.objects.create(
            key="rebind", user=operator, kind="firing", channel="apprise", target=url, label="flip",
            subject="s", text="t", next_attempt="2000-01-01T00:00:00Z",
        )  # fmt: skip
        send_alert_deliveries()
    assert listener.connections == 0
    assert "resolves to 127.0.0.1 is a loopback address" in Delivery.objects.get(key="rebind").last_error


class _Redirect(BaseHTTPRequestHandler):
    target = ""
    hits = 0

    def do_POST(self):
        type(self).hits += 1
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_every_connection_of_a_send_is_checked_redirects_and_raw_sockets_too(dns, settings):
    """An allowed internal server (DMARC_ALERT_ALLOWED_HOSTS) that redirects to another internal address
    gets the request; the address it redirects to gets nothing, nor does a socket opened by hand."""
    dns.host("hooks.allowed.test", "127.0.0.1").serve(settings)
    settings.DMARC_ALERT_ALLOWED_HOSTS = ["hooks.allowed.test"]
    with Listener() as listener:
        handler = type("Redirect", (_Redirect,), {"target": f"http://127.0.0.1:{listener.port}/"})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            from reports.alerts import channels

            with pytest.raises(channels.SendError) as e:
                channels.notify(f"json://hooks.allowed.test:{server.server_address[1]}/hook", "t", "b")
            assert handler.hits == 1, str(e.value)
            with netguard.guarded(Allowed()):
                with pytest.raises(OSError, match="loopback"):
                    socket.create_connection(("127.0.0.1", listener.port), timeout=5)
                with pytest.raises(requests.ConnectionError):
                    requests.post(f"http://127.0.0.1:{listener.port}/", timeout=5)
            # Outside a guarded send, the process connects as before.
            socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()
            wait_for(lambda: listener.connections, timeout=10, message="the unguarded connection")
        finally:
            server.shutdown()
            server.server_close()
    assert listener.connections == 1
