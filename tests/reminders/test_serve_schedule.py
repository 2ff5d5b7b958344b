from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.main import create_app
from coach.core.models import DeliveryStatus, ReminderDelivery
from coach.core.settings import Settings
from tests.reminders.conftest import MANAGERS, set_webhook
from tests.reminders.loopback import http_receiver


def _deliveries(engine: Engine) -> list[ReminderDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(ReminderDelivery)).all())


def test_two_app_processes_on_a_schedule_send_todays_digests_once(
    org_engine: Engine, settings: Settings
) -> None:
    scheduled = Settings(
        home=settings.home, database_url=settings.database_url, webhook_kind="dingtalk",
        remind_at="00:00", remind_days="mon,tue,wed,thu,fri,sat,sun", remind_backoff=0,
        audit_seal_interval=0,
    )  # fmt: skip
    with http_receiver({"errcode": 0, "errmsg": "ok"}) as bot:
        for account in MANAGERS:
            set_webhook(org_engine, account, f"{bot.url}/robot/send?access_token={account}")
        # Started after today's 00:00, each app sends today's round at once.
        with TestClient(create_app(scheduled)), TestClient(create_app(scheduled)):
            give_up = time.monotonic() + 30
            while time.monotonic() < give_up and not (
                len(rows := _deliveries(org_engine)) == 3
                and all(r.status == DeliveryStatus.sent for r in rows)
            ):
                time.sleep(0.1)
    assert sorted(r.query["access_token"] for r in bot.requests) == sorted(MANAGERS)
    assert {r.status for r in _deliveries(org_engine)} == {DeliveryStatus.sent}


def _task_names(client: TestClient) -> set[str]:
    assert client.portal is not None
    return client.portal.call(lambda: {t.get_name() for t in asyncio.all_tasks()})  # type: ignore[arg-type, return-value]


def test_the_reminder_task_runs_only_when_scheduled(org_engine: Engine, settings: Settings) -> None:
    plain = Settings(home=settings.home, database_url=settings.database_url)
    with TestClient(create_app(plain)) as client:
        assert "reminders" not in _task_names(client)
        assert "batch-worker" in _task_names(client)
    weekly = Settings(
        home=settings.home, database_url=settings.database_url, webhook_kind="wecom",
        remind_at="09:00",
    )  # fmt: skip
    with TestClient(create_app(weekly)) as client:
        assert "reminders" in _task_names(client)
