"""The two-company runner of the drafts eval: what it reads, through which doors."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from coach.core.db import engine_for
from coach.core.models import CheckIn, Employee
from coach.core.settings import Settings
from coach.drafts.store import Provenance, create_draft
from coach.knowledge import HashingEmbedder, open_knowledge_base
from evals.companies import (
    SECOND_COMPANY_FINGERPRINT,
    CompanyFigures,
    create_accounts,
    import_second_company,
    read_as_employees,
    report,
    second_company_fingerprint,
    specific_comments,
)
from evals.draft_text import Share
from tests.company.generator import AS_OF, build_company
from tests.factories import employee, upgraded

FOR_YOU = "你在10月补齐了26条自动化用例,回归时间从两天缩短到半天。"
PREPARATION = "建议面谈前核对原始记录。"


def _pending(session: Session, kind: str, employee_id: str, output: dict[str, Any]) -> None:
    create_draft(
        session, kind=kind, employee_id=employee_id, requester=None, inputs={},
        output=output, provenance=Provenance(provider="offline"),
    )  # fmt: skip


def test_the_audience_figure_reads_what_the_employee_is_shown(
    settings: Settings, tmp_path: Path
) -> None:
    engine = engine_for(upgraded(settings))
    with Session(engine) as session:
        session.add(employee("M1", "经理", role="销售经理"))
        session.add(employee("A1", "员工甲", manager_id="M1"))
        session.flush()
        accounts = create_accounts(session)
        _pending(session, "feedback", "A1", {"summary": FOR_YOU + PREPARATION})
        why = "建议面谈时请他讲讲排班冲突是怎么处理的。"
        _pending(session, "development", "A1", {"suggestions": [
            {"practice_id": "P-1", "practice_title": "GROW教练式提问", "why": why,
             "evidence_ids": ["C-1"]},
        ]})  # fmt: skip
        # Nobody is above M1 to approve it: it stays pending, and M1 never sees it.
        _pending(session, "feedback", "M1", {"summary": PREPARATION})
        session.commit()
    engine.dispose()
    kb = open_knowledge_base(chroma_path=tmp_path / "chroma", embedder=HashingEmbedder())
    figures = CompanyFigures("small")
    read_as_employees(settings, kb, accounts, figures)
    assert figures.errors == []
    assert figures.audience == Share(2, 3)
    assert figures.third_person == Share(1, 3)
    assert sorted(figures.audience_examples) == [
        f"A1 development: {why}",
        f"A1 feedback: {PREPARATION}",
    ]


def test_specific_comments_are_the_manager_s_concrete_ones_in_the_window(
    settings: Settings,
) -> None:
    engine = engine_for(upgraded(settings))
    with Session(engine) as session:
        session.add(employee("A1", "员工甲"))
        session.flush()
        for n, (day, comment) in enumerate([
            (date(2026, 10, 12), "10月跟进绿源食品续约时,你提前两周整理了使用数据,客户当场同意续签。"),
            (date(2026, 9, 10), "继续努力,保持状态。"),
            (date(2026, 3, 2), "3月你把报价拆成三档,客户当场确认了第二档,签约提前一周。"),
            (date(2026, 8, 5), ""),
        ]):  # fmt: skip
            session.add(CheckIn(checkin_id=f"C-{n}", employee_id="A1", date=day,
                                manager_feedback=comment))  # fmt: skip
        session.commit()
        found = specific_comments(session, "A1", (date(2026, 7, 1), date(2026, 11, 16)))
    engine.dispose()
    assert [c.checkin_id for c in found] == ["C-0"]


def test_the_second_company_comes_in_through_the_importer(
    settings: Settings, tmp_path: Path
) -> None:
    engine = engine_for(upgraded(settings))
    with Session(engine) as session:
        as_of = import_second_company(session, settings, tmp_path)
        session.commit()
        people = session.exec(select(func.count()).select_from(Employee)).one()
        checkins = session.exec(select(func.count()).select_from(CheckIn)).one()
    engine.dispose()
    company = build_company()
    assert as_of == AS_OF
    assert (people, checkins) == (len(company.people), len(company.rows["checkins"]))


def test_the_second_company_is_the_one_the_figures_before_were_taken_on() -> None:
    # The generator's seed is frozen: another company would make "before" meaningless.
    assert second_company_fingerprint() == SECOND_COMPANY_FINGERPRINT


def test_missed_goals_do_not_fail_the_run_but_errors_do(capsys: pytest.CaptureFixture[str]) -> None:
    missed = CompanyFigures("demo")
    missed.false_claims["extreme"] = 4
    missed.repetition = {"all": Share(47, 100)}
    assert report([missed, CompanyFigures("files")])
    printed = capsys.readouterr().out
    assert "false claims: extreme" in printed and "47.0%" in printed
    broken = CompanyFigures("files", errors=["feedback for A1 (zh) failed: boom"])
    assert not report([missed, broken])
    assert "ERROR: feedback for A1 (zh) failed: boom" in capsys.readouterr().out
