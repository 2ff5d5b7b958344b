from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from coach.cli import app
from coach.core.models import User
from tests.reminders.conftest import MANAGERS, set_webhook
from tests.reminders.loopback import http_receiver

runner = CliRunner()


@pytest.fixture
def feishu_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_WEBHOOK_KIND", "feishu")
    monkeypatch.setenv("COACH_REMIND_BACKOFF", "0")


def test_dry_run_prints_each_digest_and_sends_nothing(org_engine: Engine, feishu_env: None) -> None:
    with http_receiver({"code": 0}) as bot:
        for account in MANAGERS:
            set_webhook(org_engine, account, f"{bot.url}/open-apis/bot/v2/hook/{account}")
        result = runner.invoke(app, ["remind", "--dry-run", "--day", "2026-12-01"])
    assert result.exit_code == 0, result.output
    assert "digests for 2026-12-01: 3" in result.stdout
    assert result.stdout.count("would_send") == 3
    assert "何佳 的反馈草稿" in result.stdout
    assert bot.requests == []


def test_a_failed_delivery_is_printed_exits_1_and_is_sent_by_retry_failed(
    org_engine: Engine, feishu_env: None
) -> None:
    with http_receiver({"code": 0}) as bot:
        for account in MANAGERS:
            set_webhook(org_engine, account, f"{bot.url}/open-apis/bot/v2/hook/{account}")
        bot.replies = [(503, {"msg": "busy"})] * 3
        first = runner.invoke(app, ["remind", "--day", "2026-12-01"])
        assert first.exit_code == 1, first.output
        assert "1 deliveries failed" in first.output and "HTTP 503" in first.output
        retried = runner.invoke(app, ["remind", "--retry-failed"])
        assert retried.exit_code == 0, retried.output
        assert (
            "1 failed deliveries retried" in retried.stdout and ": sent, tries: 4" in retried.stdout
        )
    assert len(bot.requests) == 3 + 2 + 1


def test_remind_without_a_channel_says_what_to_set(org_engine: Engine) -> None:
    result = runner.invoke(app, ["remind"])
    assert result.exit_code == 2
    assert "COACH_WEBHOOK_KIND" in result.output and "COACH_SMTP_HOST" in result.output


def test_user_contact_sets_and_refuses_a_bad_address(org_engine: Engine) -> None:
    ok = runner.invoke(
        app, ["user", "contact", "user-manager", "--email", "chen@example.cn",
              "--webhook", "https://open.feishu.cn/open-apis/bot/v2/hook/x"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["user", "contact", "user-manager", "--email", "not-an-address"])
    assert bad.exit_code == 1 and "email" in bad.output
    with Session(org_engine) as session:
        user = session.exec(select(User).where(User.name == "user-manager")).one()
    assert user.email == "chen@example.cn"
    assert user.webhook_url == "https://open.feishu.cn/open-apis/bot/v2/hook/x"
