from __future__ import annotations

import json

from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from coach.cli import app as cli
from coach.core.audit import verify_chain
from coach.core.models import (
    ApprovalRecord,
    AuditEvent,
    CheckIn,
    Draft,
    Employee,
    MetricValue,
    ReviewScore,
    Role,
)
from coach.demo import seed_demo
from coach.drafts.decisions import decide
from coach.drafts.registry import DraftKind, register_kinds
from coach.drafts.store import Provenance, create_draft
from coach.org.users import authenticate, create_user
from coach.oversight.dialogue import dialogue_audit

runner = CliRunner()
PERSON, NAME = "E033", "冯博"  # also named in a colleague's check-in feedback


def _seed(engine: Engine) -> str:
    register_kinds([DraftKind("erasure_test")])
    with Session(engine) as session:
        seed_demo(session)
        _, manager_token = create_user(
            session, name="唐杰经理", role=Role.manager, employee_id="E031"
        )
        _, own_token = create_user(session, name="fengbo", role=Role.employee, employee_id=PERSON)
        manager = authenticate(session, manager_token)
        assert manager is not None
        draft = create_draft(session, kind="erasure_test", employee_id=PERSON, requester=manager,
                             inputs={"name": NAME, "notes": "私人备注"}, output={"text": f"{NAME}的反馈草稿"},
                             provenance=Provenance(provider="offline"))  # fmt: skip
        decide(session, manager, draft.id, approve=True, content={"text": f"{NAME}本季度表现"})
        session.commit()
    return own_token


def test_export_holds_everything_about_the_person_and_is_recorded(engine: Engine) -> None:
    _seed(engine)
    result = runner.invoke(cli, ["employee", "export", PERSON])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["employee"]["name"] == NAME and data["users"][0]["name"] == "fengbo"
    assert "token_hash" not in data["users"][0]
    assert (
        data["checkins"] and data["metric_values"] and data["review_scores"] and data["key_events"]
    )
    assert data["drafts"][0]["inputs"]["notes"] == "私人备注" and data["approval_records"]
    assert any(e["object_type"] == "draft" for e in data["audit_events"])
    with Session(engine) as session:
        last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
        assert last is not None and (last.action, last.object_id) == ("export", PERSON)
    assert runner.invoke(cli, ["employee", "export", "NOPE"]).exit_code == 1


def test_delete_removes_personal_data_and_keeps_figures_and_the_chain(engine: Engine) -> None:
    own_token = _seed(engine)
    with Session(engine) as session:
        values_before = sorted((v.metric, v.period, v.value) for v in session.exec(
            select(MetricValue).where(MetricValue.employee_id == PERSON)))  # fmt: skip
        scores_before = len(
            session.exec(select(ReviewScore).where(ReviewScore.employee_id == PERSON)).all()
        )
        effective_before = {
            m.manager_id: m.effective for m in dialogue_audit(session, month="2026-11").managers
        }

    result = runner.invoke(cli, ["employee", "delete", PERSON, "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased; now shown as 匿名-" in result.output

    with Session(engine) as session:
        person = session.get(Employee, PERSON)
        assert person is not None and person.name.startswith("匿名-") and person.hire_date is None
        assert authenticate(session, own_token) is None
        for checkin in session.exec(select(CheckIn).where(CheckIn.employee_id == PERSON)):
            assert checkin.manager_feedback == checkin.progress == checkin.employee_comment == ""
            assert checkin.feedback_check is None or "findings" not in checkin.feedback_check
        draft = session.exec(select(Draft).where(Draft.employee_id == PERSON)).one()
        assert draft.output == {"erased": True} and draft.inputs == {}
        record = session.exec(
            select(ApprovalRecord).where(ApprovalRecord.draft_id == draft.id)
        ).one()
        assert record.final_content == {"erased": True} and record.diff == ""
        # Figures stay: the numbers, the scores and the verdicts of the feedback check.
        values_after = sorted((v.metric, v.period, v.value) for v in session.exec(
            select(MetricValue).where(MetricValue.employee_id == PERSON)))  # fmt: skip
        assert values_after == values_before and values_before
        assert (
            len(session.exec(select(ReviewScore).where(ReviewScore.employee_id == PERSON)).all())
            == scores_before
        )
        effective_after = {
            m.manager_id: m.effective for m in dialogue_audit(session, month="2026-11").managers
        }
        assert effective_after == effective_before
        # The name is gone from every table, including colleagues' records that mentioned it;
        # only the audit log keeps what it always kept: hashes.
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "audit_events":
                continue
            for row in session.connection().execute(table.select()):
                assert NAME not in json.dumps([str(v) for v in row], ensure_ascii=False), table.name
        assert NAME not in json.dumps(
            [
                list(map(str, r))
                for r in session.connection().execute(text("SELECT * FROM audit_events"))
            ],
            ensure_ascii=False,
        )
        report = verify_chain(session)
        assert report.ok
        last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
        assert last is not None and (last.action, last.object_type, last.object_id) == (
            "delete",
            "employee",
            PERSON,
        )
        assert last.before_hash and last.detail["changed"]["drafts"] == 1


def test_delete_clears_where_the_person_is_reached_and_the_digests_about_them(
    engine: Engine,
) -> None:
    from datetime import date

    from coach.core.models import DeliveryStatus, ReminderDelivery, User
    from coach.oversight.data_rights import erase_person, export_person

    register_kinds([DraftKind("erasure_test")])
    with Session(engine) as session:
        seed_demo(session)
        manager, _ = create_user(session, name="冯博经理", role=Role.manager, employee_id=PERSON)
        other, _ = create_user(session, name="另一位经理", role=Role.manager, employee_id="E031")
        manager.email, manager.webhook_url = "fb@example.com", "https://bot.example/hook?key=k"
        assert manager.id is not None and other.id is not None
        other_id = other.id
        session.add_all([
            manager,
            ReminderDelivery(day=date(2026, 11, 30), user_id=manager.id, channel="email",
                             destination="fb@example.com", title="待办", body="三件事",
                             status=DeliveryStatus.failed),
            ReminderDelivery(day=date(2026, 11, 30), user_id=other.id, channel="email",
                             destination="x@example.com", title="待办", body=f"{NAME}待面谈",
                             status=DeliveryStatus.failed),
        ])  # fmt: skip
        session.commit()
        exported = export_person(session, employee_id=PERSON, actor="hr")
        assert all("webhook_url" not in u for u in exported.users)  # the bot's key stays secret
        report = erase_person(session, employee_id=PERSON, actor="hr")
        session.commit()
        user = session.exec(select(User).where(User.employee_id == PERSON)).one()
        left = session.exec(select(ReminderDelivery)).all()
    assert user.email is None and user.webhook_url is None
    assert report.changed["reminder_deliveries"] == 1
    assert [d.user_id for d in left] == [other_id]
    assert NAME not in left[0].body and report.pseudonym in left[0].body
