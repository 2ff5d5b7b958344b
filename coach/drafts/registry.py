"""The registry of draft kinds: each kind's content schema and approval hook.

`coach.kinds.register_all` fills it explicitly; a kind missing from it is refused with
`UnknownDraftKind`, never stored or decided without its schema or hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from coach.core.errors import Conflict
from coach.core.models import Draft
from coach.org.users import Principal


class UnknownDraftKind(Conflict):
    """A draft's kind is not in the registry, so its schema and approval hook are unknown."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"草稿类型 {kind!r} 未注册 (draft kind {kind!r} is not registered: "
            "call coach.kinds.register_all() before creating or deciding drafts)"
        )
        self.kind = kind


ApprovalHook = Callable[[Session, Draft, dict[str, Any], Principal], None]
EditHook = Callable[[Draft, dict[str, Any]], dict[str, Any]]
"""The edited content as it is recorded: what in it follows from the edit is brought in line."""


@dataclass(frozen=True)
class DraftKind:
    """What the service knows about one kind of draft."""

    name: str
    schema: type[BaseModel] | None = None
    on_approved: ApprovalHook | None = None
    on_edited: EditHook | None = None
    label: tuple[str, str] | None = None
    """What people read for the kind, in Chinese and in English; the code when absent."""


_KINDS: dict[str, DraftKind] = {}


def register_kinds(kinds: Iterable[DraftKind]) -> None:
    """Add draft kinds to the registry the lifecycle and `decide` look kinds up in."""
    _KINDS.update((kind.name, kind) for kind in kinds)


def draft_kind(name: str) -> DraftKind:
    """The registered kind of this name, or `UnknownDraftKind`."""
    kind = _KINDS.get(name)
    if kind is None:
        raise UnknownDraftKind(name)
    return kind


def kind_label(name: str, lang: str = "zh") -> str:
    """A draft kind's name as people read it in the language, or its code if it has none."""
    kind = _KINDS.get(name)
    if kind is None or kind.label is None:
        return name
    return kind.label[0] if lang == "zh" else kind.label[1]


def kind_schemas() -> list[type[BaseModel]]:
    """The content schemas of the registered kinds, in registration order."""
    return [k.schema for k in _KINDS.values() if k.schema is not None]
