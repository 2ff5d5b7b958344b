from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import MAX_OFFSET, CurrentUser, SessionDep
from coach import org
from coach.models import EmployeePublic

router = APIRouter(prefix="/v1/employees", tags=["organisation"])


class EmployeesPublic(BaseModel):
    data: list[EmployeePublic]
    count: int


@router.get("", response_model=EmployeesPublic)
def list_employees(
    session: SessionDep,
    user: CurrentUser,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    department: str | None = None,
    team: str | None = None,
    manager_id: str | None = None,
) -> EmployeesPublic:
    """Employees within the caller's scope, a page at a time."""
    rows, count = org.list_employees(
        session, user, offset=offset, limit=limit, department=department, team=team,
        manager_id=manager_id,
    )  # fmt: skip
    return EmployeesPublic(data=[EmployeePublic.model_validate(r) for r in rows], count=count)


@router.get("/{employee_id}", response_model=EmployeePublic)
def get_employee(employee_id: str, session: SessionDep, user: CurrentUser) -> EmployeePublic:
    """One employee within the caller's scope."""
    return EmployeePublic.model_validate(org.get_employee(session, user, employee_id))
