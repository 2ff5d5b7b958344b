"""Comparative and aggregate claims: the validator recomputes them, the composers word them true."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from coach.chains import checkin_topics, development, feedback
from coach.chains.checkin_topics import compose_topics
from coach.chains.common import pseudonymizer_for, short
from coach.chains.development import Match, compose_plan, find_gaps
from coach.chains.feedback import compose_feedback
from coach.chains.grounding import Grounder
from coach.chains.records import (
    Calendar,
    CheckInRecord,
    Directory,
    EventRecord,
    KeyResultRecord,
    PracticeRecord,
    ProfileRecord,
    ReviewRecord,
    Snapshot,
    UpdateNote,
)
from coach.core.models import Direction
from tests.chains.conftest import BASE_URL, TOOL_NAMES, openai_engine, tool_answer

AS_OF = date(2026, 11, 16)
DIRECTORY = Directory(people={"E1": "李强", "E2": "陈静"})
BUDGET = "客户预算冻结,签约推迟到下季度"
TEST_ENV = "测试环境不稳定,经常排队"
SCORES = {"results": 3.7, "behavior": 2.9, "team": 3.2, "innovation": 3.4}
LABELS = {
    "results": "业绩结果",
    "behavior": "行为与价值观",
    "team": "团队贡献",
    "innovation": "创新",
}


def _kr(
    kr_id: str,
    title: str,
    unit: str,
    baseline: float,
    target: float,
    values: list[float],
    progress: int,
    status: str,
    direction: Direction = Direction.higher_is_better,
) -> KeyResultRecord:
    updates = [
        UpdateNote(date=d, value=v, note="月度进展更新")
        for d, v in zip((date(2026, 10, 15), date(2026, 11, 12)), values, strict=False)
    ]
    return KeyResultRecord(
        id=kr_id, goal_title="华东大区2026年第四季度重点目标", cycle="2026Q4", title=title,
        unit=unit, direction=direction, baseline=baseline, target=target, current=values[-1],
        remaining=round(abs(target - values[-1]), 2), due_date=date(2026, 12, 31),
        measured_on=date(2026, 11, 12), progress_pct=progress, expected_pct=46,
        status=status, updates=updates,  # type: ignore[arg-type]
    )  # fmt: skip


# 62 -> 48 万元: a decline, behind plan.
REVENUE = _kr("KR-E1-1", "销售回款达到95", "万元", 40, 95, [62, 48], 15, "off_track")
# A count that the records hold with a fraction.
CUSTOMERS = _kr("KR-E1-2", "新签客户数达到7", "家", 4.2, 7, [4.5, 4.87], 24, "off_track")
# A percentage, lower is better: 2.16% against 1.8%, 0.36 points to go.
DEFECTS = _kr("KR-E1-3", "缺陷率降到1.8", "%", 2.25, 1.8, [2.2, 2.16], 20, "off_track",
              Direction.lower_is_better)  # fmt: skip
# Ahead of plan and still rising.
POINTS = _kr("KR-E1-4", "交付故事点达到45", "点", 27, 45, [33, 40], 72, "ahead")
# Ahead of plan, but the latest update went down.
SLIPPING = _kr("KR-E1-5", "客户满意度达到4.5", "分", 2.7, 4.5, [4.2, 4.0], 72, "ahead")


def _checkin(day: date, obstacle: str, **fields: str) -> CheckInRecord:
    values = {"progress": "重点工作按计划推进", "support_needed": "", "next_actions": "",
              "manager_feedback": "", "employee_comment": "", **fields}  # fmt: skip
    return CheckInRecord(
        id=f"C-E1-{day:%Y%m}", date=day, manager_name="陈静", obstacles=obstacle, **values
    )


def snapshot(
    *,
    tenure: int = 30,
    kind: str = "feedback",
    scores: dict[str, float] | None = None,
    obstacles: tuple[str, ...] = (TEST_ENV, BUDGET, BUDGET, ""),
    key_results: tuple[KeyResultRecord, ...] = (REVENUE, CUSTOMERS, DEFECTS, POINTS),
    events: tuple[EventRecord, ...] = (),
) -> Snapshot:
    days = (date(2026, 11, 10), date(2026, 10, 12), date(2026, 9, 12), date(2026, 8, 12))
    reviews = [
        ReviewRecord(id=f"R-{n}", cycle="2026H1", dimension=d, dimension_label=LABELS[d], score=s,
                     comment="")
        for n, (d, s) in enumerate((SCORES if scores is None else scores).items(), start=1)
    ]  # fmt: skip
    return Snapshot(
        draft_kind=kind, as_of=AS_OF, cycle="2026H2" if kind == "feedback" else None,  # type: ignore[arg-type]
        review_cycle="2026H1" if reviews else None,
        profile=ProfileRecord(id="E1", name="李强", role="销售代表", level="P3", department="销售部",
                              team="华东大区", tenure_months=tenure, manager_id="E2",
                              manager_name="陈静"),
        key_results=list(key_results),
        checkins=[_checkin(d, o) for d, o in zip(days, obstacles, strict=False)],
        reviews=reviews, events=list(events),
        calendar=Calendar(as_of=AS_OF, next_checkin=date(2026, 11, 30),
                          month_end=date(2026, 11, 30), cycle_end=date(2026, 12, 31)),
    )  # fmt: skip


def _kinds(text: str, ids: list[str], snap: Snapshot | None = None, **kw: Any) -> list[str]:
    grounder = Grounder(snap or snapshot(), DIRECTORY)
    return [v.kind for v in grounder.check("x", [text], ids, **kw)]


TRUE_AND_FALSE = [
    # extreme: behaviour (2.9) is the lowest of 2026H1, team (3.2) is not
    ("extreme", "2026H1评估中「行为与价值观」得分2.9,是各维度中最低的。",
     "2026H1评估中「团队贡献」得分3.2,是各维度中最低的。", ["R-2"], ["R-3"]),
    ("extreme", "「业绩结果」得分3.7最高、「行为与价值观」得分2.9最低。",
     "「创新」得分3.4最高、「行为与价值观」得分2.9最低。", ["R-1", "R-2"], ["R-4", "R-2"]),
    # frequency: the budget freeze is in two check-ins, the test environment in one
    ("frequency", f"2026-09-12、2026-10-12的沟通中多次提到障碍「{BUDGET}」。",
     f"2026-09-12、2026-10-12的沟通中反复提到障碍「{BUDGET}」。",
     ["C-E1-202609", "C-E1-202610"], ["C-E1-202609", "C-E1-202610"]),
    ("frequency", f"2026-11-10的沟通中提到障碍「{TEST_ENV}」。",
     f"2026-11-10的沟通中多次提到障碍「{TEST_ENV}」。", ["C-E1-202611"], ["C-E1-202611"]),
    # pace: 15% done with 46% of the period gone is behind, not ahead
    ("pace", "关键结果「销售回款达到95」完成进度15%,落后于46%的时间进度。",
     "关键结果「销售回款达到95」完成进度15%,领先于46%的时间进度。", ["KR-E1-1"], ["KR-E1-1"]),
    # direction: the revenue went from 62 down to 48
    ("direction", "「销售回款达到95」从62万元下降到48万元。",
     "「销售回款达到95」从62万元增长到48万元。", ["KR-E1-1"], ["KR-E1-1"]),
    ("direction", "「销售回款达到95」最近一次更新有所下降。",
     "「销售回款达到95」最近一次更新有所增长。", ["KR-E1-1"], ["KR-E1-1"]),
    # percentage points: the defect rate is 0.36 points from its target
    ("percent_points", "「缺陷率降到1.8」当前为2.16%,还差0.36个百分点。",
     "「缺陷率降到1.8」当前为2.16%,还差0.36%。", ["KR-E1-3"], ["KR-E1-3"]),
    # counts: customers are whole
    ("count", "「新签客户数达到7」当前为5家,目标7家。",
     "「新签客户数达到7」当前为4.87家,目标7家。", ["KR-E1-2"], ["KR-E1-2"]),
    # totals and rankings
    ("total", "全部4个关键结果中,「交付故事点达到45」领先于时间进度。",
     "全部3个关键结果中,「交付故事点达到45」领先于时间进度。", ["KR-E1-4"], ["KR-E1-4"]),
    ("ranking", "「交付故事点达到45」完成进度72%。",
     "「交付故事点达到45」完成进度72%,同组排名第一。", ["KR-E1-4"], ["KR-E1-4"]),
    # tenure: 30 months after the hire date nobody is new in the role
    ("tenure", "担任销售代表已有30个月。", "新岗位适应:担任销售代表已有30个月。", ["E1"], ["E1"]),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "true", "false", "true_ids", "false_ids"), TRUE_AND_FALSE)
def test_a_false_claim_is_rejected_and_a_true_one_passes(
    kind: str, true: str, false: str, true_ids: list[str], false_ids: list[str]
) -> None:
    assert _kinds(true, true_ids) == []
    assert kind in _kinds(false, false_ids)


def test_repeated_needs_three_check_ins() -> None:
    three = snapshot(obstacles=(BUDGET, BUDGET, BUDGET, ""))
    text = f"三次沟通中反复提到障碍「{BUDGET}」。"
    assert _kinds(text, ["C-E1-202611"], three) == []
    assert "frequency" in _kinds(text, ["C-E1-202611"])


def test_a_tied_lowest_dimension_is_said_to_be_tied() -> None:
    tied = snapshot(scores={**SCORES, "team": 2.9})
    assert "extreme" in _kinds("「团队贡献」得分2.9,是各维度中最低的。", ["R-3"], tied)
    assert _kinds("「团队贡献」得分2.9,是各维度中并列最低的。", ["R-3"], tied) == []


@pytest.mark.parametrize(
    "text",
    [
        "建议每周多次练习「SBI反馈法」,并记录结果。",
        f"从10月到11月,「{TEST_ENV}」一直没有解决。",
        "如何进一步提升「销售回款达到95」的完成进度?",
    ],
)
def test_advice_and_dates_are_no_claims(text: str) -> None:
    assert [k for k in _kinds(text, ["C-E1-202611", "KR-E1-1"]) if k not in ("quote", "date")] == []


def test_a_superlative_about_scores_must_name_its_dimension() -> None:
    assert "extreme" in _kinds("2026H1评估中得分最低的维度需要提升。", ["R-2"])


def test_claim_words_in_the_records_own_words_are_theirs() -> None:
    event = EventRecord(id="K-E1-1", date=date(2026, 10, 5), polarity="negative",
                        description="连续三次未按时更新工单状态", impact="客户重复来电询问",
                        author_name="陈静", author_relation="manager")  # fmt: skip
    snap = snapshot(events=(event,))
    assert (
        _kinds("2026-10-05,连续三次未按时更新工单状态,客户重复来电询问。", ["K-E1-1"], snap) == []
    )


def test_a_strength_is_never_a_declining_result() -> None:
    text = "关键结果「销售回款达到95」从62万元下降到48万元。"
    assert "decline" in _kinds(text, ["KR-E1-1"], strength=True)
    assert "decline" in _kinds("「客户满意度达到4.5」当前为4分。", ["KR-E1-5"],
                               snapshot(key_results=(SLIPPING,)), strength=True)  # fmt: skip
    rising = "关键结果「交付故事点达到45」从33点增长到40点,完成进度72%,高于46%的时间进度。"
    assert _kinds(rising, ["KR-E1-4"], strength=True) == []


def test_feedback_validation_treats_strengths_as_strengths() -> None:
    snap = snapshot()
    draft = compose_feedback(snap)
    spoiled = draft.model_copy(deep=True)
    spoiled.strengths[0].text = "关键结果「销售回款达到95」从62万元下降到48万元,表现突出。"
    spoiled.strengths[0].evidence_ids = ["KR-E1-1"]
    problems = feedback.validate(Grounder(snap, DIRECTORY), snap, spoiled)
    assert "decline" in [p.kind for p in problems if p.path == "strengths.0"]


# --- the offline composers ---------------------------------------------------------------


def _all_text(value: Any) -> str:
    return json.dumps(value.model_dump(mode="json"), ensure_ascii=False)


def _plan(snap: Snapshot) -> Any:
    gaps = find_gaps(snap)
    practices = [PracticeRecord(id=f"p{i}", title=f"做法{i}", snippet="", tags=[])
                 for i in range(len(gaps))]  # fmt: skip
    matches = [Match(g, p, 1.0) for g, p in zip(gaps, practices, strict=True)][:4]
    return snap.model_copy(update={"practices": practices}), compose_plan(snap, matches)


def _lowest_named(text: str) -> set[str]:
    """The dimensions a text calls the lowest, whatever the sentence plan around the score."""
    return {
        label for label in LABELS.values()
        if re.search(rf"「{label}」(?:得分|得了)?\s*\d+(?:\.\d+)?分?(?:（[^）]*）)?[,，]?(?:是各维度中)?最低"
                     rf"|「{label}」是你得分(?:并列)?最低", text)
    }  # fmt: skip


def test_only_the_lowest_dimension_is_called_lowest_in_feedback_and_development() -> None:
    snap = snapshot(kind="development")
    _, plan = _plan(snap)
    development_text = _all_text(plan)
    feedback_text = _all_text(compose_feedback(snapshot()))
    # 团队贡献 (3.2) is a gap, but not the lowest one.
    assert "「团队贡献」" in development_text and "3.2" in development_text
    assert _lowest_named(development_text) == {"行为与价值观"}
    assert _lowest_named(feedback_text) == {"行为与价值观"}


@pytest.mark.parametrize("kind", ["feedback", "development", "checkin_topics"])
def test_offline_drafts_state_no_false_claim(kind: str) -> None:
    snap = snapshot(kind=kind)
    if kind == "development":
        snap, plan = _plan(snap)
        problems = development.validate(Grounder(snap, DIRECTORY), snap, plan)
    elif kind == "feedback":
        problems = feedback.validate(Grounder(snap, DIRECTORY), snap, compose_feedback(snap))
    else:
        problems = checkin_topics.validate(Grounder(snap, DIRECTORY), compose_topics(snap))
    assert [p.message() for p in problems] == []


def test_frequency_words_follow_the_count() -> None:
    text = _all_text(compose_feedback(snapshot(key_results=())))
    assert f"都提到了障碍「{BUDGET}」" in text and "一共2次" in text
    assert "反复" not in text
    topics = _all_text(compose_topics(snapshot(kind="checkin_topics", key_results=())))
    assert "反复" not in topics


def test_counts_are_whole_and_differences_of_percentages_are_points() -> None:
    text = _all_text(compose_feedback(snapshot())) + _all_text(
        compose_topics(snapshot(kind="checkin_topics"))
    )
    assert "4.87家" not in text and "2.13家" not in text
    assert "为5家" in text
    assert "0.36个百分点" in text and "0.36%" not in text


def test_a_declining_key_result_is_no_strength() -> None:
    snap = snapshot(key_results=(SLIPPING,), obstacles=(BUDGET, BUDGET))
    strengths = compose_feedback(snap).strengths
    assert all("KR-E1-5" not in s.evidence_ids for s in strengths)
    topics = compose_topics(snapshot(kind="checkin_topics", key_results=(SLIPPING,)))
    assert all(t.kind != "achievement" or "KR-E1-5" not in t.evidence_ids for t in topics.topics)


def test_a_key_result_done_on_its_last_day_is_not_said_to_be_ahead() -> None:
    done = _kr("KR-E1-6", "交付故事点达到45", "点", 27, 45, [40, 45], 100, "done")
    done = done.model_copy(update={"expected_pct": 100})
    snap = snapshot(key_results=(done,))
    for output in (
        compose_feedback(snap),
        compose_topics(snapshot(kind="checkin_topics", key_results=(done,))),
    ):
        text = _all_text(output)
        assert "「交付故事点达到45」" in text
        assert "领先于100%" not in text and "高于100%" not in text
    assert "pace" in _kinds("「交付故事点达到45」完成进度100%,领先于100%的时间进度。", ["KR-E1-6"],
                            snap)  # fmt: skip


def test_no_new_role_topic_for_someone_long_in_the_role() -> None:
    empty = {"key_results": (), "obstacles": (), "scores": {}}
    veteran = _all_text(compose_topics(snapshot(kind="checkin_topics", tenure=33, **empty)))  # type: ignore[arg-type]
    newcomer = _all_text(compose_topics(snapshot(kind="checkin_topics", tenure=3, **empty)))  # type: ignore[arg-type]
    assert "新岗位" not in veteran and "入职后的前几个月" not in veteran
    assert "新岗位" in newcomer


def test_titles_are_not_cut_mid_phrase() -> None:
    clause = "夜间值班时独立处理蓝海物流系统故障投诉并安抚客户"
    title = short(clause + ",避免流失")
    assert title in (clause, "夜间值班时独立处理蓝海物流系统故障投诉")
    long_clause = (
        "牵头梳理华东大区全部重点客户的采购审批流程和历史合同条款并整理成统一的报价模板供团队使用"
    )
    cut = short(long_clause)
    assert long_clause.startswith(cut) and long_clause[len(cut)] in "并和及"


# --- an LLM answer with a false claim ----------------------------------------------------


@respx.mock
def test_an_llm_answer_with_a_false_claim_is_retried_then_answered_offline() -> None:
    snap = snapshot()
    offline = compose_feedback(snap)
    payload = offline.model_dump(mode="json", exclude={"quality_flags"})
    payload["improvements"][0]["behavior"] = "2026H1评估中「团队贡献」得分3.2,是各维度中最低的"
    payload["improvements"][0]["evidence_ids"] = ["R-3"]
    masked = pseudonymizer_for(snap, DIRECTORY).mask_value(payload)
    answer = httpx.Response(200, json=tool_answer(TOOL_NAMES["feedback"], masked))
    route = respx.post(f"{BASE_URL}/chat/completions").mock(side_effect=[answer, answer])
    result = asyncio.run(feedback.draft_feedback(snap, DIRECTORY, engine=openai_engine()))
    assert route.call_count == 2
    assert any("extreme" in v for v in result.attempts[0].violations)
    assert result.provenance.provider == "offline"
    assert "grounding check twice" in (result.provenance.fallback_reason or "")
    assert "「团队贡献」得分3.2,是各维度中最低的" not in _all_text(result.output)
    assert result.output.quality_flags == []


def test_a_key_result_nine_points_behind_is_not_said_to_be_on_schedule() -> None:
    # 65% done with 74% of the period gone: close enough to pick a checkpoint topic, too far
    # behind to be "level with" the time elapsed.
    trailing = _kr("KR-E1-7", "上半年销售额达到150", "万元", 0, 150, [90, 98], 65, "on_track")
    trailing = trailing.model_copy(update={"expected_pct": 74})
    snap = snapshot(kind="checkin_topics", key_results=(trailing,))
    text = _all_text(compose_topics(snap))
    assert "基本持平" not in text
    assert "落后于74%的时间进度9个百分点" in text
    said = "「上半年销售额达到150」完成进度65%,与74%的时间进度基本持平。"
    assert "pace" in _kinds(said, ["KR-E1-7"], snap)
    assert (
        _kinds(
            "「上半年销售额达到150」完成进度65%,落后于74%的时间进度9个百分点。", ["KR-E1-7"], snap
        )
        == []
    )
