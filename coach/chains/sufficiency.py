"""How much a person's records support a coaching draft: enough, thin or not enough.

The level is counted from the snapshot, never asked of a model, and goes to the manager
with its reason (which records there are and which are missing); the employee never sees
it. On thin records the offline composers write fewer items instead of padding.
"""

from __future__ import annotations

from coach.chains.common import zh_punct
from coach.chains.records import Snapshot
from coach.chains.schemas import DataSufficiency, SufficiencyLevel


def assess(snapshot: Snapshot) -> DataSufficiency:
    """The data-sufficiency level of a snapshot, with its reason in the snapshot's language."""
    checkins = len(snapshot.checkins)
    reviewed = bool(snapshot.reviews)
    other = bool(snapshot.key_results or snapshot.events)
    level: SufficiencyLevel
    if snapshot.evidence_count() == 0:
        level = "not_enough"
    elif (
        (checkins >= 3 and (reviewed or other))
        or (checkins >= 2 and reviewed and other)
        # A review and several dated results or events carry a draft without check-ins.
        or (reviewed and len(snapshot.key_results) + len(snapshot.events) >= 3)
    ):
        level = "enough"
    else:
        level = "thin"
    reason = _reason_en(snapshot, level) if snapshot.lang == "en" else _reason_zh(snapshot, level)
    return DataSufficiency(level=level, reason=reason)


def is_thin(sufficiency: DataSufficiency) -> bool:
    """Whether a draft should stay short: the records are thin or missing."""
    return sufficiency.level != "enough"


def _period_zh(snapshot: Snapshot) -> str:
    return (
        f"{snapshot.cycle}周期内"
        if snapshot.draft_kind == "feedback" and snapshot.cycle
        else "期间"
    )


def _reason_zh(snapshot: Snapshot, level: str) -> str:
    cycles = {r.cycle for r in snapshot.reviews}
    counted = [
        (len(snapshot.checkins), f"{len(snapshot.checkins)}次面谈记录", "面谈记录"),
        (len(cycles), f"{len(cycles)}次评估({len(snapshot.reviews)}个维度)", "评估"),
        (
            len(snapshot.key_results),
            f"{len(snapshot.key_results)}个关键结果{_behind_zh(snapshot)}",
            "关键结果",
        ),
        (
            len(snapshot.events),
            f"{len(snapshot.events)}条关键事件{_negative_zh(snapshot)}",
            "关键事件",
        ),
    ]
    present = "、".join(text for n, text, _ in counted if n)
    missing = "、".join(name for n, _, name in counted if not n)
    period = _period_zh(snapshot)
    if level == "not_enough":
        return zh_punct(
            f"{period}没有{missing},只有人员档案(在岗{snapshot.profile.tenure_months}个月)"
        )
    lead = f"{period}有{present}" if level == "enough" else f"{period}只有{present}"
    reason = f"{lead},没有{missing}" if missing else lead
    if snapshot.checkins:
        latest = snapshot.checkins[0].date
        reason += f";最近一次面谈在{latest.isoformat()},距今{(snapshot.as_of - latest).days}天"
    return zh_punct(reason)


def _behind(snapshot: Snapshot) -> int:
    return sum(kr.status == "off_track" for kr in snapshot.key_results)


def _negative(snapshot: Snapshot) -> int:
    return sum(event.polarity == "negative" for event in snapshot.events)


def _behind_zh(snapshot: Snapshot) -> str:
    behind = _behind(snapshot)
    return f"(其中{behind}个落后于时间进度)" if behind else ""


def _negative_zh(snapshot: Snapshot) -> str:
    negative = _negative(snapshot)
    return f"(其中{negative}条是问题)" if negative else ""


def _reason_en(snapshot: Snapshot, level: str) -> str:
    cycles = {r.cycle for r in snapshot.reviews}
    counted = [
        (len(snapshot.checkins), "check-in"),
        (len(cycles), "review"),
        (len(snapshot.key_results), "key result"),
        (len(snapshot.events), "key event"),
    ]
    behind, negative = _behind(snapshot), _negative(snapshot)
    notes = {
        "key result": f" ({behind} behind plan)" if behind else "",
        "key event": f" ({negative} negative)" if negative else "",
    }
    present = ", ".join(
        f"{n} {name}{'s' if n > 1 else ''}{notes.get(name, '')}" for n, name in counted if n
    )
    missing = ", ".join(f"no {name}" for n, name in counted if not n)
    if level == "not_enough":
        months = snapshot.profile.tenure_months
        return f"no records in the period, only the profile ({months} months in the role)"
    lead = present if level == "enough" else f"only {present}"
    reason = f"{lead} in the period, {missing}" if missing else f"{lead} in the period"
    if snapshot.checkins:
        latest = snapshot.checkins[0].date
        reason += f"; last check-in {latest.isoformat()}, {(snapshot.as_of - latest).days} days ago"
    return reason
