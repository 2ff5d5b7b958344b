from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from coach import records
from coach.core.models import EmployeePublic, MetricValue
from coach.org import access

from ..deps import CurrentUser, PageDep, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/v1/employees", tags=["organisation"])


class EmployeesPublic(BaseModel):
    data: list[EmployeePublic]
    count: int


class HistoryPublic(BaseModel):
    data: list[MetricValue]
    count: int


@router.get("", response_model=EmployeesPublic, responses=error_responses(401, 422))
def list_employees(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    department: str | None = None,
    team: str | None = None,
    manager_id: str | None = None,
) -> EmployeesPublic:
    """Employees within the caller's scope, a page at a time."""
    rows, count = access.list_employees(
        session, user, offset=page.offset, limit=page.limit, department=department, team=team,
        manager_id=manager_id,
    )  # fmt: skip
    return EmployeesPublic(data=[EmployeePublic.model_validate(r) for r in rows], count=count)


@router.get(
    "/{employee_id}", response_model=EmployeePublic, responses=error_responses(401, 403, 404, 422)
)
def get_employee(employee_id: str, session: SessionDep, user: CurrentUser) -> EmployeePublic:
    """One employee within the caller's scope."""
    return EmployeePublic.model_validate(access.get_employee(session, user, employee_id))


@router.get(
    "/{employee_id}/history", response_model=HistoryPublic,
    responses=error_responses(401, 403, 404, 422),
)  # fmt: skip
def employee_history(
    employee_id: str, session: SessionDep, user: CurrentUser, page: PageDep,
    metric: str | None = None,
) -> HistoryPublic:  # fmt: skip
    """One person's metric values (of one metric if named), by metric and period."""
    rows, count = records.employee_history(
        session, user, employee_id, metric=metric, offset=page.offset, limit=page.limit
    )
    return HistoryPublic(data=rows, count=count)
