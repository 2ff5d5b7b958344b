"""Sending the digests and keeping a record of each: claimed once per day, tried with backoff,
and left `failed` (with the last error) for `coach remind --retry-failed` when every try failed."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from coach.core.db import session_scope
from coach.core.models import DeliveryStatus, ReminderDelivery, User, utcnow
from coach.core.settings import Settings
from coach.org.users import employee_names
from coach.reminders.channels import MARKDOWN_CHANNELS, Channel, Sender, SendFailed, fit, shown
from coach.reminders.digest import Digest, compose_digest, manager_accounts

logger = logging.getLogger("coach.reminders")

# A delivery still `sending` this long after its last try belongs to a process that died.
STALE_SENDING = timedelta(minutes=15)

OutcomeStatus = Literal["sent", "failed", "sending", "skipped", "taken", "empty", "would_send"]
NOT_DELIVERED: frozenset[OutcomeStatus] = frozenset({"failed", "skipped"})


class Outcome(BaseModel):
    """What happened to one manager's digest on one channel."""

    manager: str
    channel: str
    destination: str
    status: OutcomeStatus
    attempts: int = 0
    detail: str = ""
    body: str = ""


class RemindReport(BaseModel):
    day: date
    outcomes: list[Outcome]


@dataclass
class _Planned:
    user_id: int
    account: str
    channel: Channel
    destination: str
    problem: str = ""


def _destination(user: User, channel: Channel, settings: Settings) -> str:
    if channel == "email":
        return user.email or ""
    return user.webhook_url or settings.webhook_url


def _plan(users: list[User], channels: list[Channel], settings: Settings) -> list[_Planned]:
    """Where each manager's digest goes on each channel, or why it cannot go there."""
    planned = []
    for user in users:
        if user.id is None:
            continue
        for channel in channels:
            where = _destination(user, channel, settings)
            problem = "" if where else _missing(channel, user.name)
            planned.append(_Planned(user.id, user.name, channel, where, problem))
    # A group bot posts to everyone in the group: one group for several managers would show
    # each of them the others' people.
    shared = Counter(p.destination for p in planned if p.channel != "email" and p.destination)
    for p in planned:
        if p.channel != "email" and shared[p.destination] > 1:
            p.problem = (
                f"{shared[p.destination]} 位经理的提醒会发到同一个群机器人，群里每个人都会看到别人"
                "团队的人员；请用 `coach user contact NAME --webhook URL` 给每位经理设置只有本人所在的群"
            )
    return planned


def _missing(channel: Channel, account: str) -> str:
    if channel == "email":
        return f"账号 {account} 没有邮箱：`coach user contact {account} --email ADDRESS`"
    return f"账号 {account} 没有群机器人地址，也没有设置 COACH_WEBHOOK_URL"


def _body(digest: Digest, channel: Channel) -> str:
    lines = digest.lines(bold="**" if channel in MARKDOWN_CHANNELS else "")
    return fit(channel, lines, reserve=len(digest.title.encode()) + 8)


def send_reminders(
    engine: Engine,
    settings: Settings,
    channels: dict[Channel, Sender],
    *,
    day: date,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> RemindReport:
    """Each manager's digest for `day` on every channel: composed, claimed once, sent."""
    outcomes: list[Outcome] = []
    with session_scope(engine) as session:
        users = manager_accounts(session)
        digests = {u.id: compose_digest(session, u, day=day, settings=settings) for u in users}
        planned = _plan(users, list(channels), settings)
    for p in planned:
        digest = digests[p.user_id]
        shown_as = shown(p.channel, p.destination) if p.destination else "-"
        base = Outcome(
            manager=digest.manager_name, channel=p.channel, destination=shown_as, status="skipped"
        )
        if p.problem:
            outcomes.append(base.model_copy(update={"detail": p.problem}))
            continue
        if digest.is_empty:
            outcomes.append(
                base.model_copy(update={"status": "empty", "detail": "没有需要提醒的事项"})
            )
            continue
        body = _body(digest, p.channel)
        if dry_run:
            outcomes.append(base.model_copy(update={"status": "would_send", "body": body}))
            continue
        delivery = _claim(engine, digest, p, body, shown_as)
        if delivery is None:
            outcomes.append(
                base.model_copy(update={"status": "taken", "detail": "今天已发送或正在发送"})
            )
            continue
        sender = channels[p.channel]
        outcomes.append(_attempt(engine, settings, sender, delivery, p.destination, base, sleep))
    return RemindReport(day=day, outcomes=outcomes)


def _claim(
    engine: Engine, digest: Digest, planned: _Planned, body: str, destination: str
) -> ReminderDelivery | None:
    """The day's delivery row, inserted and committed; None when another run inserted it first."""
    try:
        with session_scope(engine) as session:
            row = ReminderDelivery(
                day=digest.day, user_id=planned.user_id, channel=planned.channel,
                destination=destination, title=digest.title, body=body,
                status=DeliveryStatus.sending,
            )  # fmt: skip
            session.add(row)
            session.flush()
            session.expunge(row)
    except IntegrityError:
        return None
    return row


def _attempt(
    engine: Engine,
    settings: Settings,
    sender: Sender,
    delivery: ReminderDelivery,
    destination: str,
    base: Outcome,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Try up to the configured number of times, recording each try; sent or failed."""
    tries = settings.remind_attempts
    for n in range(1, tries + 1):
        try:
            sender.send(destination, delivery.title, delivery.body)
        except SendFailed as exc:
            logger.warning(
                "reminder %s to %s: try %d of %d failed: %s",
                delivery.id, delivery.destination, n, tries, exc.reason,
            )  # fmt: skip
            last = n == tries
            status = DeliveryStatus.failed if last else DeliveryStatus.sending
            _record(engine, delivery, status, exc.reason)
            if not last:
                sleep(settings.remind_backoff * 2 ** (n - 1))
            continue
        logger.info("reminder %s to %s: sent on try %d", delivery.id, delivery.destination, n)
        _record(engine, delivery, DeliveryStatus.sent, None)
        break
    with session_scope(engine) as session:
        row = session.get(ReminderDelivery, delivery.id)
        return _to_outcome(row or delivery, base)


def _record(
    engine: Engine, delivery: ReminderDelivery, status: DeliveryStatus, error: str | None
) -> None:
    with session_scope(engine) as session:
        row = session.get(ReminderDelivery, delivery.id)
        if row is None:  # deleted under us: nothing left to record
            return
        row.attempts += 1
        row.status, row.updated_at = status, utcnow()
        if error is not None:
            row.last_error = error
        if status == DeliveryStatus.sent:
            # The text names people; once delivered it is the recipient's, not ours to keep.
            row.sent_at, row.body = row.updated_at, ""


def _to_outcome(row: ReminderDelivery, base: Outcome) -> Outcome:
    return base.model_copy(
        update={
            "status": row.status.value,
            "attempts": row.attempts,
            "detail": row.last_error or "",
        }
    )


def failed_deliveries(session: Session) -> list[ReminderDelivery]:
    """Deliveries that failed, and those a dead process left `sending`: none is forgotten."""
    stale = utcnow() - STALE_SENDING
    return list(
        session.exec(
            select(ReminderDelivery)
            .where(
                (col(ReminderDelivery.status) == DeliveryStatus.failed)
                | (
                    (col(ReminderDelivery.status) == DeliveryStatus.sending)
                    & (col(ReminderDelivery.updated_at) < stale)
                )
            )
            .order_by(col(ReminderDelivery.day), col(ReminderDelivery.id))
        ).all()
    )


def retry_failed(
    engine: Engine,
    settings: Settings,
    channels: dict[Channel, Sender],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """Send every failed (or abandoned) delivery again, with the text it was composed with, to
    where the account's digests go now (and not at all where a new one would not go)."""
    with session_scope(engine) as session:
        rows = failed_deliveries(session)
        users = manager_accounts(session)
        names = employee_names(session, [u.employee_id for u in users if u.employee_id])
        people = {u.id: names.get(u.employee_id or "", u.name) for u in users}
        for row in [*rows, *users]:
            session.expunge(row)
    plans = {(p.user_id, p.channel): p for p in _plan(users, list(channels), settings)}
    outcomes = []
    for row in rows:
        base = Outcome(
            manager=people.get(row.user_id, f"账号 {row.user_id}"), channel=row.channel,
            destination=row.destination, status="failed",
        )  # fmt: skip
        plan = plans.get((row.user_id, row.channel))  # type: ignore[arg-type]
        if plan is None or plan.problem:
            why = plan.problem if plan else "该账号已不是启用的经理账号，或这个渠道已不在配置中"
            outcomes.append(_to_outcome(row, base).model_copy(update={"detail": why}))
            continue
        if not _reclaim(engine, row):
            outcomes.append(base.model_copy(update={"status": "taken"}))
            continue
        sender = channels[plan.channel]
        outcomes.append(_attempt(engine, settings, sender, row, plan.destination, base, sleep))
    return outcomes


def _reclaim(engine: Engine, row: ReminderDelivery) -> bool:
    """Take a failed or abandoned delivery back to `sending`; False when another process did."""
    still = (
        col(ReminderDelivery.status) == DeliveryStatus.failed
        if row.status == DeliveryStatus.failed
        else (col(ReminderDelivery.status) == DeliveryStatus.sending)
        & (col(ReminderDelivery.updated_at) < utcnow() - STALE_SENDING)
    )
    with session_scope(engine) as session:
        claimed = session.exec(  # type: ignore[call-overload]
            update(ReminderDelivery)
            .where(col(ReminderDelivery.id) == row.id, still)
            .values(status=DeliveryStatus.sending, updated_at=utcnow())
        )
        return bool(claimed.rowcount == 1)


def scheduled_round(
    engine: Engine,
    settings: Settings,
    channels: dict[Channel, Sender],
    *,
    day: date,
    sleep: Callable[[float], None] = time.sleep,
) -> RemindReport:
    """What `coach serve` does at each scheduled time: earlier failures again, then the day's
    digests; several processes may run it at once, and each delivery is sent by one of them."""
    retried = retry_failed(engine, settings, channels, sleep=sleep)
    report = send_reminders(engine, settings, channels, day=day, sleep=sleep)
    for outcome in [*retried, *report.outcomes]:
        if outcome.status in NOT_DELIVERED:
            logger.error(
                "reminder to %s via %s not delivered: %s",
                outcome.manager, outcome.channel, outcome.detail,
            )  # fmt: skip
    return report
