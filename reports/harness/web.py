"""A signed-in HTTP client of a running server (pytest-django's live_server), and a TCP listener that
records every connection it gets: what a request the product must never make would reach."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import requests

from reports.harness.waiting import scaled


class Web:
    """A session of one user against the live server, signed in through the login page."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        page = self.get("/login/")
        response = self.session.post(
            self.base + "/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": _token(page.text)},
            allow_redirects=False,
        )
        assert response.status_code == 302, f"{username} could not sign in"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, allow_redirects=False, timeout=scaled(60), **kwargs)

    def post(self, path: str, data=None, files=None, form_page: str | None = None) -> requests.Response:
        """POST with the CSRF token of `form_page` (default: the path itself, or the home page)."""
        page = self.get(form_page or path)
        token = _token(page.text) if page.status_code == 200 else self.session.cookies.get("csrftoken", "")
        data = {**(data or {}), "csrfmiddlewaretoken": token}
        return self.session.post(
            self.base + path,
            data=data,
            files=files,
            allow_redirects=False,
            timeout=scaled(60),
            headers={"X-CSRFToken": self.session.cookies.get("csrftoken", "")},
        )


def _token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


class Listener:
    """A TCP listener on 127.0.0.1 that accepts, records and answers nothing but an HTTP 200."""

    def __init__(self):
        self.connections = 0
        self.received = bytearray()
        self.requests: list[bytes] = []  # the first bytes each connection sent
        self._lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                data = conn.recv(65536)
                with self._lock:
                    self.received += data
                    self.requests.append(data)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                return


@contextmanager
def gunicorn(env: dict, log: Path, workers: int = 1, *args: str):
    """`gunicorn dmarcapp.wsgi` as the image runs it, on a free port of 127.0.0.1, everything it
    writes in `log`; yields its base URL once /healthz answers, and stops it at the end."""
    from django.conf import settings

    from reports.harness.redis_server import free_port
    from reports.harness.waiting import wait_for

    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "dmarcapp.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--access-logfile",
                "-",
            ],  # fmt: skip
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"

    def answers():
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            return requests.get(base + "/healthz", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False  # not listening yet, or no worker booted yet on a busy machine

    try:
        wait_for(answers, timeout=60, message="gunicorn")
        yield base
    finally:
        process.terminate()
        process.wait(scaled(30))
