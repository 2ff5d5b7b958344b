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
from decimal import ROUND_HALF_UP, Decimal
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
from coach.oversight.dialogue import add_note, dialogue_audit
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


def _template(feedback: str) -> str:
    for template in LABELS:
        pattern = re.escape(template).replace(r"\{client\}", ".+?").replace(r"\{n\}", r"\d+")
        if re.fullmatch(pattern, feedback):
            return template
    raise AssertionError(f"unlabelled demo feedback: {feedback!r}")


def _label(feedback: str) -> tuple[bool, bool, bool]:
    return LABELS[_template(feedback)]


def _months_apart(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _copies(checkins: list[CheckIn]) -> set[str]:
    """A copy is the demo's same wording again from the same manager within two months before."""
    copies: set[str] = set()
    ordered = sorted(checkins, key=lambda c: (c.date, c.checkin_id))
    for n, c in enumerate(ordered):
        long_enough = len(re.sub(r"[\W_]+", "", c.manager_feedback)) >= 12
        if not long_enough or (c.feedback_check or {}).get("vague") is True:
            continue
        if any(
            e.manager_id == c.manager_id and _template(e.manager_feedback) == _template(c.manager_feedback)
            and (e.feedback_check or {}).get("vague") is not True
            and _months_apart(e.date, c.date) <= 2
            for e in ordered[:n]
        ):  # fmt: skip
            copies.add(c.checkin_id)
    return copies


def _answered(checkins: list[CheckIn]) -> set[str]:
    """The demo's only promise of support is the wording labelled with a resource need."""
    offers = {c.checkin_id for c in checkins if _label(c.manager_feedback)[2]}
    answered = set(offers)
    for c in checkins:
        later = sorted(
            (e for e in checkins if e.employee_id == c.employee_id and (e.date, e.checkin_id) > (c.date, c.checkin_id)),
            key=lambda e: (e.date, e.checkin_id),
        )  # fmt: skip
        if later and later[0].checkin_id in offers:
            answered.add(c.checkin_id)
    return answered


def _hamilton(sizes: dict[str, float], rate: float) -> dict[str, float]:
    target = int(Decimal(str(sum(sizes.values()) * rate)).quantize(Decimal(1), ROUND_HALF_UP))
    quotas = {m: n * rate for m, n in sizes.items()}
    taken = {m: float(math.floor(q)) for m, q in quotas.items()}
    for m in sorted(quotas, key=lambda m: (-(quotas[m] - taken[m]), m)):
        if sum(taken.values()) >= target:
            break
        taken[m] += 1
    return taken


def _recompute(session: Session, month: str, rate: float) -> dict[str, dict[str, float]]:
    year, number = int(month[:4]), int(month[5:])
    first = date(year, number, 1)
    next_first = date(year + number // 12, number % 12 + 1, 1)
    people = session.exec(select(Employee)).all()
    everything = list(session.exec(select(CheckIn)).all())
    copies, answered = _copies(everything), _answered(everything)
    checkins = [c for c in everything if first <= c.date < next_first]
    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for person in people:
        if person.manager_id and (person.hire_date is None or person.hire_date < next_first):
            rows[person.manager_id]["expected"] += 1
            if any(c.employee_id == person.employee_id for c in checkins):
                rows[person.manager_id]["checked_in"] += 1
    for c in checkins:
        row = rows[c.manager_id or ""]
        copied = c.checkin_id in copies
        positive, improvement, resource = _label(c.manager_feedback)
        positive = positive and not copied
        need = resource or c.support_needed in NEEDS or c.employee_comment in NEEDS
        resource = need and c.checkin_id in answered
        row["checkins"] += 1
        row["copies"] += copied
        row["effective"] += (
            bool(c.feedback_check) and c.feedback_check["vague"] is False and not copied  # type: ignore[index]
        )
        row["positive"] += positive
        row["improvement"] += improvement
        row["resource"] += resource
        row["complete"] += positive and improvement and resource
    sampled = _hamilton({m: r["checkins"] for m, r in rows.items() if r["checkins"]}, rate)
    for manager, row in rows.items():
        row["sampled"] = sampled.get(manager, 0)
    return rows


@pytest.fixture
def demo(engine: Engine) -> str:
    with Session(engine) as session:
        tokens = seed_demo(session)
        session.commit()
    return tokens.hr


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


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
               m.copies, m.positive_share, m.improvement_share, m.resource_share, m.complete_share,
               m.sampled)  # fmt: skip
        assert got == (
            want["expected"], want["checked_in"], _share(want["checked_in"], want["expected"]),
            n, want["effective"], _share(want["effective"], n), want["copies"],
            _share(want["positive"], n), _share(want["improvement"], n),
            _share(want["resource"], n), _share(want["complete"], n), want["sampled"],
        ), m.manager_id  # fmt: skip
    total = report.overall
    assert total.checkins == sum(r["checkins"] for r in expected.values())
    assert total.completion == _share(
        sum(r["checked_in"] for r in expected.values()),
        sum(r["expected"] for r in expected.values()),
    )
    assert total.effective == sum(r["effective"] for r in expected.values())
    # The demo's feedback reuses a few wordings month after month, and those count as copies.
    assert total.copies == sum(r["copies"] for r in expected.values()) > 0


def test_the_sample_is_stratified_reproducible_and_month_seeded(engine: Engine, demo: str) -> None:
    with Session(engine) as session:
        first = dialogue_audit(session, month="latest", sample_rate=0.1, today=date(2026, 11, 25))
        again = dialogue_audit(session, month="2026-11", sample_rate=0.1)
        other = dialogue_audit(session, month="2026-10", sample_rate=0.1)
        everything = dialogue_audit(session, month="2026-11", sample_rate=1.0)
        floored = dialogue_audit(session, month="2026-11", sample_rate=0.1, min_per_manager=1)
    assert first.month == "2026-11"
    assert [s.checkin_id for s in first.sample] == [s.checkin_id for s in again.sample]
    assert first.seed != other.seed
    # 10% of 26 records is 2.6: three are read, not one per manager.
    assert first.overall.checkins == 26 and len(first.sample) == 3
    assert sum(m.sampled for m in first.managers) == 3
    with_checkins = {m.manager_id for m in first.managers if m.checkins}
    assert len(with_checkins) > 3
    assert {s.manager_id for s in floored.sample} == with_checkins
    assert len(floored.sample) == len(with_checkins) and floored.min_per_manager == 1
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


def test_latest_is_the_current_calendar_month_and_empty_figures_are_not_applicable(
    engine: Engine, demo: str
) -> None:
    with Session(engine) as session:
        report = dialogue_audit(session, month="latest", today=date(2026, 12, 3))
    assert report.month == "2026-12" and report.overall.checkins == 0 and not report.sample
    assert report.overall.expected > 0 and report.overall.completion == 0.0
    for m in report.managers:
        assert m.checkins == 0 and m.sampled == 0
        assert (m.effective_share, m.positive_share, m.resource_share, m.complete_share) == (
            None, None, None, None,
        )  # fmt: skip
    assert report.trend[-1].effective_share is None and report.trend[-2].effective_share is not None
    assert set(report.definitions) >= {"completion", "effective_share", "complete_share", "copies"}


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
        "/v1/audit/dialogues?month=2026-11&sample_rate=0.1", headers=auth(demo)
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


def _sections(text: str) -> list[list[dict[str, str]]]:
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return [list(csv.DictReader(b.splitlines())) for b in blocks]


def test_cli_writes_the_audit_as_a_chinese_csv(engine: Engine, demo: str, tmp_path: Path) -> None:
    with Session(engine) as session:
        hr = session.exec(select(User).where(User.name == "demo-hr")).one()
        principal = Principal(user_id=hr.id or 0, name=hr.name, role=Role.hr, employee_id=None)
        noted = dialogue_audit(session, month="2026-11").sample[0].checkin_id
        add_note(session, principal, checkin_id=noted, note="反馈空泛,需辅导")
        session.commit()
    out = tmp_path / "dialogues.csv"
    result = runner.invoke(cli, ["audit", "dialogues", "--month", "2026-11", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    managers, sample, terms = _sections(out.read_text(encoding="utf-8-sig"))
    with Session(engine) as session:
        report = dialogue_audit(session, month="2026-11")
        exported = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "dialogue_audit")
        ).one()
    assert [r["经理编号"] for r in managers] == [m.manager_id for m in report.managers]
    first = report.managers[0]
    assert first.completion is not None
    assert managers[0]["面谈完成率"] == f"{first.completion * 100:.1f}%"
    assert all(r["有效反馈占比"].endswith("%") or r["有效反馈占比"] == "n/a" for r in managers)
    assert [r["面谈记录编号"] for r in sample] == [s.checkin_id for s in report.sample]
    noted_row = next(r for r in sample if r["面谈记录编号"] == noted)
    assert noted_row["HR备注"] == "hr:demo-hr：反馈空泛,需辅导"
    assert {r["指标"] for r in terms} >= {"面谈完成率", "有效反馈占比", "三要素齐全占比"}
    assert exported.action == "export" and exported.object_id == "2026-11"
