from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.db import engine_for
from coach.core.models import CheckIn, Draft, DraftStatus, User
from coach.core.settings import Settings
from tests.factories import seed_org, upgraded

DAY = date(2026, 12, 1)
# Only B1 (何佳, M2's team) has this obstacle, three check-ins running: M2 is warned of it.
B1_OBSTACLE = "客户华峰集团的系统接口迟迟不开放"


@pytest.fixture
def org_engine(settings: Settings) -> Engine:
    """The small organisation: M1 over 李强 and 赵雪, M2 over 何佳, E1 over both managers; a
    draft about 何佳 waits for a decision, and 何佳 names one obstacle three times."""
    engine = engine_for(upgraded(settings))
    with Session(engine) as session:
        seed_org(session)
        for n, day in enumerate((date(2026, 10, 1), date(2026, 10, 29), date(2026, 11, 26))):
            session.add(CheckIn(
                checkin_id=f"C-B1-{n}", employee_id="B1", manager_id="M2", date=day,
                progress="推进中", obstacles=B1_OBSTACLE, manager_feedback="继续跟进",
            ))  # fmt: skip
        session.add(Draft(kind="feedback", employee_id="B1", status=DraftStatus.pending))
        session.commit()
    return engine


def set_webhook(engine: Engine, account: str, url: str | None, email: str | None = None) -> None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.name == account)).one()
        user.webhook_url, user.email = url, email
        session.add(user)
        session.commit()


MANAGERS = ("user-manager", "user-other_manager", "user-top_manager")
