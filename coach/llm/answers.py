"""Read a structured answer out of what OpenAI-compatible servers actually return.

Servers differ in where the answer lands: a tool call (arguments as a JSON string or, on
some gateways, an object), or the message content, because the server ignored
`tool_choice` or has no tool parser. Content may start with a `<think>` block (a reasoning
model served without a reasoning parser), sit in a ```json fence after a sentence, or be
the call written out as text, `{"name": ..., "arguments": {...}}`. Every place is tried;
whatever is found must still validate against the schema.

Faults get their own outcomes: `truncated` (finish_reason=length), `filtered` (a content
filter or refusal), `invalid` (no JSON, or JSON off the schema, with the validation errors
and the first 200 characters of what came back).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from coach.llm.base import LLMError, T

SHOWN = 200  # characters of a server's own text quoted in a fault
_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_CALL_KEYS = frozenset({"name", "arguments", "parameters", "type"})
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)


def quote(text: object) -> str:
    """The first 200 characters of a server's text, on one line."""
    flat = " ".join(str(text).split())
    return flat[:SHOWN] + ("…" if len(flat) > SHOWN else "")


def read_completion(text: str) -> dict[str, Any]:
    """The chat completion in a 200 response body, or LLMError when it is none."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("choices"), list)
        or not body["choices"]
    ):
        raise LLMError(
            f"not a chat completion: the response body starts with {quote(text)!r}",
            outcome="invalid",
            fault=f"not a chat completion ({quote(text)!r})",
        )
    return body


def tokens(completion: dict[str, Any]) -> tuple[int | None, int | None]:
    """Input and output token counts, where the server reported them as numbers."""
    usage = completion.get("usage")
    if not isinstance(usage, dict):
        return None, None

    def count(key: str) -> int | None:
        value = usage.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return count("prompt_tokens"), count("completion_tokens")


def parse_answer(completion: dict[str, Any], schema: type[T]) -> T:
    """The schema's object from the first choice, or LLMError naming what was wrong."""
    choice = completion["choices"][0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise LLMError(
            f"not a chat completion: no message in {quote(json.dumps(choice))!r}",
            outcome="invalid",
            fault="not a chat completion (no message)",
        )
    finish = choice.get("finish_reason")
    if finish == "length":
        raise LLMError(
            "truncated: the answer stopped at the output limit (finish_reason=length); "
            "raise COACH_LLM_MAX_TOKENS or the server's context size",
            outcome="truncated",
            fault="truncated at the output limit (finish_reason=length)",
        )
    refusal = message.get("refusal")
    if finish == "content_filter" or refusal:
        said = f": {quote(refusal)}" if refusal else ""
        raise LLMError(
            f"refused by the server's content filter{said}",
            outcome="filtered",
            fault=f"refused by the content filter{said}",
        )
    # A reasoning parser that never saw `</think>` files the whole answer as reasoning.
    candidates = [
        *_tool_arguments(message),
        _text(message.get("content")),
        _text(message.get("reasoning_content")),
    ]
    found = [c for c in candidates if c is not None and c != ""]
    if not found:
        raise LLMError(
            "empty answer: no tool call and no content", outcome="invalid", fault="empty answer"
        )
    problem = ""
    for candidate in found:
        data = candidate if isinstance(candidate, dict) else _json_in(candidate)
        if data is None:
            problem = f"answer is not JSON: it starts with {quote(candidate)!r}"
            continue
        try:
            return _validated(data, schema)
        except ValidationError as exc:
            problem = f"answer does not fit {schema.__name__}: {_errors(exc)}"
    raise LLMError(problem, outcome="invalid", fault=problem)


def _tool_arguments(message: dict[str, Any]) -> list[object]:
    calls = message.get("tool_calls")
    if not isinstance(calls, list):
        return []
    found: list[object] = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            found.append(function.get("arguments"))
    return found


def _text(content: object) -> str | None:
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content.strip() if isinstance(content, str) else None


def _json_in(text: object) -> Any:
    """The first JSON object in a text, past think blocks, fences and preamble; else None."""
    if not isinstance(text, str):
        return None
    text = _THINK.sub("", text)
    if "</think>" in text:  # the opening tag was part of the prompt template
        text = text.rsplit("</think>", 1)[1]
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        return value
    return None


def _validated(data: Any, schema: type[T]) -> T:
    try:
        return schema.model_validate(data)
    except ValidationError:
        inner = _named_call_arguments(data)
        if inner is None:
            raise
        return schema.model_validate(inner)


def _named_call_arguments(data: Any) -> Any:
    """The arguments of a tool call written out as text: {"name": ..., "arguments": ...}."""
    if not isinstance(data, dict) or "name" not in data or not set(data) <= _CALL_KEYS:
        return None
    inner = data.get("arguments", data.get("parameters"))
    if isinstance(inner, str):
        return _json_in(inner)
    return inner


def _errors(exc: ValidationError) -> str:
    parts = [
        f"{'.'.join(str(p) for p in error['loc']) or '(root)'}: {error['msg']}"
        for error in exc.errors()[:5]
    ]
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def keys_of(schema: type[BaseModel]) -> list[str]:
    """The top-level keys of a schema's objects, for prompts that must name them."""
    return list(schema.model_fields)
