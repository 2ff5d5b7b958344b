"""Request dependencies: settings, database session, the authenticated caller, role checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from coach.core.db import POOL_TIMEOUT_S, session_scope
from coach.core.errors import Busy
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


# The threadpool that runs sync routes and dependencies has 40 threads (AnyIO's default). A
# request holding a pooled connection may still need one of them: FastAPI validates a sync
# route's answer in the threadpool before the session's commit. Were every thread taken by a
# request waiting for a connection, the requests holding the connections could not finish,
# and all would wait out the pool timeout. Letting fewer requests than there are threads near
# the database at once, and queueing the rest on the event loop, keeps threads free for them.
THREADPOOL_THREADS = 40
_SLOT_HELD = "coach.db_slot"


class DatabaseSlots:
    """A bound on the requests that hold or wait for a pooled connection at one time."""

    def __init__(self, size: int, timeout_s: float) -> None:
        self._free = asyncio.Semaphore(size)
        self._timeout_s = timeout_s

    @classmethod
    def for_settings(cls, settings: Settings) -> DatabaseSlots:
        """As many slots as the pool has connections, leaving threads for those holding one."""
        pool = settings.db_pool_size + settings.db_max_overflow
        return cls(max(1, min(pool, THREADPOOL_THREADS - 8)), timeout_s=POOL_TIMEOUT_S)

    @asynccontextmanager
    async def held(self, scope: MutableMapping[str, Any]) -> AsyncIterator[None]:
        """A slot for this request until the block ends (the request's own, if it has one);
        `Busy` if none frees within the timeout."""
        if scope.get(_SLOT_HELD):
            yield
            return
        try:
            await asyncio.wait_for(self._free.acquire(), self._timeout_s)
        except TimeoutError:
            raise Busy() from None
        scope[_SLOT_HELD] = True
        try:
            yield
        finally:
            scope[_SLOT_HELD] = False
            self._free.release()


def _slots(request: Request) -> DatabaseSlots:
    return request.app.state.db_slots  # type: ignore[no-any-return]


async def hold_database_slot(request: Request) -> AsyncIterator[None]:
    async with _slots(request).held(request.scope):
        yield


def get_session(
    engine: Annotated[Engine, Depends(get_engine)],
    _slot: Annotated[None, Depends(hold_database_slot, scope="function")],
) -> Iterator[Session]:
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


def _authenticated(engine: Engine, token: str) -> Principal | None:
    with Session(engine) as session:
        return authenticate(session, token)


async def get_current_user(
    request: Request,
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    # A short session and slot of their own (unless the request holds a slot already): a
    # request that waits seconds on an LLM must not hold a connection because it was
    # authenticated.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    async with _slots(request).held(request.scope):
        principal = await run_in_threadpool(_authenticated, engine, credentials.credentials)
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
