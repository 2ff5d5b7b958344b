"""An approver's edit to AI content: rebuilt from the fields of the edit form, and measured.

An edit is measured on a canonical text rendering of the content (one `path: value` line per
leaf, sorted), so reordering keys is no edit and changing one word in one field is a small one.

The edit form names each field by its path in the content (`strengths.1.text`,
`suggestions.0.milestones.day_30`); `content_from_fields` walks the kind's schema to put the
posted values back together, and the decision validates the result like any other edit.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, Field

from coach.drafts.content import model_in


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


def _item_indices(fields: Mapping[str, Sequence[str]], path: str) -> list[int]:
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
        inner = model_in(info.annotation)
        if inner is not None and _is_list(info.annotation):
            items = [
                _model_from(inner, fields, f"{path}.{i}.") for i in _item_indices(fields, path)
            ]
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


# --- what the approver changed, item by item ------------------------------------------------

_NOT_COMPARED = frozenset({*KEPT_FIELDS, "rationale_numbers"})
# A CJK character is a word of its own; a Latin word or number stays whole.
_TOKENS = re.compile(r"[A-Za-z0-9_.,%-]+|\s+|.", re.S)


class Piece(BaseModel):
    """A run of text that both versions share, or that only one of them has."""

    op: Literal["same", "added", "removed"]
    text: str


class FieldChange(BaseModel):
    key: str = Field(description="The field's name within its item: `text`, `milestones.day_30`.")
    before: str
    after: str
    pieces: list[Piece] = Field(description="The inline difference, word by word.")


class ItemChange(BaseModel):
    """One item the approver added, removed or changed."""

    section: str = Field(description="The list the item is in (`strengths`), or `summary`.")
    number: int = Field(description="Its place in the approved list (the AI list if removed).")
    change: Literal["added", "removed", "changed"]
    fields: list[FieldChange]


def inline_diff(before: str, after: str) -> list[Piece]:
    """`before` → `after` as shared, removed and added runs of words (characters in Chinese)."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece(op="same", text="".join(old[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece(op="removed", text="".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(Piece(op="added", text="".join(new[j1:j2])))
    return pieces


def _field_texts(item: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in _leaves(item).items() if k.split("[")[0] not in _NOT_COMPARED}


def _item_texts(item: Any) -> dict[str, str]:
    texts = _field_texts(item) if isinstance(item, dict) else {"": str(item)}
    # A list of words (`questions[0]`, `evidence_ids[1]`) compares as one field.
    joined: dict[str, list[str]] = {}
    for path, value in texts.items():
        joined.setdefault(re.sub(r"\[\d+\]$", "", path), []).append(value)
    return {path: "\n".join(values) for path, values in joined.items()}


def _cited_last(key: str) -> bool:
    return key.endswith("evidence_ids")


def _fields_changed(before: dict[str, str], after: dict[str, str]) -> list[FieldChange]:
    return [
        FieldChange(
            key=key, before=before.get(key, ""), after=after.get(key, ""),
            pieces=inline_diff(before.get(key, ""), after.get(key, "")),
        )
        for key in sorted([*before, *(k for k in after if k not in before)], key=_cited_last)
        if before.get(key, "") != after.get(key, "")
    ]  # fmt: skip


def _list_changes(section: str, ai: list[Any], final: list[Any]) -> list[ItemChange]:
    old, new = [_item_texts(v) for v in ai], [_item_texts(v) for v in final]
    keys = [repr(sorted(t.items())) for t in old], [repr(sorted(t.items())) for t in new]
    changes: list[ItemChange] = []
    matcher = difflib.SequenceMatcher(None, *keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            fields = _fields_changed(old[i1 + k], new[j1 + k])
            changes.append(ItemChange(section=section, number=j1 + k + 1, change="changed",
                                      fields=fields))  # fmt: skip
        for i in range(i1 + paired, i2):
            changes.append(ItemChange(section=section, number=i + 1, change="removed",
                                      fields=_fields_changed(old[i], {})))  # fmt: skip
        for j in range(j1 + paired, j2):
            changes.append(ItemChange(section=section, number=j + 1, change="added",
                                      fields=_fields_changed({}, new[j])))  # fmt: skip
    return changes


def item_changes(ai: dict[str, Any], final: dict[str, Any]) -> list[ItemChange]:
    """What the approver changed: per list of items, each added, removed or changed item with
    its changed fields; the top-level fields (a summary, a target's levels) as one item."""
    lists = [
        k for k in {**ai, **final}
        if k not in _NOT_COMPARED and isinstance(ai.get(k, final.get(k)), list)
        and all(isinstance(v, dict) for v in [*ai.get(k, []), *final.get(k, [])])
    ]  # fmt: skip
    top_ai = {k: v for k, v in ai.items() if k not in lists}
    top_final = {k: v for k, v in final.items() if k not in lists}
    changes: list[ItemChange] = []
    fields = _fields_changed(_item_texts(top_ai), _item_texts(top_final))
    if fields:
        changes.append(ItemChange(section="summary", number=1, change="changed", fields=fields))
    for key in lists:
        changes.extend(_list_changes(key, ai.get(key) or [], final.get(key) or []))
    return changes
