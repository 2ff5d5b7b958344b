"""The registry of draft kinds, built explicitly from each capability's `DraftKind`.

Importing a capability registers nothing: the app, the CLI and the tests call
`register_all`, so a kind's schema and approval hook are never missing by accident.
"""

from __future__ import annotations

from coach.chains import DRAFT_KINDS as COACHING_KINDS
from coach.drafts.registry import DraftKind, register_kinds
from coach.targets.service import TARGET_DRAFT_KIND


def draft_kinds() -> dict[str, DraftKind]:
    """Every kind of draft the service makes, by name."""
    return {kind.name: kind for kind in (*COACHING_KINDS, TARGET_DRAFT_KIND)}


def register_all() -> dict[str, DraftKind]:
    """Register every draft kind for `coach.drafts.store` to look up; the kinds registered."""
    kinds = draft_kinds()
    register_kinds(kinds.values())
    return kinds
