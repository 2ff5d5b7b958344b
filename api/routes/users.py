from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from coach.org import users
from coach.org.users import UserPublic, UsersPublic

from ..deps import AdminUser, PageDep, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/v1/users", tags=["users"])

UserName = Annotated[str, Path(min_length=1, max_length=200, description="The user's name.")]


class UserToken(BaseModel):
    user: UserPublic
    token: str = Field(description="The new token; shown only in this response.")


@router.get("", response_model=UsersPublic, responses=error_responses(401, 403, 422))
def list_users(session: SessionDep, _: AdminUser, page: PageDep) -> UsersPublic:
    """Every user with role, employee, status and token dates (never the token), by name."""
    everyone = users.list_users(session)
    return UsersPublic(data=page.of(everyone.data), count=everyone.count)


_CHANGE_ERRORS = error_responses(401, 403, 404, 409, 422, 503)


@router.post("/{name}/disable", response_model=UserPublic, responses=_CHANGE_ERRORS)
def disable_user(name: UserName, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Refuse the user's token and end their web sessions at once."""
    return users.set_disabled(session, name=name, disabled=True, actor=admin.label)


@router.post("/{name}/enable", response_model=UserPublic, responses=_CHANGE_ERRORS)
def enable_user(name: UserName, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Let a disabled user in again with their existing token."""
    return users.set_disabled(session, name=name, disabled=False, actor=admin.label)


@router.post("/{name}/rotate-token", response_model=UserToken, responses=_CHANGE_ERRORS)
def rotate_user_token(name: UserName, session: SessionDep, admin: AdminUser) -> UserToken:
    """A new token for the user; the old one and their web sessions stop working."""
    user, token = users.rotate_token(session, name=name, actor=admin.label)
    return UserToken(user=user, token=token)
