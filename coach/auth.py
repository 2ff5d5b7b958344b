"""API users, their roles and bearer tokens (only a hash of each token is stored)."""

from __future__ import annotations

import hashlib
import secrets

from pydantic import BaseModel
from sqlmodel import Session, select

from coach.audit import record_event
from coach.errors import Conflict, InvalidInput, NotFound
from coach.models import Employee, Role, User

TOKEN_PREFIX = "coach_"


class Principal(BaseModel):
    """The authenticated caller as the domain sees it."""

    user_id: int
    name: str
    role: Role
    employee_id: str | None = None

    @property
    def label(self) -> str:
        """How the caller is named in audit events and approval records."""
        return f"{self.role.value}:{self.name}"


def hash_token(token: str) -> str:
    """SHA-256 of a token; tokens are long random strings, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session, *, name: str, role: Role, employee_id: str | None = None, actor: str = "cli"
) -> tuple[User, str]:
    """Create a user and return it with its token (the only time the token is visible)."""
    name = name.strip()
    if not name:
        raise InvalidInput("name", "must not be empty")
    if session.exec(select(User).where(User.name == name)).first():
        raise Conflict(f"a user named {name!r} already exists")
    if role in (Role.manager, Role.employee) and not employee_id:
        raise InvalidInput("employee_id", f"a {role.value} user must be linked to an employee")
    if employee_id and session.get(Employee, employee_id) is None:
        raise NotFound("employee", employee_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = User(name=name, role=role, employee_id=employee_id, token_hash=hash_token(token))
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        object_type="user",
        object_id=str(user.id),
        after={"name": name, "role": role.value, "employee_id": employee_id},
    )
    return user, token


def authenticate(session: Session, token: str) -> Principal | None:
    """The principal a token belongs to, or None for an unknown or disabled token."""
    return authenticate_hash(session, hash_token(token))


def authenticate_hash(session: Session, token_hash: str) -> Principal | None:
    """The principal whose token has this hash (a web session keeps the hash, not the token)."""
    user = session.exec(select(User).where(User.token_hash == token_hash)).first()
    if user is None or user.disabled or user.id is None:
        return None
    return Principal(user_id=user.id, name=user.name, role=user.role, employee_id=user.employee_id)
