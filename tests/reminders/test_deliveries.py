from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.models import DeliveryStatus, ReminderDelivery, utcnow
from coach.core.settings import Settings
from coach.reminders import failed_deliveries, retry_failed, send_reminders
from coach.reminders.channels import fit, senders
from tests.reminders.conftest import DAY, MANAGERS, set_webhook
from tests.reminders.loopback import http_receiver


def _wecom(base: Settings) -> Settings:
    return Settings(
        home=base.home, database_url=base.database_url, webhook_kind="wecom", remind_backoff=0
    )


def test_processes_sending_the_same_morning_send_each_digest_once(
    org_engine: Engine, settings: Settings
) -> None:
    remind = _wecom(settings)
    with http_receiver({"errcode": 0}) as bot:
        for account in MANAGERS:
            set_webhook(org_engine, account, f"{bot.url}/cgi-bin/webhook/send?key={account}")
        reports = []
        threads = [
            threading.Thread(
                target=lambda: reports.append(
                    send_reminders(org_engine, remind, senders(remind), day=DAY)
                )
            )
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = sorted(o.status for report in reports for o in report.outcomes)
    assert statuses == ["sent"] * 3 + ["taken"] * 6
    assert sorted(r.query["key"] for r in bot.requests) == sorted(MANAGERS)


def test_a_delivery_left_sending_by_a_dead_process_is_listed_and_retried(
    org_engine: Engine, settings: Settings
) -> None:
    remind = _wecom(settings)
    with http_receiver({"errcode": 0}) as bot:
        set_webhook(org_engine, "user-manager", f"{bot.url}/cgi-bin/webhook/send?key=m1")
        with Session(org_engine) as session:
            session.add(ReminderDelivery(
                day=DAY, user_id=3, channel="wecom", destination="bot", title="t", body="b",
                status=DeliveryStatus.sending, updated_at=utcnow() - timedelta(hours=1),
            ))  # fmt: skip
            session.add(ReminderDelivery(
                day=DAY, user_id=4, channel="wecom", destination="bot", title="t", body="b",
                status=DeliveryStatus.sending,
            ))  # fmt: skip
            session.commit()
            listed = failed_deliveries(session)
        assert [d.user_id for d in listed] == [3]  # the one still being sent is not
        outcomes = retry_failed(org_engine, remind, senders(remind))
    assert [(o.manager, o.status) for o in outcomes] == [("陈经理", "sent")]
    assert [r.body["markdown"]["content"] for r in bot.requests] == ["### t\nb"]


def test_a_long_digest_is_cut_at_a_whole_line_to_fit_the_platform() -> None:
    lines = [f"- 第 {n} 条：" + "关键结果落后" * 10 for n in range(200)]
    text = fit("wecom", lines, reserve=60)
    assert len(text.encode()) <= 4096 - 60
    kept = text.splitlines()
    assert kept[:-1] == lines[: len(kept) - 1]
    assert kept[-1] == f"……另有 {200 - len(kept) + 1} 行，请在 Coach 中查看。"


def test_the_stored_destination_never_holds_the_bots_key(
    org_engine: Engine, settings: Settings
) -> None:
    remind = _wecom(settings)
    key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    with http_receiver({"errcode": 0}) as bot:
        set_webhook(org_engine, "user-manager", f"{bot.url}/cgi-bin/webhook/send?key={key}")
        send_reminders(org_engine, remind, senders(remind), day=DAY)
    with Session(org_engine) as session:
        rows = session.exec(select(ReminderDelivery)).all()
    assert rows and all(key not in r.destination for r in rows)
