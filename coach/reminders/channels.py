"""Where digests go: the three group bots' documented message formats and signing, and SMTP.

Formats as the platforms document them: 飞书「自定义机器人使用指南」(msg_type text; with
签名校验 the body carries `timestamp` in seconds and `sign`, the Base64 of an HMAC-SHA256
keyed with "timestamp\\nsecret" over an empty message; success is {"code": 0}),
钉钉「自定义机器人发送群消息」(msgtype markdown with title and text; with 加签 the URL gets
`timestamp` in milliseconds and `sign`, the URL-encoded Base64 of an HMAC-SHA256 keyed with
the secret over "timestamp\\nsecret"; success is {"errcode": 0}) and 企业微信「群机器人配置说明」
(msgtype markdown, content at most 4096 bytes of UTF-8, the key in the URL, no signing;
success is {"errcode": 0}).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal, Protocol
from urllib.parse import urlencode, urlsplit

import httpx

from coach.core.settings import Settings

Channel = Literal["feishu", "dingtalk", "wecom", "email"]

# Bytes of message text each platform takes: 企业微信's documented markdown limit; 飞书 and
# 钉钉 refuse request bodies over about 20 KB, and the JSON around the text needs room.
TEXT_LIMITS: dict[Channel, int] = {
    "feishu": 18_000, "dingtalk": 18_000, "wecom": 4096, "email": 1_000_000,
}  # fmt: skip
MARKDOWN_CHANNELS: frozenset[Channel] = frozenset({"dingtalk", "wecom"})


class SendFailed(Exception):
    """One try at sending failed; the delivery records `reason` and tries again or gives up.

    Outside CoachError on purpose: it never leaves `coach.reminders`, which records it.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sender(Protocol):
    """Sends one message to one destination (a bot's URL, an e-mail address), or raises SendFailed."""

    def send(self, destination: str, title: str, body: str) -> None: ...


def feishu_sign(secret: str, timestamp: int) -> str:
    """飞书's signature: HMAC-SHA256 keyed with "timestamp\\nsecret" over nothing, in Base64."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉's signature before URL-encoding: HMAC-SHA256 of "timestamp\\nsecret" keyed with
    the secret, in Base64."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def feishu_request(
    url: str, title: str, body: str, secret: str | None, now: float
) -> tuple[str, dict[str, Any]]:
    payload: dict[str, Any] = {"msg_type": "text", "content": {"text": f"{title}\n\n{body}"}}
    if secret:
        timestamp = int(now)
        payload |= {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp)}
    return url, payload


def dingtalk_request(
    url: str, title: str, body: str, secret: str | None, now: float
) -> tuple[str, dict[str, Any]]:
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": f"### {title}\n\n{body}"},
    }
    if secret:
        timestamp = int(now * 1000)
        signed = urlencode({"timestamp": timestamp, "sign": dingtalk_sign(secret, timestamp)})
        url = f"{url}{'&' if '?' in url else '?'}{signed}"
    return url, payload


def wecom_request(
    url: str, title: str, body: str, secret: str | None, now: float
) -> tuple[str, dict[str, Any]]:
    return url, {"msgtype": "markdown", "markdown": {"content": f"### {title}\n{body}"}}


Build = Callable[[str, str, str, str | None, float], tuple[str, dict[str, Any]]]
_BUILDERS: dict[str, tuple[Build, str]] = {
    "feishu": (feishu_request, "code"),
    "dingtalk": (dingtalk_request, "errcode"),
    "wecom": (wecom_request, "errcode"),
}


@dataclass
class WebhookSender:
    """A group bot of one platform."""

    kind: Literal["feishu", "dingtalk", "wecom"]
    secret: str | None
    timeout: float
    transport: httpx.BaseTransport | None = None
    clock: Callable[[], float] = time.time

    def send(self, destination: str, title: str, body: str) -> None:
        build, code_field = _BUILDERS[self.kind]
        url, payload = build(destination, title, body, self.secret, self.clock())
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(url, json=payload)
        except httpx.HTTPError as exc:
            # The URL is the bot's key: an error that quotes it must not carry it into logs.
            said = str(exc).replace(url, shown(self.kind, destination))
            raise SendFailed(f"network: {type(exc).__name__}: {said}") from exc
        if response.status_code >= 400:
            raise SendFailed(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
        except json.JSONDecodeError as exc:
            raise SendFailed(f"not JSON: {response.text[:200]}") from exc
        code = answer.get(code_field) if isinstance(answer, dict) else None
        if code != 0:
            raise SendFailed(f"{self.kind} {code_field}={code}: {str(answer)[:200]}")


@dataclass
class SmtpSender:
    """E-mail through the configured server, one message per recipient."""

    host: str
    port: int
    security: Literal["starttls", "ssl", "none"]
    sender: str
    user: str
    password: str
    timeout: float

    def send(self, destination: str, title: str, body: str) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, destination, title
        mail.set_content(body)
        try:
            with self._connect() as smtp:
                if self.security == "starttls":
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"smtp: {type(exc).__name__}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def senders(
    settings: Settings, transport: httpx.BaseTransport | None = None
) -> dict[Channel, Sender]:
    """The channels these settings turn on, each with its sender."""
    found: dict[Channel, Sender] = {}
    if settings.webhook_kind is not None:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        found[settings.webhook_kind] = WebhookSender(
            settings.webhook_kind, secret, settings.remind_timeout, transport
        )
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        found["email"] = SmtpSender(
            settings.smtp_host, settings.smtp_port, settings.smtp_security, settings.smtp_from,
            settings.smtp_user, password, settings.remind_timeout,
        )  # fmt: skip
    return found


def shown(channel: Channel, destination: str) -> str:
    """A destination as it may be printed and stored: a bot's URL carries its key, so only its
    host and last characters."""
    if channel == "email":
        return destination
    return f"{urlsplit(destination).netloc} …{destination[-4:]}"


def fit(channel: Channel, lines: list[str], *, reserve: int = 0) -> str:
    """The lines joined, whole lines dropped from the end until the channel takes the text
    and `reserve` more bytes (the title the message adds)."""
    limit = TEXT_LIMITS[channel] - reserve
    text = "\n".join(lines)
    kept = len(lines)
    while len(text.encode()) > limit and kept > 1:
        kept -= 1
        text = "\n".join([*lines[:kept], f"……另有 {len(lines) - kept} 行，请在 Coach 中查看。"])
    return text
