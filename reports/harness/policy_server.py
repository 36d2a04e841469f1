"""A real HTTPS server on 127.0.0.1:443, with a certificate from a test CA, serving MTA-STS policies.

Port 443 is what senders ask (RFC 8461), so the server takes it: a lock file in /tmp lets one test
process at a time hold it (other test runs on the machine wait). The certificate names the hosts
given; a host missing from it gets the same certificate, which is then not valid for it.

    with PolicyServer(["mta-sts.good.example"]) as server:
        server.route("mta-sts.good.example", body="version: STSv1\\r\\n...")
        settings.DMARC_MTA_STS_CA_FILE = str(server.ca_file)
"""

from __future__ import annotations

import fcntl
import http.server
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path

LOCK = "/tmp/dmarc-test-https-443.lock"
POLICY_PATH = "/.well-known/mta-sts.txt"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server interface
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        status, ctype, body, extra = self.server.routes.get((host, self.path), (404, "text/plain", b"", {}))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class PolicyServer:
    def __init__(self, names: list[str]):
        self.names = names
        self.dir = Path(tempfile.mkdtemp(prefix="policy-https-"))
        self.ca_file = self.dir / "ca.pem"
        self._lock = None
        self._server = None

    def route(
        self,
        host: str,
        body: str | bytes = "",
        *,
        status=200,
        ctype="text/plain",
        path=POLICY_PATH,
        **headers,
    ):
        data = body.encode() if isinstance(body, str) else body
        self._server.routes[(host.lower(), path)] = (status, ctype, data, headers)

    def policy(self, host: str, mode: str, mx: list[str], max_age: int = 86400) -> None:
        lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
        self.route(host, "\r\n".join(lines) + "\r\n")

    def __enter__(self) -> PolicyServer:
        self._certificates()
        self._lock = open(LOCK, "w")  # noqa: SIM115 - held until __exit__
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 443), _Handler)
        server.routes = {}
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.dir / "server.pem", self.dir / "server.key")
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()

    def _certificates(self) -> None:
        d = self.dir

        def openssl(*args):
            subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

        openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=MTA-STS test CA",
            "-keyout", d / "ca.key", "-out", d / "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={self.names[0]}",
                "-keyout", d / "server.key", "-out", d / "server.csr")  # fmt: skip
        sans = ",".join(f"DNS:{n}" for n in self.names)
        (d / "server.ext").write_text(
            f"subjectAltName={sans}\nbasicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        )
        openssl("x509", "-req", "-in", d / "server.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
                "-CAcreateserial", "-days", "2", "-out", d / "server.pem",
                "-extfile", d / "server.ext")  # fmt: skip
