"""When `coach serve` sends the digests: COACH_REMIND_AT on COACH_REMIND_DAYS, in COACH_REMIND_TIMEZONE."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coach.core.settings import Settings


def reminder_day(now: datetime, settings: Settings) -> date:
    """The day a digest sent at `now` is for: the date where the managers are."""
    return now.astimezone(ZoneInfo(settings.remind_timezone)).date()


def next_run(now: datetime, settings: Settings) -> datetime | None:
    """The first scheduled moment after `now` (aware), or None when no schedule is set."""
    if not settings.remind_at:
        return None
    zone = ZoneInfo(settings.remind_timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in settings.remind_at.split(":"))
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        at = datetime.combine(day, time(hour, minute), tzinfo=zone)
        if day.weekday() in settings.remind_weekdays and at > local:
            return at
    raise AssertionError("a weekly schedule always has a next run within eight days")


def missed_today(now: datetime, settings: Settings) -> datetime | None:
    """Today's scheduled moment when it has passed already (a process started after it), else None.

    Running it late is safe: a delivery already made today is not made again.
    """
    if not settings.remind_at:
        return None
    zone = ZoneInfo(settings.remind_timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in settings.remind_at.split(":"))
    at = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
    return at if local.weekday() in settings.remind_weekdays and at <= local else None
