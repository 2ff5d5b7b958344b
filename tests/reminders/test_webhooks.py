"""The three group bots' documented formats and signing, checked against a real loopback
receiver, and the retries on a 500 and on a platform's error code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.models import DeliveryStatus, ReminderDelivery
from coach.core.settings import Settings
from coach.reminders import retry_failed, send_reminders
from coach.reminders.channels import senders
from tests.reminders.conftest import DAY, MANAGERS, set_webhook
from tests.reminders.loopback import Receiver, closed_port, http_receiver

SECRET = "SEC0123456789abcdef"
OK = {"feishu": {"code": 0, "msg": "success"}, "dingtalk": {"errcode": 0, "errmsg": "ok"},
      "wecom": {"errcode": 0, "errmsg": "ok"}}  # fmt: skip
# Each platform's answer to a bad request: HTTP 200 and an error code in the body.
PLATFORM_ERROR = {
    "feishu": {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"},
    "dingtalk": {"errcode": 310000, "errmsg": "sign not match"},
    "wecom": {"errcode": 93000, "errmsg": "invalid webhook url"},
}
# The code each platform's error answer carries, as it appears in the recorded error.
ERROR_CODE = {kind: str(next(iter(answer.values()))) for kind, answer in PLATFORM_ERROR.items()}
PATHS = {"feishu": "/open-apis/bot/v2/hook/{}", "dingtalk": "/robot/send?access_token={}",
         "wecom": "/cgi-bin/webhook/send?key={}"}  # fmt: skip


def _settings(base: Settings, kind: str, secret: str | None) -> Settings:
    return Settings(
        home=base.home, database_url=base.database_url, webhook_kind=kind,  # type: ignore[arg-type]
        webhook_secret=secret, remind_backoff=0, remind_attempts=3,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture(params=["feishu", "dingtalk", "wecom"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bot(kind: str, org_engine: Engine) -> Iterator[Receiver]:
    """One loopback bot; each manager has their own hook on it, told apart by the token."""
    with http_receiver(OK[kind]) as receiver:
        for account in MANAGERS:
            set_webhook(org_engine, account, receiver.url + PATHS[kind].format(account))
        yield receiver


def _send(engine: Engine, settings: Settings) -> list[Any]:
    return send_reminders(
        engine, settings, senders(settings), day=DAY, sleep=lambda _: None
    ).outcomes


def _token(kind: str, received: Any) -> str:
    if kind == "feishu":
        return str(received.path.rsplit("/", 1)[1])
    return str(received.query["access_token" if kind == "dingtalk" else "key"])


def test_each_platform_gets_its_documented_payload_signed_as_documented(
    kind: str, bot: Receiver, org_engine: Engine, settings: Settings
) -> None:
    secret = None if kind == "wecom" else SECRET
    outcomes = _send(org_engine, _settings(settings, kind, secret))
    assert [o.status for o in outcomes] == ["sent"] * 3, outcomes
    assert sorted(_token(kind, r) for r in bot.requests) == sorted(MANAGERS)
    for received in bot.requests:
        body = received.body
        if kind == "feishu":
            assert body["msg_type"] == "text" and "绩效教练提醒" in body["content"]["text"]
            timestamp = int(body["timestamp"])
            assert abs(time.time() - timestamp) < 60  # seconds, not milliseconds
            key = f"{timestamp}\n{SECRET}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            assert body["sign"] == expected
        elif kind == "dingtalk":
            assert body["msgtype"] == "markdown"
            assert "绩效教练提醒" in body["markdown"]["title"]
            assert body["markdown"]["text"].startswith("### 绩效教练提醒")
            timestamp = int(received.query["timestamp"])
            assert abs(time.time() * 1000 - timestamp) < 60_000  # milliseconds
            message = f"{timestamp}\n{SECRET}".encode()
            digest = hmac.new(SECRET.encode(), message, hashlib.sha256).digest()
            # parse_qs has undone the URL-encoding; what is left is the Base64 signature.
            assert received.query["sign"] == base64.b64encode(digest).decode()
        else:
            assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
            assert "绩效教练提醒" in body["markdown"]["content"]
            assert len(body["markdown"]["content"].encode()) <= 4096
    with Session(org_engine) as session:
        rows = session.exec(select(ReminderDelivery)).all()
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.sent, 1)}
    assert {r.body for r in rows} == {""}  # delivered text that names people is not kept
    assert not any(_token(kind, r) in row.destination for r in bot.requests for row in rows)


def test_unsigned_bots_get_no_signature(
    bot: Receiver, kind: str, org_engine: Engine, settings: Settings
) -> None:
    _send(org_engine, _settings(settings, kind, None))
    for received in bot.requests:
        assert "sign" not in received.body and "sign" not in received.query


@pytest.mark.parametrize("failure", ["http_500", "platform_error"])
def test_a_failed_try_is_retried_and_every_try_is_counted(
    kind: str, failure: str, bot: Receiver, org_engine: Engine, settings: Settings
) -> None:
    bad = (500, {"error": "internal"}) if failure == "http_500" else (200, PLATFORM_ERROR[kind])
    bot.replies = [bad, bad]  # the first manager's first two tries
    outcomes = _send(org_engine, _settings(settings, kind, None))
    assert [(o.status, o.attempts) for o in outcomes] == [("sent", 3), ("sent", 1), ("sent", 1)]
    assert len(bot.requests) == 5
    with Session(org_engine) as session:
        first = session.exec(select(ReminderDelivery).order_by(ReminderDelivery.id)).first()
    assert first is not None and first.last_error is not None
    assert ("500" if failure == "http_500" else ERROR_CODE[kind]) in first.last_error


def test_a_delivery_that_fails_every_try_stays_failed_until_retried(
    kind: str, bot: Receiver, org_engine: Engine, settings: Settings
) -> None:
    remind = _settings(settings, kind, None)
    bot.replies = [(200, PLATFORM_ERROR[kind])] * 3
    outcomes = _send(org_engine, remind)
    assert outcomes[0].status == "failed" and outcomes[0].attempts == 3
    assert ERROR_CODE[kind] in outcomes[0].detail
    again = retry_failed(org_engine, remind, senders(remind), sleep=lambda _: None)
    assert [(o.status, o.attempts) for o in again] == [("sent", 4)]
    assert retry_failed(org_engine, remind, senders(remind), sleep=lambda _: None) == []
    first, retried = bot.requests[0], bot.requests[-1]
    assert first.body == retried.body  # the text composed that day, not a new one


def test_an_unreachable_bot_is_a_failed_delivery_with_the_network_error(
    org_engine: Engine, settings: Settings
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/cgi-bin/webhook/send?key=k"
    for account in MANAGERS:
        set_webhook(org_engine, account, url + account)
    outcomes = _send(org_engine, _settings(settings, "wecom", None))
    assert {(o.status, o.attempts) for o in outcomes} == {("failed", 3)}
    assert all("network" in o.detail for o in outcomes)


def test_a_second_run_the_same_day_sends_nothing_again(
    kind: str, bot: Receiver, org_engine: Engine, settings: Settings
) -> None:
    remind = _settings(settings, kind, None)
    _send(org_engine, remind)
    again = _send(org_engine, remind)
    assert {o.status for o in again} == {"taken"}
    assert len(bot.requests) == 3


def test_one_group_bot_shared_by_several_managers_is_refused(
    org_engine: Engine, settings: Settings
) -> None:
    with http_receiver(OK["feishu"]) as receiver:
        shared = Settings(
            home=settings.home, database_url=settings.database_url, webhook_kind="feishu",
            webhook_url=receiver.url + "/open-apis/bot/v2/hook/team", remind_backoff=0,
        )  # fmt: skip
        outcomes = _send(org_engine, shared)
    assert {o.status for o in outcomes} == {"skipped"}
    assert "同一个群机器人" in outcomes[0].detail
    assert receiver.requests == []
