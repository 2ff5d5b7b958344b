"""Reminders where people work: each manager's digest (check-ins due, drafts waiting for their
decision, warnings about their people) sent to a 飞书, 钉钉 or 企业微信 group bot or by e-mail,
each delivery recorded so that a failure stays visible until it is retried."""

from coach.reminders.deliveries import (
    NOT_DELIVERED,
    Outcome,
    RemindReport,
    failed_deliveries,
    retry_failed,
    scheduled_round,
    send_reminders,
)
from coach.reminders.digest import Digest, compose_digest
from coach.reminders.schedule import missed_today, next_run, reminder_day

__all__ = [
    "NOT_DELIVERED",
    "Digest",
    "Outcome",
    "RemindReport",
    "compose_digest",
    "failed_deliveries",
    "missed_today",
    "next_run",
    "reminder_day",
    "retry_failed",
    "scheduled_round",
    "send_reminders",
]
