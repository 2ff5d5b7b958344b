"""Who may see whom: the manager tree and role-based scope over employees."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from coach.core.errors import Forbidden, NotFound
from coach.core.models import Employee, Role
from coach.org.users import Principal


def reports_query(manager_id: str) -> Select[tuple[str]]:
    """A query for the ids of everyone below a manager, direct and indirect."""
    tree = (
        sa_select(col(Employee.employee_id).label("employee_id"), literal(1).label("depth"))
        .where(col(Employee.manager_id) == manager_id)
        .cte("reports", recursive=True)
    )
    below = (
        sa_select(col(Employee.employee_id), tree.c.depth + 1)
        .join(tree, col(Employee.manager_id) == tree.c.employee_id)
        .where(tree.c.depth < 64)
    )  # a cycle in bad data must not recurse forever
    tree = tree.union(below)
    return sa_select(tree.c.employee_id)


def report_ids(session: Session, manager_id: str) -> set[str]:
    """Ids of everyone below a manager."""
    return set(session.exec(reports_query(manager_id)).scalars())  # type: ignore[call-overload]


def scope_filter(principal: Principal, column: Any = Employee.employee_id) -> object | None:
    """A WHERE clause on an `employee_id` column (the employees' by default) limiting rows to
    the principal's scope; None means all."""
    if principal.role in (Role.admin, Role.hr):
        return None
    own = principal.employee_id or ""
    if principal.role == Role.manager:
        return col(column).in_(reports_query(own)) | (col(column) == own)
    return col(column) == own


def can_view(session: Session, principal: Principal, employee_id: str) -> bool:
    """Whether the principal may see this employee's records."""
    if principal.role in (Role.admin, Role.hr):
        return True
    if employee_id == principal.employee_id:
        return True
    if principal.role == Role.manager and principal.employee_id:
        return employee_id in report_ids(session, principal.employee_id)
    return False


def manages(session: Session, principal: Principal, employee_id: str) -> bool:
    """Whether the principal is a manager above this employee (not the employee themselves)."""
    if principal.role != Role.manager or not principal.employee_id:
        return False
    return employee_id in report_ids(session, principal.employee_id)


def get_employee(session: Session, principal: Principal, employee_id: str) -> Employee:
    """One employee, if it exists and is within the principal's scope."""
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound("employee", employee_id)
    if not can_view(session, principal, employee_id):
        raise Forbidden(f"employee {employee_id!r} is outside your scope")
    return employee


def list_employees(
    session: Session,
    principal: Principal,
    *,
    offset: int = 0,
    limit: int = 100,
    department: str | None = None,
    team: str | None = None,
    manager_id: str | None = None,
) -> tuple[list[Employee], int]:
    """A page of employees within scope, with the total count of the filtered set."""
    query = select(Employee)
    count_query = select(func.count()).select_from(Employee)
    clauses = []
    scope = scope_filter(principal)
    if scope is not None:
        clauses.append(scope)
    if department:
        clauses.append(col(Employee.department) == department)
    if team:
        clauses.append(col(Employee.team) == team)
    if manager_id:
        clauses.append(col(Employee.manager_id) == manager_id)
    for clause in clauses:
        query = query.where(clause)  # type: ignore[arg-type]
        count_query = count_query.where(clause)  # type: ignore[arg-type]
    rows = session.exec(query.order_by(col(Employee.employee_id)).offset(offset).limit(limit)).all()
    return list(rows), session.exec(count_query).one()
