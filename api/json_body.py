"""Refuse JSON bodies holding values that cannot be stored or sent back.

Python's JSON parser accepts `NaN`, `Infinity` and numbers too large for a double (read as
infinity), and strings with lone UTF-16 surrogates (`"\\ud800"`). None of these is valid
JSON or encodable UTF-8, so they would fail later, far from the input, as a 500. They are
refused here, for every route at once, naming the field where each was found.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from .limits import BODY_METHODS

# No request of this API nests more than a few levels; far deeper ones only find the places
# (edit measures, JSON columns) where recursion runs out, as a 500.
MAX_DEPTH = 32
MAX_ERRORS = 20
TOO_DEEP = f"is nested more than {MAX_DEPTH} levels deep"
NOT_FINITE = "must be a finite number: NaN, Infinity and numbers past ±1.8e308 are not JSON"


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _surrogate_reason(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"has a lone UTF-16 surrogate at character {exc.start}: send valid Unicode"
    return None


def unrepresentable_values(value: Any, loc: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Validation errors, in FastAPI's shape: non-finite numbers, bad strings, deep nesting."""
    errors: list[dict[str, Any]] = []
    # A stack, not recursion: a body nested as deep as the parser allows must not overflow.
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(value, loc)]
    while pending and len(errors) < MAX_ERRORS:
        item, where = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            errors.append(
                {"type": "finite_number", "loc": where, "msg": NOT_FINITE, "input": str(item)}
            )
        elif isinstance(item, str) and (reason := _surrogate_reason(item)):
            errors.append({"type": "string_unicode", "loc": where, "msg": reason})
        elif isinstance(item, list | dict) and len(where) > MAX_DEPTH:
            errors.append({"type": "too_deep", "loc": where, "msg": TOO_DEEP})
        elif isinstance(item, list):
            pending += [(v, (*where, i)) for i, v in reversed(list(enumerate(item)))]
        elif isinstance(item, dict):
            for key, v in reversed(item.items()):
                if reason := _surrogate_reason(key):
                    errors.append(
                        {"type": "string_unicode", "loc": (*where, key), "msg": f"key {reason}"}
                    )
                else:
                    pending.append((v, (*where, key)))
    return errors


async def reject_unrepresentable_json(request: Request) -> None:
    """A dependency answering 422 for a JSON body holding what `unrepresentable_values` finds."""
    # Only where BodySizeLimit caps the body: reading an uncapped one would invite a huge GET.
    if request.method not in BODY_METHODS or not _is_json(request) or not await request.body():
        return
    try:
        body = await request.json()
    except ValueError:
        return  # not JSON at all: a route reading the body reports that itself
    errors = unrepresentable_values(body, ("body",))
    if errors:
        raise RequestValidationError(errors)
