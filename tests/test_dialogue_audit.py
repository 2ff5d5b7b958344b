"""The dialogue audit on the demo company, checked against figures recomputed by hand.

The recomputation below reads the raw rows and uses nothing from `coach.oversight.dialogue`:
completion from the org chart and check-in dates, effective feedback from the stored check,
and the three required parts from a hand-labelled table of the demo's feedback wording.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from coach.cli import app as cli
from coach.core.models import ApprovalRecord, AuditEvent, CheckIn, Employee, Role, User
from coach.demo import seed_demo
from coach.drafts.decisions import decide
from coach.drafts.registry import DraftKind, register_kinds
from coach.drafts.store import Provenance, create_draft
from coach.org.users import Principal
from coach.oversight.dialogue import dialogue_audit
from tests.factories import auth

runner = CliRunner()

# (positive point, improvement suggestion, resource need) per demo feedback text, by a person.
LABELS: dict[str, tuple[bool, bool, bool]] = {
    "表现良好,继续努力。": (False, False, False),
    "工作认真负责,希望再接再厉。": (False, False, False),
    "整体还不错,继续保持。": (False, False, False),
    "态度端正,有待提高。": (False, False, False),
    "good job, keep it up": (False, False, False),
    "同意。": (False, False, False),
    "本月表现一般,需要加强。": (False, False, False),
    "他性格比较内向,要多沟通。": (False, False, False),
    "10月跟进{client}续约时,你提前两周整理了使用数据,客户当场同意续签,回款{n}万元。下次报价前建议先和售前对齐交付周期。": (True, True, False),
    "本月拜访量达标,但{client}的方案被退回两次,原因是报价单缺少实施费用。建议用新的报价模板,提交前找我过一遍。": (True, True, False),
    "11月3日处理{client}的批量退款投诉,你当天拉通财务闭环,客户满意度回访给了5分。建议把处理步骤整理进知识库。": (True, True, False),
    "本月首次响应时长比上月多了{n}分钟,主要在周一上午排队。建议周一早到半小时处理积压工单,我来协调排班。": (False, True, True),
    "在订单服务重构中,你补齐了支付回调的幂等测试,上线后相关缺陷为0。下个迭代建议带冯博一起做代码评审。": (True, True, False),
    "本迭代有两个需求延期,原因是接口文档更新不及时导致前端返工。建议每次改接口同步更新文档并在群里通知。": (False, True, False),
    "会员页改版按时上线,首屏加载从3.2秒降到1.4秒。建议把性能检查加到发布清单里。": (True, True, False),
    "本月线上出现两次样式错乱,都是没在低版本浏览器上验证。下次提测前请补充兼容性检查。": (False, True, False),
    "你为回归测试补了{n}条自动化用例,发布前回归时间从两天缩短到半天。建议下季度覆盖退款流程。": (True, True, False),
    "10月第二周你发现扭矩扳手校准偏差并及时上报,避免了一批返工。建议把点检记录做成每日打卡。": (True, True, False),
    "本月装配缺陷率偏高,集中在线束固定工序。建议跟许亮做一次标准作业的跟岗复训。": (False, True, False),
    "你在来料检验中拦截了一批尺寸超差的支架,避免了约{n}台返修。建议把这次的判定标准补进检验SOP。": (True, True, False),
    "": (False, False, False),
}  # fmt: skip
# Resource needs the employee or the support field states in the demo, by a person.
NEEDS = {
    "希望协调一次与财务的对接会",
    "需要一次产品培训",
    "希望增加一台测试设备",
    "希望能多一些培训机会。",
}


def _label(feedback: str) -> tuple[bool, bool, bool]:
    for template, label in LABELS.items():
        pattern = re.escape(template).replace(r"\{client\}", ".+?").replace(r"\{n\}", r"\d+")
        if re.fullmatch(pattern, feedback):
            return label
    raise AssertionError(f"unlabelled demo feedback: {feedback!r}")


def _recompute(session: Session, month: str, rate: float) -> dict[str, dict[str, float]]:
    year, number = int(month[:4]), int(month[5:])
    first = date(year, number, 1)
    next_first = date(year + number // 12, number % 12 + 1, 1)
    people = session.exec(select(Employee)).all()
    checkins = [c for c in session.exec(select(CheckIn)).all() if first <= c.date < next_first]
    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for person in people:
        if person.manager_id and (person.hire_date is None or person.hire_date < next_first):
            rows[person.manager_id]["expected"] += 1
            if any(c.employee_id == person.employee_id for c in checkins):
                rows[person.manager_id]["checked_in"] += 1
    for c in checkins:
        row = rows[c.manager_id or ""]
        positive, improvement, resource = _label(c.manager_feedback)
        resource = resource or c.support_needed in NEEDS or c.employee_comment in NEEDS
        row["checkins"] += 1
        row["effective"] += bool(c.feedback_check) and c.feedback_check["vague"] is False  # type: ignore[index]
        row["positive"] += positive
        row["improvement"] += improvement
        row["resource"] += resource
        row["complete"] += positive and improvement and resource
    for row in rows.values():
        n = row["checkins"]
        row["sampled"] = min(n, max(1, math.floor(n * rate + 0.5))) if n else 0
    return rows


@pytest.fixture
def demo(engine: Engine) -> str:
    with Session(engine) as session:
        tokens = seed_demo(session)
        session.commit()
    return tokens.hr


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


@pytest.mark.parametrize("month", ["2026-11", "2026-09", "2026-06"])
def test_per_manager_figures_match_an_independent_recomputation(
    engine: Engine, demo: str, month: str
) -> None:
    with Session(engine) as session:
        report = dialogue_audit(session, month=month, sample_rate=0.1)
        expected = _recompute(session, month, 0.1)
    assert {m.manager_id for m in report.managers} == set(expected)
    for m in report.managers:
        want = expected[m.manager_id]
        n = want["checkins"]
        got = (m.expected, m.checked_in, m.completion, m.checkins, m.effective, m.effective_share,
               m.positive_share, m.improvement_share, m.resource_share, m.complete_share, m.sampled)  # fmt: skip
        assert got == (
            want["expected"], want["checked_in"], _share(want["checked_in"], want["expected"]),
            n, want["effective"], _share(want["effective"], n), _share(want["positive"], n),
            _share(want["improvement"], n), _share(want["resource"], n),
            _share(want["complete"], n), want["sampled"],
        ), m.manager_id  # fmt: skip
    total = report.overall
    assert total.checkins == sum(r["checkins"] for r in expected.values())
    assert total.completion == _share(
        sum(r["checked_in"] for r in expected.values()),
        sum(r["expected"] for r in expected.values()),
    )
    assert total.effective == sum(r["effective"] for r in expected.values())
    # The demo is a realistic mix, not all of one kind.
    assert 0 < total.effective_share < 1 and 0 < total.complete_share < 1


def test_the_sample_is_stratified_reproducible_and_month_seeded(engine: Engine, demo: str) -> None:
    with Session(engine) as session:
        first = dialogue_audit(session, month="latest", sample_rate=0.1)
        again = dialogue_audit(session, month="2026-11", sample_rate=0.1)
        other = dialogue_audit(session, month="2026-10", sample_rate=0.1)
        everything = dialogue_audit(session, month="2026-11", sample_rate=1.0)
    assert first.month == "2026-11"
    assert [s.checkin_id for s in first.sample] == [s.checkin_id for s in again.sample]
    assert first.seed != other.seed
    with_checkins = {m.manager_id for m in first.managers if m.checkins}
    assert {s.manager_id for s in first.sample} == with_checkins  # at least one per manager
    assert all(s.date.strftime("%Y-%m") == "2026-11" for s in first.sample)
    assert len(everything.sample) == everything.overall.checkins
    assert [t.month for t in first.trend] == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    assert first.trend[-1].completion == first.overall.completion
    assert (
        first.top_vague_phrases
        and first.top_vague_phrases[0].count >= first.top_vague_phrases[-1].count
    )


def test_ai_draft_decisions_are_reported_per_manager(engine: Engine, demo: str) -> None:
    register_kinds([DraftKind("audit_test_note")])
    with Session(engine) as session:
        user = session.exec(select(User).where(User.name == "demo-manager")).one()
        manager = Principal(
            user_id=user.id or 0, name=user.name, role=Role.manager, employee_id="E011"
        )
        for approve, content, reason in (
            (True, None, ""),
            (True, {"summary": "改写"}, ""),
            (False, None, "不准确"),
        ):
            draft = create_draft(session, kind="audit_test_note", employee_id="E012", requester=manager,
                                 inputs={}, output={"summary": "AI"}, provenance=Provenance(provider="offline"))  # fmt: skip
            decide(session, manager, draft.id, approve=approve, content=content, reason=reason)
        for record in session.exec(select(ApprovalRecord)).all():
            record.created_at = datetime(2026, 11, 10, tzinfo=UTC)
            session.add(record)
        session.commit()
        report = dialogue_audit(session, month="2026-11")
    row = next(m for m in report.managers if m.manager_id == "E011")
    assert (row.drafts.decided, row.drafts.as_is, row.drafts.edited, row.drafts.rejected) == (
        3,
        1,
        1,
        1,
    )
    assert report.overall.drafts.decided == 3
    assert all(m.drafts.decided == 0 for m in report.managers if m.manager_id != "E011")


def test_hr_notes_are_stored_audited_and_listed_in_the_sample(
    client: TestClient, engine: Engine, demo: str
) -> None:
    report = client.get(
        "/v1/audit/dialogues?month=latest&sample_rate=0.1", headers=auth(demo)
    ).json()
    sampled = report["sample"][0]["checkin_id"]
    response = client.post(
        f"/v1/audit/dialogues/{sampled}/notes", json={"note": "反馈空泛,需辅导"}, headers=auth(demo)
    )
    assert response.status_code == 201 and response.json()["author"] == "hr:demo-hr"
    again = client.get("/v1/audit/dialogues?month=2026-11", headers=auth(demo)).json()
    assert again["sample"][0]["notes"][0]["note"] == "反馈空泛,需辅导"
    with Session(engine) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "dialogue_note")
        ).one()
        assert event.detail == {"checkin_id": sampled} and event.after_hash
    assert (
        client.post(
            "/v1/audit/dialogues/nope/notes", json={"note": "x"}, headers=auth(demo)
        ).status_code
        == 404
    )
    bad = client.get("/v1/audit/dialogues?month=2026-13", headers=auth(demo))
    assert bad.status_code == 422


def test_cli_writes_per_manager_csv(engine: Engine, demo: str, tmp_path: Path) -> None:
    out = tmp_path / "dialogues.csv"
    result = runner.invoke(cli, ["audit", "dialogues", "--month", "2026-11", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    with Session(engine) as session:
        report = dialogue_audit(session, month="2026-11")
        exported = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "dialogue_audit")
        ).one()
    assert [r["manager_id"] for r in rows] == [m.manager_id for m in report.managers]
    assert float(rows[0]["completion"]) == report.managers[0].completion
    assert exported.action == "export" and exported.object_id == "2026-11"
