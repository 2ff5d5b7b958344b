"""Pseudonymisation of prompts and restoration of answers.

Before a prompt leaves the process, people's names and employee ids (from the employee
table), record ids (they embed employee ids), phone numbers, e-mail addresses and ID-card
numbers are replaced by placeholders such as `[P1]`, `[E1]`, `REC1`, `[PHONE1]`. The
answer is restored with the same mapping; a placeholder the model made up is left as it
is and fails the grounding check. Chains mask every prompt whichever engine answers: the
offline engine ignores the prompt, so masking costs nothing there and cannot be forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

PLACEHOLDER = re.compile(r"\[(?:P|E|PHONE|EMAIL|IDNO)\d+\]|(?<![A-Za-z0-9])REC\d+(?![0-9])")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("IDNO", re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")),
    ("PHONE", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")),
    ("PHONE", re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")),
)


def _longest_first(text: str) -> tuple[int, str]:
    return -len(text), text


class Pseudonymizer:
    """A reversible mapping from identifying strings to placeholders, for one call."""

    def __init__(self, people: Mapping[str, str], record_ids: Iterable[str] = ()) -> None:
        self._forward: dict[str, str] = {}
        self._back: dict[str, str] = {}
        # Record ids first: they contain employee ids (`C-E012-202611`).
        for n, record_id in enumerate(sorted(set(record_ids)), start=1):
            self._add(record_id, f"REC{n}")
        # Longest first, then by value: the same people get the same placeholders in every process.
        names = sorted({name for name in people.values() if len(name) >= 2}, key=_longest_first)
        for n, name in enumerate(names, start=1):
            self._add(name, f"[P{n}]")
        ids = sorted((i for i in people if i not in self._forward), key=_longest_first)
        for n, employee_id in enumerate(ids, start=1):
            self._add(employee_id, f"[E{n}]")
        self._literal = self._compile(list(self._forward))
        self._counts: dict[str, int] = {}

    def _add(self, real: str, placeholder: str) -> None:
        if real and real not in self._forward:
            self._forward[real] = placeholder
            self._back[placeholder] = real

    @staticmethod
    def _compile(literals: list[str]) -> re.Pattern[str] | None:
        if not literals:
            return None
        parts = []
        for literal in sorted(literals, key=len, reverse=True):
            escaped = re.escape(literal)
            # Ids must not match inside a longer token (E01 inside E012); names may.
            if literal.isascii():
                escaped = rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
            parts.append(escaped)
        return re.compile("|".join(parts))

    def _pattern_placeholder(self, kind: str, real: str) -> str:
        existing = self._forward.get(real)
        if existing is not None:
            return existing
        self._counts[kind] = self._counts.get(kind, 0) + 1
        placeholder = f"[{kind}{self._counts[kind]}]"
        self._add(real, placeholder)
        return placeholder

    def _replacer(self, kind: str) -> Callable[[re.Match[str]], str]:
        return lambda match: self._pattern_placeholder(kind, match.group(0))

    def mask(self, text: str) -> str:
        """Text with every identifying string replaced by its placeholder."""
        for kind, pattern in _PATTERNS:
            text = pattern.sub(self._replacer(kind), text)
        if self._literal is not None:
            text = self._literal.sub(lambda m: self._forward[m.group(0)], text)
        return text

    def mask_value(self, value: Any) -> Any:
        """Mask every string inside nested dicts and lists (keys are left alone)."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, list):
            return [self.mask_value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.mask_value(v) for k, v in value.items()}
        return value

    def unmask(self, text: str) -> str:
        """Text with known placeholders restored; unknown ones stay visible."""
        return PLACEHOLDER.sub(lambda m: self._back.get(m.group(0), m.group(0)), text)

    def unmask_value(self, value: Any) -> Any:
        """Restore every string inside nested dicts and lists."""
        if isinstance(value, str):
            return self.unmask(value)
        if isinstance(value, list):
            return [self.unmask_value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.unmask_value(v) for k, v in value.items()}
        return value

    def unmask_model(self, model: M) -> M:
        """A copy of a model with every string field restored."""
        return type(model).model_validate(self.unmask_value(model.model_dump(mode="json")))

    @property
    def mapping(self) -> dict[str, str]:
        """placeholder -> real value (for tests and audits; never sent anywhere)."""
        return dict(self._back)
