"""Hire dates and periods in the evidence: what counts for whom, measured on which day."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from coach.chains.checkin_topics import compose_topics
from coach.chains.feedback import compose_feedback
from coach.chains.records import CoachingKind, Snapshot, load_snapshot
from coach.core.errors import Conflict
from coach.core.models import (
    CheckIn,
    Goal,
    KeyEvent,
    KeyResult,
    Metric,
    MetricValue,
    PeriodType,
    ProgressUpdate,
    ReviewScore,
    Role,
)
from coach.org.users import Principal
from coach.team import metric_history, team_overview
from tests.factories import employee

AS_OF = date(2026, 11, 16)
KINDS: tuple[CoachingKind, ...] = ("checkin_topics", "feedback", "development")
MANAGER = Principal(user_id=0, name="m", role=Role.manager, employee_id="M1")


def _person(session: Session, hired: date) -> None:
    session.add(employee("M1", "陈经理", role="销售经理", level="M2"))
    session.add(employee("N1", "林新", manager_id="M1", hire_date=hired))
    session.flush()


def _checkin(session: Session, day: date, progress: str = "完成了三家客户的回访") -> str:
    checkin_id = f"C-N1-{day.isoformat()}"
    session.add(
        CheckIn(checkin_id=checkin_id, employee_id="N1", manager_id="M1", date=day,
                progress=progress, obstacles="报价审批慢")
    )  # fmt: skip
    return checkin_id


def _review(session: Session, cycle: str, score: float, comment: str = "") -> str:
    row = ReviewScore(employee_id="N1", cycle=cycle, dimension="results", score=score,
                      reviewer_id="M1", comment=comment)  # fmt: skip
    session.add(row)
    session.flush()
    return f"R-{row.id}"


def _key_result(session: Session, cycle: str, *, current: float) -> str:
    session.add(Goal(goal_id="G-N1", employee_id="N1", cycle=cycle, title="下半年回款"))
    session.flush()
    session.add(KeyResult(kr_id="KR-N1-1", goal_id="G-N1", title="回款达到100", unit="万元",
                          baseline=0, target=100, current=current))  # fmt: skip
    session.flush()
    return "KR-N1-1"


def _snapshot(
    session: Session, kind: CoachingKind, as_of: date = AS_OF, cycle: str | None = None
) -> Snapshot:
    return load_snapshot(session, employee_id="N1", draft_kind=kind, as_of=as_of, cycle=cycle)


def test_a_review_cycle_that_ended_before_the_hire_date_is_not_held_against_the_person(
    session: Session,
) -> None:
    _person(session, hired=date(2026, 9, 1))
    review_id = _review(session, "2026H1", 1.5, comment="执行力不足")
    _checkin(session, date(2026, 10, 12))
    for kind in KINDS:
        assert _snapshot(session, kind).reviews == [], kind
    snapshot = _snapshot(session, "feedback", cycle="latest")
    assert snapshot.cycle == "2026H2" and snapshot.review_cycle is None
    text = compose_feedback(snapshot).model_dump_json()
    assert review_id not in text and "执行力不足" not in text and "2026H1" not in text


def test_a_cycle_joined_mid_way_is_kept_and_marked_as_such(session: Session) -> None:
    _person(session, hired=date(2026, 3, 2))
    review_id = _review(session, "2026H1", 4.6)
    _checkin(session, date(2026, 5, 11))
    snapshot = _snapshot(session, "feedback", cycle="2026H1")
    assert [(r.id, r.joined_mid_cycle) for r in snapshot.reviews] == [(review_id, True)]
    strengths = compose_feedback(snapshot).strengths
    assert any(review_id in s.evidence_ids and "入职不满一个周期" in s.text for s in strengths)


def test_a_full_cycle_is_not_marked(session: Session) -> None:
    _person(session, hired=date(2026, 1, 1))
    _review(session, "2026H1", 4.6)
    snapshot = _snapshot(session, "feedback", cycle="2026H1")
    assert [r.joined_mid_cycle for r in snapshot.reviews] == [False]
    assert all("入职不满一个周期" not in s.text for s in compose_feedback(snapshot).strengths)


def test_key_result_progress_is_compared_with_time_elapsed_on_its_record_date(
    session: Session,
) -> None:
    # 2026H2 runs from 07-01 to 12-31: 10-01 is half-way, 12-20 nearly the end.
    as_of = date(2026, 12, 20)
    _person(session, hired=date(2022, 1, 1))
    kr_id = _key_result(session, "2026H2", current=90)
    session.add(ProgressUpdate(kr_id=kr_id, date=date(2026, 10, 1), value=40, note="月度更新"))
    # Recorded after as_of: neither its value nor its date may count.
    session.add(ProgressUpdate(kr_id=kr_id, date=date(2026, 12, 28), value=90, note="年底更新"))
    _checkin(session, date(2026, 12, 10))
    session.commit()
    for kind in KINDS:
        (kr,) = _snapshot(session, kind, as_of=as_of).key_results
        assert (kr.current, kr.measured_on) == (40, date(2026, 10, 1)), kind
        assert (kr.progress_pct, kr.expected_pct, kr.status) == (40, 50, "on_track"), kind
    topics = compose_topics(_snapshot(session, "checkin_topics", as_of=as_of)).topics
    assert all(t.kind != "off_track_kr" for t in topics)
    feedback = compose_feedback(_snapshot(session, "feedback", as_of=as_of, cycle="latest"))
    assert all(kr_id not in m.evidence_ids for m in feedback.improvements)
    (member,) = team_overview(session, MANAGER, as_of=as_of)
    assert member.off_track == []


def test_a_key_result_far_behind_on_its_record_date_is_still_off_track(session: Session) -> None:
    _person(session, hired=date(2022, 1, 1))
    kr_id = _key_result(session, "2026H2", current=10)
    session.add(ProgressUpdate(kr_id=kr_id, date=date(2026, 10, 1), value=10))
    session.commit()
    (kr,) = _snapshot(session, "checkin_topics").key_results
    assert (kr.expected_pct, kr.status) == (50, "off_track")
    (member,) = team_overview(session, MANAGER, as_of=AS_OF)
    assert [(o.kr_id, o.expected_pct) for o in member.off_track] == [(kr_id, 50)]


def test_latest_is_the_newest_cycle_that_holds_records_of_the_person(session: Session) -> None:
    _person(session, hired=date(2022, 1, 1))
    review_id = _review(session, "2026H1", 4.2)
    checkin_id = _checkin(session, date(2026, 5, 11))
    session.add(KeyEvent(event_id="K-N1-1", employee_id="N1", date=date(2026, 4, 2),
                         description="主动接手大客户续约", kind="positive", author_id="M1"))  # fmt: skip
    snapshot = _snapshot(session, "feedback", cycle="latest")
    assert snapshot.cycle == "2026H1" and snapshot.review_cycle == "2026H1"
    assert [c.id for c in snapshot.checkins] == [checkin_id]
    assert [e.id for e in snapshot.events] == ["K-N1-1"]
    assert [r.id for r in snapshot.reviews] == [review_id]
    assert _snapshot(session, "feedback", cycle=None).cycle == "2026H1"


def test_latest_with_no_cycle_holding_records_is_a_conflict_naming_the_person(
    session: Session,
) -> None:
    _person(session, hired=date(2026, 9, 1))
    _review(session, "2026H1", 3.0)  # before the hire date: not theirs
    _checkin(session, date(2026, 8, 20))
    with pytest.raises(Conflict, match=r"N1 \(林新\).*review score.*check-in.*nothing to ground"):
        _snapshot(session, "feedback", cycle="latest")


def test_records_dated_before_the_hire_date_or_after_as_of_are_ignored(session: Session) -> None:
    _person(session, hired=date(2026, 9, 1))
    _checkin(session, date(2026, 8, 20), progress="入职前的记录")
    kept_checkin = _checkin(session, date(2026, 10, 10))
    _checkin(session, date(2026, 11, 20), progress="as_of 之后的记录")
    for event_id, day in (("K-N1-1", date(2026, 8, 25)), ("K-N1-2", date(2026, 10, 20))):
        session.add(KeyEvent(event_id=event_id, employee_id="N1", date=day,
                             description="完成新人培训", kind="positive", author_id="M1"))  # fmt: skip
    kr_id = _key_result(session, "2026H2", current=50)
    for day, value in ((date(2026, 8, 15), 30), (date(2026, 10, 15), 50)):
        session.add(ProgressUpdate(kr_id=kr_id, date=day, value=value))
    session.commit()
    for kind in KINDS:
        snapshot = _snapshot(session, kind, cycle="latest" if kind == "feedback" else None)
        assert [c.id for c in snapshot.checkins] == [kept_checkin], kind
        assert [e.id for e in snapshot.events] == ["K-N1-2"], kind
        assert [u.date for u in snapshot.key_results[0].updates] == [date(2026, 10, 15)], kind
    (member,) = team_overview(session, MANAGER, as_of=AS_OF)
    assert member.latest_checkin == date(2026, 10, 10)


def test_a_cycle_after_as_of_holds_nothing(session: Session) -> None:
    _person(session, hired=date(2022, 1, 1))
    _checkin(session, date(2027, 1, 11))
    assert _snapshot(session, "feedback", cycle="2027H1").checkins == []


def test_metric_history_leaves_out_periods_that_ended_before_the_hire_date(
    session: Session,
) -> None:
    _person(session, hired=date(2026, 9, 1))
    session.add(Metric(metric="revenue", name="回款", unit="万元", period_type=PeriodType.month))
    for period, value in (("2026-07", 80.0), ("2026-09", 20.0), ("2026-10", 35.0)):
        session.add(MetricValue(employee_id="N1", metric="revenue", period=period, value=value))
    session.commit()
    (series,) = metric_history(session, MANAGER, "N1")
    assert (series.periods, series.values) == (["2026-09", "2026-10"], [20.0, 35.0])


def test_a_key_result_updated_only_before_the_hire_date_stands_at_its_baseline(
    session: Session,
) -> None:
    _person(session, hired=date(2026, 9, 1))
    kr_id = _key_result(session, "2026H2", current=60)
    session.add(ProgressUpdate(kr_id=kr_id, date=date(2026, 8, 3), value=60))
    session.commit()
    (kr,) = _snapshot(session, "checkin_topics").key_results
    assert (kr.current, kr.progress_pct, kr.updates, kr.measured_on) == (0, 0, [], AS_OF)
