from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import AdminUser, SessionDep
from coach import auth
from coach.auth import UserPublic, UsersPublic

router = APIRouter(prefix="/v1/users", tags=["users"])

UserName = Annotated[str, Path(min_length=1, max_length=200, description="The user's name.")]


class UserToken(BaseModel):
    user: UserPublic
    token: str = Field(description="The new token; shown only in this response.")


@router.get("", response_model=UsersPublic)
def list_users(session: SessionDep, _: AdminUser) -> UsersPublic:
    """Every user with role, employee, status and token dates (never the token)."""
    return auth.list_users(session)


@router.post("/{name}/disable", response_model=UserPublic)
def disable_user(name: UserName, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Refuse the user's token and end their web sessions at once."""
    return auth.set_disabled(session, name=name, disabled=True, actor=admin.label)


@router.post("/{name}/enable", response_model=UserPublic)
def enable_user(name: UserName, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Let a disabled user in again with their existing token."""
    return auth.set_disabled(session, name=name, disabled=False, actor=admin.label)


@router.post("/{name}/rotate-token", response_model=UserToken)
def rotate_user_token(name: UserName, session: SessionDep, admin: AdminUser) -> UserToken:
    """A new token for the user; the old one and their web sessions stop working."""
    user, token = auth.rotate_token(session, name=name, actor=admin.label)
    return UserToken(user=user, token=token)
