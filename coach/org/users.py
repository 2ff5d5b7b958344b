"""API users, their roles, bearer tokens and web sessions (only hashes of secrets are stored).

A web session is a row of `web_sessions` keyed by the hash of a random id that the signed
cookie carries. Signing out deletes the row; disabling a user or rotating their token deletes
all of theirs. The rows live in the database, so every worker sees the same sessions; so does
the key signing the cookies (unless COACH_SECRET_KEY gives one), so every worker accepts them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from coach.core.audit import record_event
from coach.core.errors import Conflict, InvalidInput, NotFound
from coach.core.models import Employee, Role, SessionKey, User, WebSession, utcnow
from coach.core.settings import Settings

TOKEN_PREFIX = "coach_"
SESSION_LIFETIME = timedelta(hours=12)
# Where earlier versions kept a generated session key; read once so their sessions survive.
LEGACY_KEY_FILE = "secret_key"
_MIN_KEY_LENGTH, _MAX_KEY_LENGTH = 16, 128  # the column holds at most 128 characters


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


def new_token() -> str:
    """A fresh random API token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


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
    token = new_token()
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
    query = select(User).where(User.token_hash == hash_token(token))
    return _principal(session.exec(query).first())


def _principal(user: User | None) -> Principal | None:
    if user is None or user.disabled or user.id is None:
        return None
    return Principal(user_id=user.id, name=user.name, role=user.role, employee_id=user.employee_id)


# --- managing users ---------------------------------------------------------------------


class UserPublic(BaseModel):
    """A user as admins see it: never the token or its hash."""

    name: str
    role: Role
    employee_id: str | None
    disabled: bool
    created_at: datetime
    token_rotated_at: datetime | None


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


def list_users(session: Session) -> UsersPublic:
    """Every user, by name."""
    users = [_public(u) for u in session.exec(select(User).order_by(col(User.name))).all()]
    return UsersPublic(data=users, count=len(users))


def employee_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Employee id → the person's name, for the known ones among these ids."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(
        select(Employee.employee_id, Employee.name).where(col(Employee.employee_id).in_(wanted))
    ).all()
    return dict(rows)


def people_behind(session: Session, accounts: Iterable[str]) -> dict[str, str]:
    """Account name → the name of the person it belongs to, for the linked ones among these."""
    wanted = set(accounts)
    if not wanted:
        return {}
    rows = session.exec(
        select(User.name, Employee.name)
        .join(Employee, col(Employee.employee_id) == col(User.employee_id))
        .where(col(User.name).in_(wanted))
    ).all()
    return dict(rows)


def _user_named(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name.strip())).first()
    if user is None:
        raise NotFound("user", name)
    return user


def set_disabled(session: Session, *, name: str, disabled: bool, actor: str) -> UserPublic:
    """Disable (token and web sessions refused at once) or re-enable a user."""
    user = _user_named(session, name)
    if disabled and not user.disabled and user.role == Role.admin and _active_admins(session) == 1:
        raise Conflict(f"{user.name!r} is the last active admin; enable or add another first")
    if user.disabled != disabled:
        user.disabled = disabled
        session.add(user)
        if disabled:
            _end_sessions_of(session, user)
        session.flush()
        record_event(
            session, actor=actor, action="disable" if disabled else "enable",
            object_type="user", object_id=str(user.id),
            before={"disabled": not disabled}, after={"disabled": disabled},
        )  # fmt: skip
    return _public(user)


def _active_admins(session: Session) -> int:
    query = select(User).where(User.role == Role.admin, col(User.disabled).is_(False))
    return len(session.exec(query).all())


def rotate_token(session: Session, *, name: str, actor: str) -> tuple[UserPublic, str]:
    """Give a user a new token (returned, the only time it is visible); the old one stops working."""
    user = _user_named(session, name)
    token = new_token()
    user.token_hash = hash_token(token)
    user.token_rotated_at = utcnow()
    session.add(user)
    _end_sessions_of(session, user)
    session.flush()
    record_event(
        session, actor=actor, action="rotate_token", object_type="user", object_id=str(user.id),
        detail={"name": user.name},
    )  # fmt: skip
    return _public(user), token


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def set_contact(
    session: Session, *, name: str, email: str | None, webhook_url: str | None, actor: str
) -> None:
    """Set where reminders reach a user (None leaves a field as it is, "" clears it)."""
    user = _user_named(session, name)
    if email:
        if len(email) > 320 or not _EMAIL.fullmatch(email.strip()):
            raise InvalidInput("email", f"{email!r} is not an e-mail address")
        user.email = email.strip()
    elif email == "":
        user.email = None
    if webhook_url:
        if len(webhook_url) > 1000 or not webhook_url.startswith(("https://", "http://")):
            raise InvalidInput(
                "webhook", "must be the group bot's http(s) address, at most 1000 characters"
            )
        user.webhook_url = webhook_url.strip()
    elif webhook_url == "":
        user.webhook_url = None
    session.add(user)
    session.flush()
    # The webhook's address is its key: the audit trail says only whether one is set.
    record_event(
        session, actor=actor, action="set_contact", object_type="user", object_id=str(user.id),
        after={"email": user.email, "webhook": user.webhook_url is not None},
    )  # fmt: skip


# --- web sessions -----------------------------------------------------------------------


def start_web_session(session: Session, *, user_id: int) -> str:
    """Open a web session for a user and return its id (for the signed cookie only)."""
    now = utcnow()
    # Expired rows are of no use to anyone; each sign-in sweeps them so the table stays small.
    session.exec(delete(WebSession).where(col(WebSession.expires_at) < now))  # type: ignore[call-overload]
    session_id = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id_hash=hash_token(session_id), user_id=user_id, created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )  # fmt: skip
    session.flush()
    return session_id


def web_session_principal(session: Session, session_id: str) -> Principal | None:
    """The user of a live web session, or None if it ended, expired or its user is disabled."""
    row = session.get(WebSession, hash_token(session_id))
    if row is None or row.expires_at <= utcnow():
        return None
    return _principal(session.get(User, row.user_id))


def end_web_session(session: Session, session_id: str) -> None:
    """End one web session (sign-out); any copy of its cookie is refused from now on."""
    session.exec(delete(WebSession).where(col(WebSession.id_hash) == hash_token(session_id)))  # type: ignore[call-overload]


def _end_sessions_of(session: Session, user: User) -> None:
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user.id))  # type: ignore[call-overload]


def session_signing_key(session: Session, settings: Settings) -> str:
    """The key signing web session cookies: COACH_SECRET_KEY, else the database's one.

    The first process to ask stores a key (the one an earlier version generated into
    COACH_HOME/secret_key, if any, else a new random one); insert-if-absent, so processes
    starting together on one database all end up with the same key.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().strip()
    stored = session.get(SessionKey, 1)
    if stored is None:
        _insert_key_if_absent(session, _legacy_key(settings.home) or secrets.token_urlsafe(48))
        stored = session.exec(select(SessionKey)).one()
    return stored.value


def _legacy_key(home: Path) -> str | None:
    path = home / LEGACY_KEY_FILE
    if not path.is_file():
        return None
    value = path.read_text(encoding="utf-8").strip()
    return value if _MIN_KEY_LENGTH <= len(value) <= _MAX_KEY_LENGTH else None


def _insert_key_if_absent(session: Session, value: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    row = {"id": 1, "value": value, "created_at": utcnow()}
    session.execute(insert(SessionKey).values(row).on_conflict_do_nothing())
