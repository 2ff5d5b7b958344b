from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.models import User
from coach.core.settings import Settings
from coach.reminders import compose_digest
from coach.reminders.digest import manager_accounts
from tests.reminders.conftest import B1_OBSTACLE, DAY

OTHER_TEAM = ("何佳", "B1", B1_OBSTACLE)


def _digest_text(engine: Engine, account: str, settings: Settings) -> str:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.name == account)).one()
        digest = compose_digest(session, user, day=DAY, settings=settings)
    return "\n".join([digest.title, *digest.lines()])


def test_a_managers_digest_names_their_people_and_never_another_teams(
    org_engine: Engine, settings: Settings
) -> None:
    text = _digest_text(org_engine, "user-manager", settings)
    assert "陈经理" in text and "李强" in text and "赵雪" in text
    for leak in OTHER_TEAM:
        assert leak not in text
    # Names, not ids: A1 and A2 are how the records key them.
    assert "A1" not in text and "A2" not in text


def test_the_other_manager_gets_their_draft_and_warning_and_nothing_of_the_first_team(
    org_engine: Engine, settings: Settings
) -> None:
    text = _digest_text(org_engine, "user-other_manager", settings)
    assert "待你审批的 AI 草稿（1 份）" in text and "何佳 的反馈草稿" in text
    assert B1_OBSTACLE in text and "同一障碍反复出现" in text
    for leak in ("李强", "赵雪", "陈经理"):
        assert leak not in text


def test_check_ins_due_are_the_direct_reports_and_gaps_further_down_are_warnings(
    org_engine: Engine, settings: Settings
) -> None:
    with Session(org_engine) as session:
        top = session.exec(select(User).where(User.name == "user-top_manager")).one()
        digest = compose_digest(session, top, day=DAY, settings=settings)
    assert sorted(w.name for w in digest.checkins_due) == ["刘经理", "陈经理"]
    gaps_below = sorted(w.name for w in digest.warnings if w.kind == "checkin_gap")
    assert gaps_below == ["李强", "赵雪"]  # 何佳 had a check-in on 11-26, within the cadence
    assert digest.drafts_total == 1


def test_only_active_manager_accounts_receive_digests(org_engine: Engine) -> None:
    with Session(org_engine) as session:
        user = session.exec(select(User).where(User.name == "user-top_manager")).one()
        user.disabled = True
        session.add(user)
        session.commit()
        names = [u.name for u in manager_accounts(session)]
    assert names == ["user-manager", "user-other_manager"]
