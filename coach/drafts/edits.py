"""An approver's edit to AI content: rebuilt from the fields of the edit form, and measured.

An edit is measured on a canonical text rendering of the content (one `path: value` line per
leaf, sorted), so reordering keys is no edit and changing one word in one field is a small one.

The edit form names each field by its path in the content (`strengths.1.text`,
`suggestions.0.milestones.day_30`); `content_from_fields` walks the kind's schema to put the
posted values back together, and the decision validates the result like any other edit.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel, Field

from coach.drafts.content import _model_in


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


# --- the edit form's fields ----------------------------------------------------------------

KEPT_FIELDS = frozenset({"quality_flags", "data_sufficiency"})
"""Content the service computed, not the approver: carried over from the AI version as is."""


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or any(
        get_origin(a) is list for a in get_args(annotation)
    )


def item_indices(fields: Mapping[str, Sequence[str]], path: str) -> list[int]:
    """The item numbers posted under a list's path (`strengths.0.text` → 0), in order."""
    found = set()
    prefix = path + "."
    for name in fields:
        if name.startswith(prefix):
            number = name[len(prefix) :].split(".", 1)[0]
            if number.isdigit():
                found.add(int(number))
    return sorted(found)


def _text(value: str) -> str:
    # Browsers send a textarea's line breaks as CRLF: the content keeps the LF it had.
    return value.replace("\r\n", "\n").strip()


def _model_from(
    schema: type[BaseModel], fields: Mapping[str, Sequence[str]], prefix: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        if name in KEPT_FIELDS:
            continue
        path = prefix + name
        inner = _model_in(info.annotation)
        if inner is not None and _is_list(info.annotation):
            items = [_model_from(inner, fields, f"{path}.{i}.") for i in item_indices(fields, path)]
            if "rank" in inner.model_fields:
                # A rank is the item's place in the form: adding or removing items re-ranks.
                items = [{**item, "rank": n} for n, item in enumerate(items, start=1)]
            out[name] = items
        elif inner is not None:
            out[name] = _model_from(inner, fields, path + ".")
        elif _is_list(info.annotation):
            out[name] = [_text(v) for v in fields.get(path, ()) if v.strip()]
        elif path in fields:
            out[name] = _text(fields[path][0])
    return out


def content_from_fields(
    schema: type[BaseModel], fields: Mapping[str, Sequence[str]], *, ai: dict[str, Any]
) -> dict[str, Any]:
    """The content the edit form describes, with the service's own parts kept from `ai`.

    Not validated here: the decision validates it against the kind's schema, as every edit.
    """
    kept = {k: ai[k] for k in KEPT_FIELDS if k in ai}
    return {**kept, **_model_from(schema, fields, "")}
