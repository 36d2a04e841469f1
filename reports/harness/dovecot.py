"""A real Dovecot IMAP server for tests and the benchmark.

Dovecot runs in the foreground (`dovecot -F -c <conf>`) from a throwaway
directory with its own config, no systemd: plain IMAP (with STARTTLS) on one
port of 127.0.0.1, IMAPS on another, with a certificate signed by a test CA
made here with the openssl CLI. Users live in a passwd-file, so each test can
have a fresh, empty account; mail is stored as maildir under the directory,
owned by the `mail` user (first_valid_uid = 8). With `accept_tokens`, logins
also take OAuth 2.0 bearer tokens (XOAUTH2, OAUTHBEARER) through Dovecot's
oauth2 passdb, which asks a token server's introspection endpoint about each.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

from reports.harness.waiting import deadline, scaled

DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")
DH_FILE = Path("/usr/share/dovecot/dh.pem")

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = dmarc-test-{imap_port}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
ssl = yes
ssl_cert = <{dir}/server.pem
ssl_key = <{dir}/server.key
{ssl_dh}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth_mechanisms}
# Tests log in with wrong passwords on purpose; the 2 s penalty would only slow them.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_uid = mail
mail_gid = mail
first_valid_uid = 8
first_valid_gid = 8
mail_fsync = never
mail_plugins = mail_log notify
plugin {{
  # The log shows how messages were moved (MOVE, or COPY and EXPUNGE).
  mail_log_events = copy expunge mailbox_create
  mail_log_fields = uid box msgid
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
{oauth_passdb}userdb {{
  driver = static
  args = uid=mail gid=mail home={dir}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = {separator}
}}
protocol imap {{
  mail_max_userip_connections = 200
  {imap_capability}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
  process_limit = 200
}}
service imap {{
  process_limit = 200
}}
"""


def _descendants(pid: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # The parent pid is the 2nd field after the ")" that ends the command name.
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found.extend(frontier)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class User:
    name: str
    password: str


# Bearer tokens (SASL XOAUTH2 and OAUTHBEARER), checked by asking the token
# server's RFC 7662 introspection endpoint, as Dovecot does for a real provider.
OAUTH_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {dir}/dovecot-oauth2.conf.ext
}}
"""
OAUTH_CONFIG = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
"""


class Dovecot:
    def __init__(self, directory: Path | None = None):
        self.dir = Path(directory or tempfile.mkdtemp(prefix="dovecot-", dir="/tmp"))
        self.introspection_url = ""
        # Dovecot's mail processes run as `mail` and must reach the homes.
        self.dir.chmod(0o755)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.conf = self.dir / "dovecot.conf"
        self.passwd = self.dir / "passwd"
        self.log = self.dir / "dovecot.log"
        self.ca_file = self.dir / "ca.pem"
        self.process: subprocess.Popen | None = None
        self._capability = ""
        self._separator = "/"
        self._spare_users: list[User] = []
        self._status_clients: dict[str, IMAPClient] = {}
        self._make_certificates()
        home = self.dir / "home"
        home.mkdir(exist_ok=True)
        mail = pwd.getpwnam("mail")
        os.chown(home, mail.pw_uid, mail.pw_gid)
        self.passwd.write_text("")
        self.add_user()  # the first stock of users, read when Dovecot starts
        self._write_config()

    # --- lifecycle ---

    def start(self) -> Dovecot:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        passed = deadline(15)
        while not passed():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"dovecot exited: {self.process.stderr.read().decode()} {self._log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self._log_tail()}")

    def stop(self) -> None:
        self._status_clients.clear()
        if self.process is None:
            return
        # Dovecot's imap processes outlive their master and keep serving their
        # clients; systemd would kill them with the service, so do the same.
        children = _descendants(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(scaled(15))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(scaled(5))
        self.process = None
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # Wait for the port to close.
        passed = deadline(10)
        while not passed():
            try:
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=0.5).close()
                time.sleep(0.05)
            except OSError:
                return

    def accept_tokens(self, introspection_url: str) -> Dovecot:
        """Also accept bearer tokens (XOAUTH2, OAUTHBEARER) that this RFC 7662 endpoint calls active."""
        self.introspection_url = introspection_url
        self._write_config()
        return self

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @contextlib.contextmanager
    def configured(self, *, capability: str = "", separator: str = "/"):
        """Run the server with another post-login capability list (say, without
        MOVE) or folder separator, then restore it."""
        self._capability, self._separator = capability, separator
        self._write_config()
        self.restart()
        try:
            yield
        finally:
            self._capability, self._separator = "", "/"
            self._write_config()
            self.restart()

    # --- users and mail ---

    def add_user(self) -> User:
        """A fresh account with an empty mailbox."""
        if not self._spare_users:
            # Dovecot reads a changed passwd-file at most once a second: add a
            # stock of users at a time, and wait until they can log in.
            users = [User(f"u{secrets.token_hex(5)}", f"pw-{secrets.token_urlsafe(12)}") for _ in range(100)]
            with self.passwd.open("a") as f:
                f.writelines(f"{u.name}:{{PLAIN}}{u.password}::::::\n" for u in users)
            self._spare_users = users
            if self.process is not None:
                self._wait_for_login(users[-1])
        return self._spare_users.pop()

    def _wait_for_login(self, user: User) -> None:
        passed = deadline(10)
        while True:
            try:
                self.client(user).logout()
                return
            except Exception:
                if passed():
                    raise
                time.sleep(0.2)

    def client(self, user: User) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=30)
        client.login(user.name, user.password)
        return client

    def deliver(self, user: User, messages: list[bytes], folder: str = "INBOX") -> None:
        with self.client(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for i in range(0, len(messages), 200):
                c.multiappend(folder, messages[i : i + 200])

    def uids(self, user: User, folder: str = "INBOX") -> list[int]:
        with self.client(user) as c:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            return c.search("ALL")

    def count(self, user: User, folder: str = "INBOX") -> int:
        """Messages in the folder (0 if it does not exist). Tests call this in
        tight loops, so it keeps one connection per user rather than logging
        in each time, which would take CPU from the workers under test."""
        for attempt in range(2):
            client = self._status_clients.get(user.name)
            try:
                if client is None:
                    client = self._status_clients[user.name] = self.client(user)
                if not client.folder_exists(folder):
                    return 0
                # EXAMINE, not STATUS: Dovecot may answer STATUS from a cached index
                # that another session's changes have not reached yet.
                return client.select_folder(folder, readonly=True)[b"EXISTS"]
            except (OSError, IMAPClient.Error):
                self._status_clients.pop(user.name, None)
                if attempt:
                    raise
        return 0

    def message_ids(self, user: User, folder: str = "INBOX") -> list[str]:
        """The Message-ID of every message in the folder (repeats included)."""
        with self.client(user) as c:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            if not uids:
                return []
            data = c.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            return sorted(
                d[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip()
                for d in data.values()
            )

    def mailbox_fields(self, user: User, security: str = "none", **extra) -> dict:
        """Field values for a Mailbox row pointing at this server."""
        port = {"none": self.imap_port, "starttls": self.imap_port, "tls": self.imaps_port}[security]
        return {
            "name": user.name,
            "host": "127.0.0.1",
            "port": port,
            "security": security,
            "username": user.name,
            "password": user.password,
            **extra,
        }

    # --- internals ---

    def _log_tail(self) -> str:
        try:
            return self.log.read_text()[-2000:]
        except OSError:
            return ""

    def _write_config(self) -> None:
        self.conf.write_text(
            CONFIG.format(
                dir=self.dir,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                ssl_dh=f"ssl_dh = <{DH_FILE}" if DH_FILE.exists() else "",
                imap_capability=f"imap_capability = {self._capability}" if self._capability else "",
                separator=self._separator,
                oauth_mechanisms=" xoauth2 oauthbearer" if self.introspection_url else "",
                oauth_passdb=OAUTH_PASSDB.format(dir=self.dir) if self.introspection_url else "",
            )
        )
        if self.introspection_url:
            (self.dir / "dovecot-oauth2.conf.ext").write_text(OAUTH_CONFIG.format(url=self.introspection_url))

    def _make_certificates(self) -> None:
        d = self.dir

        def openssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True)

        openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=DMARC test CA",
            "-keyout", d / "ca.key", "-out", d / "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
        openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", d / "server.key", "-out", d / "server.csr",
        )  # fmt: skip
        (d / "server.ext").write_text(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        )
        openssl(
            "x509", "-req", "-in", d / "server.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
            "-CAcreateserial", "-days", "2", "-out", d / "server.pem", "-extfile", d / "server.ext",
        )  # fmt: skip
        (d / "server.key").chmod(0o600)
