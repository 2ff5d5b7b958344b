"""How much the records support a draft: counted from the snapshot, short drafts on thin records."""

from __future__ import annotations

from datetime import date, timedelta

from coach.chains.checkin_topics import compose_topics
from coach.chains.development import Match, compose_plan, find_gaps, with_practices
from coach.chains.feedback import compose_feedback
from coach.chains.records import (
    Calendar,
    CheckInRecord,
    CoachingKind,
    EventRecord,
    KeyResultRecord,
    PracticeRecord,
    ProfileRecord,
    ReviewRecord,
    Snapshot,
)
from coach.chains.schemas import FeedbackDraft
from coach.chains.sufficiency import assess
from coach.drafts.content import employee_view

AS_OF = date(2026, 11, 16)


def _checkin(n: int) -> CheckInRecord:
    return CheckInRecord(
        id=f"C-E1-{n}", date=AS_OF - timedelta(days=30 * n), manager_name="陈静",
        progress=f"完成第{n}批客户回访", obstacles="客户预算冻结", support_needed="需要法务支持",
        next_actions="回访华润万家", manager_feedback="", employee_comment="",
    )  # fmt: skip


def _snapshot(kind: CoachingKind, *, checkins: int = 0, full: bool = False) -> Snapshot:
    extra: dict[str, object] = {}
    if full:
        extra = {
            "reviews": [ReviewRecord(id="R-1", cycle="2026H1", dimension="team", dimension_label="团队贡献",
                                     score=3.1, comment="")],
            "events": [EventRecord(id="K-1", date=date(2026, 10, 5), polarity="positive",
                                   description="提前锁定蓝海物流年度协议", impact="带来稳定订单",
                                   author_name="陈静", author_relation="manager")],
            "key_results": [KeyResultRecord(id="KR-1", goal_title="回款", cycle="2026Q4", title="季度回款",
                                            unit="万元", direction="higher_is_better", baseline=0, target=100,
                                            current=60, remaining=40, due_date=date(2026, 12, 31),
                                            measured_on=AS_OF, progress_pct=60, expected_pct=50,
                                            status="ahead")],
        }  # fmt: skip
    return Snapshot(
        draft_kind=kind, as_of=AS_OF, cycle="2026H2" if kind == "feedback" else None,
        profile=ProfileRecord(id="E1", name="李强", role="销售代表", level="P3", department="销售部",
                              team="华东", tenure_months=33, manager_id="E2", manager_name="陈静"),
        checkins=[_checkin(n) for n in range(1, checkins + 1)],
        calendar=Calendar(as_of=AS_OF, next_checkin=date(2026, 11, 30), month_end=date(2026, 11, 30),
                          cycle_end=date(2026, 12, 31)),
        **extra,
    )  # fmt: skip


def test_levels_and_reasons_come_from_the_records() -> None:
    none = assess(_snapshot("checkin_topics"))
    assert none.level == "not_enough" and "在岗33个月" in none.reason
    thin = assess(_snapshot("feedback", checkins=2))
    assert thin.level == "thin"
    assert thin.reason == (
        "2026H2周期内只有2次面谈记录，没有评估、关键结果、关键事件；"
        "最近一次面谈在2026-10-17，距今30天"
    )
    enough = assess(_snapshot("feedback", checkins=3, full=True))
    assert enough.level == "enough" and enough.reason.startswith("2026H2周期内有3次面谈记录")


def test_the_reason_says_what_the_records_hold_in_full_width_punctuation() -> None:
    snapshot = _snapshot("feedback", checkins=3, full=True)
    behind = snapshot.key_results[0].model_copy(update={"status": "off_track"})
    problem = snapshot.events[0].model_copy(update={"polarity": "negative"})
    reason = assess(
        snapshot.model_copy(update={"key_results": [behind], "events": [problem]})
    ).reason
    assert "1个关键结果（其中1个落后于时间进度）" in reason
    assert "1条关键事件（其中1条是问题）" in reason
    assert "," not in reason and "(" not in reason
    english = snapshot.model_copy(update={"lang": "en", "key_results": [behind]})
    assert assess(english).reason == (
        "3 check-ins, 1 review, 1 key result (1 behind plan), 1 key event in the period; "
        "last check-in 2026-10-17, 30 days ago"
    )


def test_a_person_long_in_the_role_without_records_gets_no_invented_topic() -> None:
    topics = compose_topics(_snapshot("checkin_topics"))
    assert topics.data_sufficiency is not None and topics.data_sufficiency.level == "not_enough"
    assert not [t for t in topics.topics if "新岗位" in t.title or "入职" in t.title]
    # What the records show: no key result and no check-in; nothing generic is added.
    assert [(t.kind, t.title) for t in topics.topics] == [
        ("goal_setting", "为本期设定可衡量的关键结果"),
        ("development", "约定面谈节奏和记录方式"),
    ]
    assert "记录较少" in topics.manager_prep


def test_thin_records_make_a_short_feedback_draft_that_says_so() -> None:
    thin = compose_feedback(_snapshot("feedback", checkins=2))
    lists = (thin.strengths, thin.improvements, thin.resource_needs)
    assert all(len(items) <= 2 for items in lists)
    assert "记录较少" in thin.manager_prep
    full = compose_feedback(_snapshot("feedback", checkins=3, full=True))
    assert full.data_sufficiency is not None and full.data_sufficiency.level == "enough"
    assert "记录较少" not in full.manager_prep


def test_the_sufficiency_is_not_in_the_employees_view() -> None:
    draft = compose_feedback(_snapshot("feedback", checkins=2)).model_dump(mode="json")
    shown = employee_view(FeedbackDraft, draft)
    assert "data_sufficiency" not in shown and "记录" not in str(shown.get("manager_prep", ""))
    assert draft["data_sufficiency"]["reason"] not in str(shown)


def test_offline_text_refers_to_nobody_as_he() -> None:
    for kind in ("checkin_topics", "feedback"):
        snapshot = _snapshot(kind, checkins=3, full=True)  # type: ignore[arg-type]
        draft = compose_topics(snapshot) if kind == "checkin_topics" else compose_feedback(snapshot)
        text = draft.model_dump_json()
        assert "他" not in text.replace("其他", ""), text


def test_thin_records_make_the_shortest_development_plan() -> None:
    snapshot = _snapshot("development", checkins=2)
    practices = [
        PracticeRecord(id=f"p{i}", title=f"实践{i}", snippet="", tags=[]) for i in range(4)
    ]
    matches = [Match(find_gaps(snapshot)[0], p, 1.0) for p in practices]
    plan = compose_plan(with_practices(snapshot, matches), matches)
    assert len(plan.suggestions) == 2 and "记录较少" in plan.manager_prep
    assert all(s.manager_prep for s in plan.suggestions)


def test_a_review_and_several_events_are_enough_without_check_ins() -> None:
    base = _snapshot("development", full=True)
    assert assess(base).level == "thin"  # one review, one event, one key result
    events = [
        base.events[0].model_copy(update={"id": f"K-{n}", "date": date(2026, 9, n)})
        for n in range(1, 3)
    ]
    richer = base.model_copy(update={"events": [*base.events, *events]})
    judged = assess(richer)
    assert judged.level == "enough"
    assert "没有面谈记录" in judged.reason


def test_people_with_like_records_get_unlike_preparation_notes() -> None:
    base = _snapshot("feedback", checkins=3, full=True)
    drafts = [
        compose_feedback(
            base.model_copy(update={"profile": base.profile.model_copy(update={"id": f"E{n}"})})
        )
        for n in range(1, 7)
    ]
    for part in ("resource_needs", "improvements"):
        notes = [getattr(d, part)[0].manager_prep for d in drafts]
        assert all(notes) and len(set(notes)) > 1, part
