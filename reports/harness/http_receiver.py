"""A real HTTP receiver for the tests: records every POST (path and JSON body) on 127.0.0.1.

Apprise's generic JSON webhook (json://127.0.0.1:PORT/path) posts here.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HttpReceiver:
    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    data = json.loads(body or b"{}")
                except ValueError:
                    data = {"raw": body.decode(errors="replace")}
                with receiver.lock:
                    receiver.received.append((self.path, data))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> HttpReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def at(self, path: str) -> list[dict]:
        with self.lock:
            return [data for p, data in self.received if p.split("?")[0] == "/" + path.lstrip("/")]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
        self.status = 200
