"""A real HTTP receiver and a real SMTP sink on loopback, standing in for the group bots and the
mail server: each records what arrived and answers as it is told to."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# The ports this suite's receivers may use; a busy one is skipped.
PORTS = range(8840, 8850)


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    """Records every POST; answers with the queued (status, json) replies, then `default`."""

    url: str
    default: tuple[int, dict[str, Any]]
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.receiver.requests.append(Received(parts.path, query, json.loads(raw)))
        status, answer = (
            self.receiver.replies.pop(0) if self.receiver.replies else self.receiver.default
        )
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test reads `requests`, not stderr


def _bind(factory: Any) -> Any:
    for port in PORTS:
        try:
            return factory(("127.0.0.1", port))
        except OSError:
            continue
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@contextmanager
def http_receiver(default: dict[str, Any]) -> Iterator[Receiver]:
    """A bot endpoint answering 200 with `default` unless replies are queued."""
    receiver = Receiver(url="", default=(200, default))
    handler = type("Handler", (_Handler,), {"receiver": receiver})
    server = _bind(lambda address: ThreadingHTTPServer(address, handler))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class MailSink:
    port: int
    mails: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    sink: MailSink

    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self._reply("220 sink ready")
        sender, recipients = "", []
        while line := self.rfile.readline():
            verb = line.decode("ascii", "replace").strip().split(" ", 1)
            command, arg = verb[0].upper(), verb[1] if len(verb) > 1 else ""
            if command in ("EHLO", "HELO"):
                self._reply("250-sink\r\n250 8BITMIME" if command == "EHLO" else "250 sink")
            elif command == "MAIL":
                sender, recipients = arg.split(":", 1)[1].split()[0].strip("<>"), []
                self._reply("250 ok")
            elif command == "RCPT":
                recipients.append(arg.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 ok")
            elif command == "DATA":
                self._reply("354 end with .")
                self._data(sender, recipients)
                self._reply("250 queued")
            elif command == "QUIT":
                self._reply("221 bye")
                return
            else:  # RSET, NOOP
                self._reply("250 ok")

    def _data(self, sender: str, recipients: list[str]) -> None:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        mail = message_from_bytes(b"".join(lines), policy=policy.default)
        self.sink.mails.append(mail)  # type: ignore[arg-type]
        self.sink.envelopes.append((sender, recipients))


class _SinkServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


@contextmanager
def smtp_sink() -> Iterator[MailSink]:
    """A mail server on loopback that keeps every message it is given."""
    sink = MailSink(port=0)
    handler = type("Handler", (_SmtpHandler,), {"sink": sink})

    server = _bind(lambda address: _SinkServer(address, handler))
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A loopback port in range that nothing listens on."""
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("every port in range is in use")
