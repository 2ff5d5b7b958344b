"""Request dependencies: settings, database session, the authenticated caller, role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from coach.core.db import session_scope
from coach.core.models import Role
from coach.core.settings import Settings
from coach.knowledge import KnowledgeBase
from coach.llm import ChatEngine
from coach.org.users import Principal, authenticate

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="API token from `coach user add`")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back if it raises."""
    with session_scope(engine) as session:
        yield session


def get_chat_engine(request: Request) -> ChatEngine:
    return request.app.state.chat_engine  # type: ignore[no-any-return]


def get_knowledge(request: Request) -> KnowledgeBase:
    return request.app.state.knowledge()  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]
ChatEngineDep = Annotated[ChatEngine, Depends(get_chat_engine)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge)]
EngineDep = Annotated[Engine, Depends(get_engine)]
# Committed before the response is sent: a 2xx means the write is in the database, and a
# failed commit is the request's error instead of happening after a success was reported.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# Databases store OFFSET as a signed 64-bit integer (SQLite refuses anything larger); no page
# is ever this far in, so a bound well inside keeps a huge number a 422 instead of a 500.
MAX_OFFSET = 2**31 - 1
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    """Which slice of a list to answer: every list endpoint pages the same way."""

    offset: int
    limit: int

    def of(self, items: Sequence[T]) -> list[T]:
        """This page of a list already in memory."""
        return list(items[self.offset : self.offset + self.limit])


def get_page(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page, at most {MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
) -> Page:
    return Page(offset=offset, limit=limit)


PageDep = Annotated[Page, Depends(get_page)]


def get_current_user(
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    # A short session of its own: a request that waits seconds on an LLM must not hold a
    # pooled connection just because it was authenticated.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with Session(engine) as session:
        principal = authenticate(session, credentials.credentials)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid or disabled token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only the given roles through."""
    allowed = ", ".join(r.value for r in roles)

    def check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"this needs one of the roles: {allowed}; you are {principal.role.value}",
            )
        return principal

    return check


AdminUser = Annotated[Principal, Depends(require_roles(Role.admin))]
HRUser = Annotated[Principal, Depends(require_roles(Role.hr))]
Auditor = Annotated[Principal, Depends(require_roles(Role.hr, Role.admin))]
