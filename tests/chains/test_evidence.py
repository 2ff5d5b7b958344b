"""The offline drafts use the strongest evidence and read as varied, addressed Chinese."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from coach.chains import checkin_topics, feedback
from coach.chains.common import short, zh_punct
from coach.chains.grounding import Grounder
from coach.chains.records import (
    Calendar,
    CheckInRecord,
    CoachingKind,
    Directory,
    EventRecord,
    ProfileRecord,
    ReviewRecord,
    Snapshot,
    load_snapshot,
)
from coach.core.models import Employee
from coach.quality import check_comments

AS_OF = date(2026, 11, 16)
PRAISE = "你为回归测试补了26条自动化用例,发布前回归时间从两天缩短到半天。建议下季度覆盖退款流程。"
SHORTFALL = "本月线上出现两次样式错乱,都是没在低版本浏览器上验证。下次提测前请补充兼容性检查。"
PROMISE = "本月首次响应时长比上月多了8分钟,主要在周一上午排队。建议周一早到半小时处理积压工单,我来协调排班。"
FULL_WIDTH = "\uff0c"


def _checkin(n: int, day: date, **notes: str) -> CheckInRecord:
    return CheckInRecord(id=f"C-S1-{n}", date=day, manager_name="周经理", **notes)


def _snapshot(
    kind: CoachingKind,
    checkins: list[CheckInRecord],
    *,
    person: str = "S1",
    tenure: int = 33,
    reviews: list[ReviewRecord] | None = None,
    events: list[EventRecord] | None = None,
) -> Snapshot:
    profile = ProfileRecord(id=person, name="林然", role="测试工程师", level="P2",
                            department="研发部", team="平台组", tenure_months=tenure,
                            manager_id="M1", manager_name="周经理")  # fmt: skip
    calendar = Calendar(as_of=AS_OF, next_checkin=AS_OF + timedelta(days=14),
                        month_end=date(2026, 11, 30), cycle_end=date(2026, 12, 31))  # fmt: skip
    return Snapshot(draft_kind=kind, as_of=AS_OF, cycle="2026H2" if kind == "feedback" else None,
                    review_cycle="2026H1" if reviews else None, profile=profile, checkins=checkins, reviews=reviews or [],
                    events=events or [], calendar=calendar)  # fmt: skip


def _directory() -> Directory:
    return Directory(people={"S1": "林然", "M1": "周经理"})


def _review(dimension: str, label: str, score: float) -> ReviewRecord:
    return ReviewRecord(id=f"R-{dimension}", cycle="2026H1", dimension=dimension,
                        dimension_label=label, score=score, comment="")  # fmt: skip


def test_managers_specific_praise_becomes_a_strength_citing_its_checkin() -> None:
    praised = _checkin(1, date(2026, 10, 12), progress="回归用例补齐", manager_feedback=PRAISE)
    vague = _checkin(
        2, date(2026, 9, 12), progress="按计划推进", manager_feedback="表现良好,继续努力。"
    )
    snapshot = _snapshot("feedback", [praised, vague],
                         reviews=[_review("results", "业绩结果", 3.9), _review("team", "团队贡献", 3.0)])  # fmt: skip
    draft = feedback.compose_feedback(snapshot)
    strength = next(s for s in draft.strengths if praised.id in s.evidence_ids)
    assert "补了26条自动化用例" in strength.text and "2026-10-12" in strength.text
    assert not any(vague.id in s.evidence_ids for s in draft.strengths)
    assert feedback.validate(Grounder(snapshot, _directory()), snapshot, draft) == []


def test_a_shortfall_the_manager_named_becomes_the_first_improvement() -> None:
    named = _checkin(1, date(2026, 10, 12), progress="会员页改版", manager_feedback=SHORTFALL)
    snapshot = _snapshot("feedback", [named], reviews=[_review("results", "业绩结果", 3.9)])
    draft = feedback.compose_feedback(snapshot)
    first = draft.improvements[0]
    assert first.evidence_ids == [named.id]
    assert "两次样式错乱" in first.behavior and "补充兼容性检查" in first.suggestion
    assert not any(named.id in s.evidence_ids for s in draft.strengths)
    assert feedback.validate(Grounder(snapshot, _directory()), snapshot, draft) == []


def test_an_obstacle_raised_in_three_checkins_is_a_topic_that_states_the_count() -> None:
    days = [date(2026, 11, 10), date(2026, 10, 11), date(2026, 9, 11)]
    checkins = [
        _checkin(n, d, obstacles="客户预算冻结,签约推迟到下季度") for n, d in enumerate(days)
    ]
    snapshot = _snapshot("checkin_topics", checkins)
    topics = checkin_topics.compose_topics(snapshot).topics
    topic = next(t for t in topics if t.kind == "obstacle")
    assert set(topic.evidence_ids) == {c.id for c in checkins}
    assert "3次面谈" in topic.title and "一共3次" in topic.why_now
    assert "反复" not in topic.title + topic.why_now and "多次" not in topic.why_now
    assert checkin_topics.validate(Grounder(snapshot, _directory()), checkin_topics.CheckinTopics(topics=topics)) == []  # fmt: skip


def test_a_promise_in_a_checkin_is_followed_up_saying_no_later_record_shows_it_kept() -> None:
    promised = _checkin(2, date(2026, 10, 12), manager_feedback=PROMISE)
    later = _checkin(1, date(2026, 11, 12), progress="工单积压减少")
    snapshot = _snapshot("checkin_topics", [later, promised])
    topics = checkin_topics.compose_topics(snapshot)
    topic = next(t for t in topics.topics if promised.id in t.evidence_ids)
    assert topic.kind == "open_action" and "我来协调排班" in topic.title
    assert "之后的面谈记录里（共1次）还没有看到「协调排班」落实" in topic.why_now
    assert checkin_topics.validate(Grounder(snapshot, _directory()), topics) == []


def test_a_promise_a_later_checkin_records_as_done_cites_that_checkin() -> None:
    promised = _checkin(2, date(2026, 10, 12), manager_feedback=PROMISE)
    kept = _checkin(1, date(2026, 11, 12), progress="主管已协调排班,周一积压下降")
    snapshot = _snapshot("checkin_topics", [kept, promised])
    topics = checkin_topics.compose_topics(snapshot)
    topic = next(t for t in topics.topics if promised.id in t.evidence_ids)
    assert kept.id in topic.evidence_ids and "2026-11-12的记录提到了「协调排班」" in topic.why_now
    assert checkin_topics.validate(Grounder(snapshot, _directory()), topics) == []


def test_a_long_stretch_without_a_checkin_is_mentioned_in_days() -> None:
    checkins = [_checkin(1, date(2026, 9, 28), progress="按计划推进", next_actions="整理客户清单")]
    snapshot = _snapshot("checkin_topics", checkins)
    topics = checkin_topics.compose_topics(snapshot)
    assert (
        "距上次面谈(2026-09-28)已有49天".replace("(", "\uff08").replace(")", "\uff09")
        in topics.topics[0].why_now
    )
    assert checkins[0].id in topics.topics[0].evidence_ids
    assert checkin_topics.validate(Grounder(snapshot, _directory()), topics) == []


def test_no_settling_in_topic_for_someone_long_in_the_role_without_records() -> None:
    topics = checkin_topics.compose_topics(_snapshot("checkin_topics", [], tenure=33)).topics
    # Without records the list stays short rather than padded with generic topics.
    assert 1 <= len(topics) < 3
    assert not any("新岗位" in t.title or "入职后" in t.title for t in topics)
    newcomer = checkin_topics.compose_topics(_snapshot("checkin_topics", [], tenure=2)).topics
    assert any("新岗位" in t.title for t in newcomer)


def test_a_long_event_clause_is_shortened_before_a_joined_phrase_never_mid_word() -> None:
    assert (
        short("排查出缓存穿透导致的接口超时问题并给出修复方案")
        == "排查出缓存穿透导致的接口超时问题"
    )
    assert short("主动梳理华润万家的采购流程,提前锁定年度框架协议") == "主动梳理华润万家的采购流程"
    unbroken = "连续三天没有按时更新工单状态导致客户重复来电询问"
    assert short(unbroken) == unbroken


def test_chinese_text_takes_full_width_punctuation_but_quotes_and_numbers_stay_verbatim() -> None:
    assert zh_punct("你在2026H2周期,「创新,协作」得分3.5;比例1:1,共1,000元(含税)") == (
        "你在2026H2周期\uff0c「创新,协作」得分3.5\uff1b比例1:1\uff0c共1,000元\uff08含税\uff09"
    )


def test_feedback_addresses_the_employee_and_varies_with_the_person() -> None:
    event = EventRecord(id="K-1", date=date(2026, 10, 3), polarity="positive",
                        description="排查出缓存穿透导致的接口超时问题并给出修复方案",
                        impact="高峰期接口错误率明显下降", author_name="周经理",
                        author_relation="manager")  # fmt: skip
    reviews = [_review("results", "业绩结果", 3.9), _review("innovation", "创新", 2.6)]
    texts = set()
    for n in range(6):
        snapshot = _snapshot("feedback", [], person=f"S{n}", reviews=reviews, events=[event])
        draft = feedback.compose_feedback(snapshot)
        employee_text = draft.summary + "".join(s.text for s in draft.strengths)
        assert "他" not in employee_text and "请他" not in employee_text
        assert "," not in employee_text.replace("「", "\n").split("\n")[0]
        texts.add(draft.strengths[0].text)
    assert len(texts) >= 2


def test_every_demo_person_with_specific_manager_feedback_gets_it_cited(
    demo_engine: Engine,
) -> None:
    with Session(demo_engine) as session:
        people = session.exec(select(Employee).where(col(Employee.manager_id).is_not(None))).all()
        snapshots = [
            load_snapshot(
                session,
                employee_id=p.employee_id,
                draft_kind="feedback",
                as_of=AS_OF,
                cycle="latest",
            )
            for p in people
        ]
    with_feedback = cited = 0
    for snapshot in snapshots:
        written = [c for c in snapshot.checkins if c.manager_feedback.strip()]
        checks = check_comments([c.manager_feedback for c in written], "zh")
        specific = {c.id for c, check in zip(written, checks, strict=True) if not check.vague}
        if not specific:
            continue
        draft = feedback.compose_feedback(snapshot)
        used = {i for item in (*draft.strengths, *draft.improvements) for i in item.evidence_ids}
        with_feedback += 1
        cited += bool(specific & used)
    assert with_feedback >= 10
    assert cited / with_feedback >= 0.9
