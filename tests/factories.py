"""Small builders for test data."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from coach.core.db import engine_for, migrate
from coach.core.models import Employee, Role
from coach.core.settings import Settings
from coach.org.users import create_user

# A small organisation:
#   E1 (top manager)
#   ├── M1 (manager) ── A1, A2
#   └── M2 (manager) ── B1
ORG = [
    ("E1", "周总", "总经理", "M4", None),
    ("M1", "陈经理", "销售经理", "M2", "E1"),
    ("M2", "刘经理", "客服经理", "M2", "E1"),
    ("A1", "李强", "销售代表", "P3", "M1"),
    ("A2", "赵雪", "销售代表", "P2", "M1"),
    ("B1", "何佳", "客服专员", "P2", "M2"),
]


def upgraded(settings: Settings) -> Settings:
    """The settings, their database upgraded to the newest schema as `coach db upgrade` does
    (the app only checks the schema)."""
    migrate(engine_for(settings))
    return settings


def employee(
    employee_id: str, name: str = "员工", *, manager_id: str | None = None, **fields: object
) -> Employee:
    """An unsaved employee with sensible defaults."""
    defaults: dict[str, object] = {
        "role": "销售代表", "level": "P2", "department": "销售部", "team": "华东",
        "hire_date": date(2022, 1, 1),
    }  # fmt: skip
    defaults.update(fields)
    return Employee(employee_id=employee_id, name=name, manager_id=manager_id, **defaults)  # type: ignore[arg-type]


def seed_org(session: Session) -> dict[str, str]:
    """Write the small organisation and one user per role; returns tokens by role name."""
    for employee_id, name, role, level, manager_id in ORG:
        session.add(employee(employee_id, name, manager_id=manager_id, role=role, level=level))
    session.flush()
    tokens = {}
    for label, role, employee_id in (
        ("admin", Role.admin, None),
        ("hr", Role.hr, None),
        ("manager", Role.manager, "M1"),
        ("other_manager", Role.manager, "M2"),
        ("top_manager", Role.manager, "E1"),
        ("employee", Role.employee, "A1"),
    ):
        _, tokens[label] = create_user(
            session, name=f"user-{label}", role=role, employee_id=employee_id
        )
    return tokens


def auth(token: str) -> dict[str, str]:
    """Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}
