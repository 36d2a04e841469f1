"""A TCP listener on 127.0.0.1 that speaks just enough IMAP for a client to log in, with a password
or with SASL XOAUTH2, and keeps every byte it receives: where a mailbox pointed at it would send its
password or its OAuth token."""

from __future__ import annotations

import re
import socket
import threading


class ImapListener:
    def __init__(self, echo_login: bool = False):
        # echo_login: refuse LOGIN quoting the command back, as a hostile or chatty server may.
        self.echo_login = echo_login
        self.received = bytearray()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> ImapListener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2] listener ready\r\n")
            buffer = b""
            sasl_tag = None  # the AUTHENTICATE command waiting for the client's response
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                with self._lock:
                    self.received += data
                buffer += data
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    literal = re.search(rb"\{(\d+)\+?\}$", line)
                    if literal:
                        conn.sendall(b"+ go ahead\r\n")
                        continue
                    if sasl_tag is not None:
                        # The client's SASL response: for XOAUTH2, base64 of "user=…\x01auth=Bearer TOKEN".
                        echo = b": " + line if self.echo_login else b"."
                        conn.sendall(sasl_tag + b" NO [AUTHENTICATIONFAILED] refused" + echo + b"\r\n")
                        sasl_tag = None
                        continue
                    tag, _, rest = line.partition(b" ")
                    if rest.split(b" ", 1)[0].upper() == b"AUTHENTICATE":
                        sasl_tag = tag
                        conn.sendall(b"+ \r\n")
                        continue
                    self._answer(conn, line)

    def _answer(self, conn: socket.socket, line: bytes) -> None:
        tag, _, rest = line.partition(b" ")
        command = rest.split(b" ", 1)[0].upper()
        if command == b"CAPABILITY":
            conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2\r\n" + tag + b" OK done\r\n")
        elif command == b"LOGIN" and self.echo_login:
            conn.sendall(tag + b" NO [AUTHENTICATIONFAILED] refused: " + rest + b"\r\n")
        elif command == b"LOGIN":
            conn.sendall(tag + b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        elif command == b"LOGOUT":
            conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
        else:
            conn.sendall(tag + b" BAD unknown\r\n")
