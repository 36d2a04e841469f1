"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping every message it accepts.

server = SmtpServer().start()
... send mail to 127.0.0.1:server.port ...
server.messages  # email.message.EmailMessage objects, with .envelope_to
server.refuse = "451 4.3.0 try again later"  # answer DATA with this instead

"""

from __future__ import annotations

import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.refuse:
            return self.server.refuse
        msg = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        msg.envelope_to = list(envelope.rcpt_tos)
        with self.server.lock:
            self.server.messages.append(msg)
        return "250 OK"


class SmtpServer:
    def __init__(self):
        self.messages: list = []
        self.lock = threading.Lock()
        self.refuse = ""
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.refuse = ""

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address in m.envelope_to]

    def use(self, settings) -> None:
        """Point Django's mail at this server (pytest-django switches it to the in-memory outbox)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""

    def env(self) -> dict:
        """The same for a worker process, as environment variables."""
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "false"}


def parts(msg) -> tuple[str, str]:
    """The plain text and HTML bodies of a received message."""
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")
