from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from coach.core.settings import Settings
from coach.reminders import missed_today, next_run, reminder_day

# Tuesday 2026-12-01, 08:30 in Shanghai.
TUESDAY_MORNING = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


def _schedule(**fields: object) -> Settings:
    return Settings(webhook_kind="wecom", **fields)  # type: ignore[arg-type]


def test_no_schedule_means_no_run() -> None:
    assert next_run(TUESDAY_MORNING, Settings()) is None
    assert missed_today(TUESDAY_MORNING, Settings()) is None


def test_the_next_run_is_the_next_listed_day_at_the_time_in_the_time_zone() -> None:
    monday = _schedule(remind_at="09:00")
    assert next_run(TUESDAY_MORNING, monday) == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    weekdays = _schedule(remind_at="09:00", remind_days="mon,tue,fri")
    assert next_run(TUESDAY_MORNING, weekdays) == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert missed_today(TUESDAY_MORNING, weekdays) is None


def test_a_process_started_after_todays_time_runs_it_late() -> None:
    early = _schedule(remind_at="08:00", remind_days="tue")
    assert missed_today(TUESDAY_MORNING, early) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert next_run(TUESDAY_MORNING, early) == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)


def test_the_digest_day_is_the_managers_date() -> None:
    late_utc = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # already 12-01 in Shanghai
    assert str(reminder_day(late_utc, Settings())) == "2026-12-01"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"COACH_WEBHOOK_URL": "https://open.feishu.cn/x"}, "COACH_WEBHOOK_KIND"),
        ({"COACH_WEBHOOK_KIND": "slack"}, "COACH_WEBHOOK_KIND"),
        ({"COACH_WEBHOOK_KIND": "feishu", "COACH_WEBHOOK_URL": "open.feishu.cn/x"}, "http(s)"),
        ({"COACH_WEBHOOK_KIND": "wecom", "COACH_WEBHOOK_SECRET": "s"}, "not signed"),
        ({"COACH_SMTP_HOST": "mail"}, "COACH_SMTP_FROM"),
        (
            {"COACH_SMTP_HOST": "mail", "COACH_SMTP_FROM": "a@b.cn", "COACH_SMTP_USER": "u"},
            "go together",
        ),
        ({"COACH_WEBHOOK_KIND": "feishu", "COACH_REMIND_AT": "9am"}, "HH:MM"),
        ({"COACH_WEBHOOK_KIND": "feishu", "COACH_REMIND_DAYS": "monday"}, "COACH_REMIND_DAYS"),
        ({"COACH_REMIND_TIMEZONE": "Mars/Olympus"}, "COACH_REMIND_TIMEZONE"),
        ({"COACH_REMIND_AT": "09:00"}, "needs a channel"),
    ],
)
def test_bad_reminder_settings_say_which_and_why(
    monkeypatch: pytest.MonkeyPatch, fields: dict[str, str], says: str
) -> None:
    for name, value in fields.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert says in str(raised.value)
