"""Development suggestions: retrieval by the gap's own words, weak matches left out, plans
phrased from the practice's steps and the person's records."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from coach.chains import development
from coach.chains.development import Gap, Match, compose_plan, find_gaps, practice_steps
from coach.chains.grounding import Grounder
from coach.chains.records import (
    Calendar,
    CheckInRecord,
    Directory,
    PracticeRecord,
    ProfileRecord,
    ReviewRecord,
    Snapshot,
)
from coach.chains.schemas import DataSufficiency
from coach.core.assets import knowledge_dir
from coach.knowledge import KnowledgeBase, SearchHit
from evals.development_repetition import BAR, demo_plans, plan_repetition, plan_texts

AS_OF = date(2026, 11, 16)


def _snapshot(
    reviews: Sequence[tuple[str, str, float, str]] = (),
    obstacles: Sequence[tuple[date, str]] = (),
) -> Snapshot:
    return Snapshot(
        draft_kind="development",
        as_of=AS_OF,
        review_cycle="2026H1",
        profile=ProfileRecord(
            id="E1", name="陈静", role="销售代表", tenure_months=30,
            manager_id="M1", manager_name="王磊",
        ),
        reviews=[
            ReviewRecord(id=f"R-{dim}", cycle="2026H1", dimension=dim, dimension_label=label,
                         score=score, comment=comment)
            for dim, label, score, comment in reviews
        ],
        checkins=[
            CheckInRecord(id=f"C-{day:%Y%m%d}", date=day, manager_name="王磊", obstacles=text)
            for day, text in obstacles
        ],
        calendar=Calendar(as_of=AS_OF, next_checkin=date(2026, 11, 30),
                          month_end=date(2026, 11, 30), cycle_end=date(2026, 12, 31)),
    )  # fmt: skip


class RecordingKnowledge(KnowledgeBase):
    """A practice library that answers from a table and remembers every query."""

    def __init__(self, answers: dict[str, list[SearchHit]]) -> None:
        self.answers = answers
        self.queries: list[str] = []

    def search(self, query: str, **_: Any) -> list[SearchHit]:
        self.queries.append(query)
        for needle, hits in self.answers.items():
            if needle in query:
                return hits
        return []

    def get_document(self, doc_id: str, collection: str = "practices") -> None:
        return None


def _hit(doc_id: str, score: float) -> SearchHit:
    return SearchHit(id=doc_id, title=f"实践{doc_id}", score=score, snippet="…")


REVIEWS = [
    ("team", "团队贡献", 2.4, "跨部门会议上很少主动同步进度"),
    ("behavior", "行为与价值观", 2.9, ""),
    ("results", "业绩结果", 3.6, ""),
    ("innovation", "创新", 3.8, ""),
]


def test_retrieval_is_queried_with_what_the_records_say_is_missing() -> None:
    obstacle = "客户预算冻结,签约推迟到下季度"
    snapshot = _snapshot(REVIEWS, [(date(2026, 10, 12), obstacle), (date(2026, 9, 14), obstacle)])
    kb = RecordingKnowledge({})
    development.retrieve(kb, find_gaps(snapshot))
    assert any("跨部门会议上很少主动同步进度" in q for q in kb.queries)
    assert any("客户预算冻结,签约推迟到下季度" in q for q in kb.queries)


def test_a_gap_whose_best_practice_scores_low_gets_none() -> None:
    snapshot = _snapshot(REVIEWS)
    weak = development.MIN_SCORE - 0.001
    kb = RecordingKnowledge({
        "跨部门会议": [_hit("micro-360-feedback", 4.2), _hit("feedforward", 3.9)],
        "行为与价值观": [_hit("job-rotation", weak), _hit("performance-appeal", weak)],
    })  # fmt: skip
    matches = development.retrieve(kb, find_gaps(snapshot))
    assert [m.gap.label for m in matches] == ["团队贡献", "团队贡献"]
    assert {m.practice.id for m in matches} == {"micro-360-feedback", "feedforward"}
    assert all(m.score >= development.MIN_SCORE for m in matches)


def test_each_match_shows_the_sentence_of_the_practice_that_matched_its_gap() -> None:
    sentence = "跨团队的工作每周同步一次进度，卡点当场提出。"
    hit = SearchHit(
        id="shared-cross-team-kr", title="跨团队共担", score=4.2, snippet="…",
        matched_sentence=sentence,
    )  # fmt: skip
    kb = RecordingKnowledge({"跨部门会议": [hit]})
    (match,) = development.retrieve(kb, find_gaps(_snapshot(REVIEWS)))
    assert match.practice.matched_sentence == sentence


def test_practice_steps_keep_the_action_and_drop_examples_numbers_and_quotes() -> None:
    body = (Path(knowledge_dir()) / "five-whys.md").read_text(encoding="utf-8")
    steps = practice_steps(body)
    assert steps[0] == "用一句可以核实的事实描述问题"
    assert steps[2] == "当答案指向某个可以控制的环节时停下来，这就是要动手改的地方"
    assert not any(re.search(r"[0-9“”「」（）]", s) for s in steps)
    sbi = practice_steps((Path(knowledge_dir()) / "sbi-feedback.md").read_text(encoding="utf-8"))
    assert sbi[0] == "点明具体场合"


def test_steps_the_manager_carries_out_stay_out_of_the_employees_plan() -> None:
    body = "**怎么做**：\n1. 邀请两三位合作过的同事给反馈。\n2. 每季度由管理者把反馈汇总一起看。\n3. 上级应在月底检查应用情况。\n"
    assert practice_steps(body) == ("邀请两三位合作过的同事给反馈",)


def _plan_for(snapshot: Snapshot, steps: tuple[str, ...]) -> list[Any]:
    gaps = find_gaps(snapshot)
    gaps = gaps * 2 if len(gaps) == 1 else gaps  # a lone gap takes two practices, as in retrieve
    matches = [
        Match(gap, PracticeRecord(id=f"p{i}", title=f"实践{i}", snippet="…", tags=[]), 4.2, steps)
        for i, gap in enumerate(gaps)
    ]
    snapshot = development.with_practices(snapshot, matches)
    # Enough records, so that no suggestion is left out for thinness: these tests read wording.
    plan = compose_plan(snapshot, matches, DataSufficiency(level="enough", reason="测试"))
    problems = development.validate(Grounder(snapshot, Directory(people={})), snapshot, plan)
    assert problems == []
    return plan.suggestions


def test_first_step_and_milestones_come_from_the_practice_steps_and_the_record() -> None:
    steps = (
        "用一句可以核实的事实描述问题",
        "请最了解现场的人一起参加",
        "找出可以控制的环节",
        "针对根因写出对策",
    )
    obstacle = "测试环境不稳定,经常排队"
    snapshot = _snapshot(REVIEWS, [(date(2026, 10, 12), obstacle), (date(2026, 9, 14), obstacle)])
    (s,) = [s for s in _plan_for(snapshot, steps) if s.gap == "多次提到的障碍"]
    assert steps[0] in s.first_step and obstacle in s.first_step
    assert steps[1] in s.milestones.day_30
    assert steps[2] in s.milestones.day_60
    assert steps[3] in s.milestones.day_90 and "2026-10-12" in s.milestones.day_90
    assert "本周读完" not in s.first_step


def test_only_the_strictly_lowest_dimension_is_called_the_lowest() -> None:
    team, behavior = _plan_for(_snapshot(REVIEWS), ())
    assert "是各维度中最低的" in team.why
    assert "最低" not in behavior.why


def test_one_mention_is_not_called_recurring() -> None:
    snapshot = _snapshot(obstacles=[(date(2026, 10, 12), "排班紧张")])
    s, _ = _plan_for(snapshot, ())
    assert s.gap == "沟通中提到的障碍"
    assert not re.search(r"反复|多次|都提到", s.why)


@pytest.fixture(scope="module")
def demo(knowledge: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return demo_plans(knowledge, tmp_path_factory.mktemp("demo"))


def test_demo_development_sentences_rarely_recur_for_three_people(demo: dict[str, Any]) -> None:
    share, examples = plan_repetition(demo)
    assert len(demo) >= 25
    assert share.share is not None and share.share < BAR, examples[:5]


_QUOTE = re.compile(r"「[^」]*」")


def test_demo_text_addresses_the_employee_in_full_width_punctuation(demo: dict[str, Any]) -> None:
    for plan in demo.values():
        for text in plan_texts(plan):
            unquoted = _QUOTE.sub("", text)
            assert not re.search(r"[\u4e00-\u9fff][,;:?!]|[,;:?!][\u4e00-\u9fff]", unquoted), text
            assert not re.search(r"[他她]", unquoted), text
            assert "员工写道" not in text


def test_each_suggestion_gives_its_reason_from_the_cited_record(demo: dict[str, Any]) -> None:
    for plan in demo.values():
        for s in plan.suggestions:
            reason = [part for part in s.why.split("。") if part][-1]
            assert s.practice_title in reason, s.why


def test_a_gap_is_described_by_its_record() -> None:
    (gap,) = find_gaps(_snapshot(obstacles=[(date(2026, 10, 12), "排班紧张")]))
    assert isinstance(gap, Gap) and gap.description.startswith("排班紧张")


def test_the_llm_is_given_each_gap_with_its_practice_and_steps() -> None:
    obstacle = "测试环境不稳定,经常排队"
    snapshot = _snapshot(REVIEWS, [(date(2026, 10, 12), obstacle), (date(2026, 9, 14), obstacle)])
    steps = ("用一句可以核实的事实描述问题",)
    matches = [
        Match(g, PracticeRecord(id=f"p{i}", title=f"实践{i}", snippet="…", tags=[]), 4.2, steps)
        for i, g in enumerate(find_gaps(snapshot))
    ]
    snapshot = development.with_practices(snapshot, matches)
    chain = development.spec(snapshot, Directory(people={}), matches)
    gaps = json.loads(chain.variables["gaps"])
    assert [g["practice_id"] for g in gaps] == ["p0", "p1", "p2"]
    assert all(g["practice_steps"] == list(steps) for g in gaps)
    assert any(obstacle in g["description"] for g in gaps)
