"""The size of an approver's edit to AI content.

An edit is measured on a canonical text rendering of the content (one `path: value` line per
leaf, sorted), so reordering keys is no edit and changing one word in one field is a small one.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, Field


class EditMeasure(BaseModel):
    diff: str = Field(description="Unified diff of the canonical renderings, AI → final.")
    changed_fields: list[str] = Field(
        description="Leaf paths whose value was added, removed or changed."
    )
    edit_ratio: float = Field(
        ge=0.0, le=1.0, description="0 = approved as is, 1 = fully rewritten."
    )


def _leaves(value: Any, path: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key in sorted(value, key=str):
            out.update(_leaves(value[key], f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{i}]"))
        return out
    return {path: "" if value is None else str(value)}


def render(content: dict[str, Any] | None) -> list[str]:
    """The canonical text rendering of draft content: one `path: value` line per leaf."""
    return [f"{path}: {value}" for path, value in _leaves(content or {}).items()]


def measure_edit(ai: dict[str, Any], final: dict[str, Any] | None) -> EditMeasure:
    """How far the final content is from the AI version (a rejection measures as no edit)."""
    if final is None:
        return EditMeasure(diff="", changed_fields=[], edit_ratio=0.0)
    before, after = _leaves(ai), _leaves(final)
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    old, new = render(ai), render(final)
    diff = "".join(
        line if line.endswith("\n") else line + "\n"
        for line in difflib.unified_diff(old, new, "ai", "final", lineterm="")
    )
    # The ratio compares the words only: field names shared by both versions are not content.
    old_text, new_text = "\n".join(before.values()), "\n".join(after.values())
    if old_text == new_text:
        ratio = 0.0
    else:
        similarity = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False).ratio()
        ratio = round(min(1.0, max(0.0, 1.0 - similarity)), 4)
    return EditMeasure(diff=diff, changed_fields=changed, edit_ratio=ratio)


# --- decision patterns ------------------------------------------------------------------
