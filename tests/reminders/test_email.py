from __future__ import annotations

from sqlalchemy import Engine

from coach.core.settings import Settings
from coach.reminders import send_reminders
from coach.reminders.channels import senders
from tests.reminders.conftest import DAY, set_webhook
from tests.reminders.loopback import closed_port, smtp_sink

ADDRESSES = {
    "user-manager": "chen@example.cn", "user-other_manager": "liu@example.cn",
    "user-top_manager": "zhou@example.cn",
}  # fmt: skip


def _mail_settings(base: Settings, port: int) -> Settings:
    return Settings(
        home=base.home, database_url=base.database_url, smtp_host="127.0.0.1", smtp_port=port,
        smtp_security="none", smtp_from="coach@example.cn", remind_backoff=0,
    )  # fmt: skip


def test_each_manager_gets_one_mail_at_their_address_with_only_their_people(
    org_engine: Engine, settings: Settings
) -> None:
    for account, address in ADDRESSES.items():
        set_webhook(org_engine, account, None, email=address)
    with smtp_sink() as sink:
        remind = _mail_settings(settings, sink.port)
        outcomes = send_reminders(org_engine, remind, senders(remind), day=DAY).outcomes
    assert [o.status for o in outcomes] == ["sent"] * 3
    assert sorted(to for _, recipients in sink.envelopes for to in recipients) == sorted(
        ADDRESSES.values()
    )
    mails = {str(m["To"]): m for m in sink.mails}
    chen = mails["chen@example.cn"]
    assert str(chen["From"]) == "coach@example.cn"
    assert str(chen["Subject"]) == f"绩效教练提醒 {DAY}：陈经理"
    text = chen.get_content()
    assert "李强" in text and "赵雪" in text and "何佳" not in text
    assert "**" not in text  # plain text, not markdown
    assert "何佳" in mails["liu@example.cn"].get_content()


def test_a_manager_without_an_address_is_reported_not_dropped(
    org_engine: Engine, settings: Settings
) -> None:
    set_webhook(org_engine, "user-manager", None, email="chen@example.cn")
    with smtp_sink() as sink:
        remind = _mail_settings(settings, sink.port)
        outcomes = send_reminders(org_engine, remind, senders(remind), day=DAY).outcomes
    assert [o.status for o in outcomes] == ["sent", "skipped", "skipped"]
    assert "没有邮箱" in outcomes[1].detail and "coach user contact" in outcomes[1].detail
    assert len(sink.mails) == 1


def test_a_mail_server_that_is_down_leaves_failed_deliveries(
    org_engine: Engine, settings: Settings
) -> None:
    set_webhook(org_engine, "user-manager", None, email="chen@example.cn")
    remind = _mail_settings(settings, closed_port())
    outcomes = send_reminders(
        org_engine, remind, senders(remind), day=DAY, sleep=lambda _: None
    ).outcomes
    assert (outcomes[0].status, outcomes[0].attempts) == ("failed", 3)
    assert "smtp" in outcomes[0].detail
