"""Span detection: where in the comment each kind of problem sits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.quality.features import has_content
from coach.quality.lexicon import PATTERNS, SARCASM_FACTS, TEMPLATE_PATTERN, TEMPLATE_TEXTS

_HAS_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HAS_LATIN = re.compile(r"[A-Za-z]")
_NOT_WORD = re.compile(r"[^\w\u3400-\u9fff]+")
_SEPARATORS = re.compile(r"[\s,,/、;;.。!!?？~]+")
_TEMPLATES = frozenset(_NOT_WORD.sub("", t.lower()) for t in TEMPLATE_TEXTS)
# Absolute words and bias remarks are reported on their own; they may overlap a vague span.
_INDEPENDENT = frozenset({"absolute_language", "possible_bias"})


@dataclass(frozen=True, slots=True)
class Span:
    """A categorised character range of the original text."""

    start: int
    end: int
    category: str


def _norm(chunk: str) -> str:
    return _NOT_WORD.sub("", chunk.lower())


def is_template(text: str) -> bool:
    """Tell whether the whole comment is a stock non-answer ("同意", "无", "OK", "/", emoji only)."""
    if not has_content(text):
        return True
    if _norm(text) in _TEMPLATES or TEMPLATE_PATTERN.fullmatch(_norm(text)):
        return True
    chunks = [c for c in _SEPARATORS.split(text) if _norm(c)]
    return bool(chunks) and all(
        _norm(c) in _TEMPLATES or TEMPLATE_PATTERN.fullmatch(_norm(c)) for c in chunks
    )


def _strip_bounds(text: str) -> tuple[int, int]:
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_spans(text: str) -> list[Span]:
    """Find every flagged span; vague spans never overlap each other (earlier pattern wins)."""
    if is_template(text):
        start, end = _strip_bounds(text)
        return [Span(start, end, "empty_template")] if end > start else []
    taken: list[tuple[int, int]] = []
    spans: list[Span] = []
    # Running only the script's own patterns halves the cost on single-language comments.
    cjk, latin = _HAS_CJK.search(text) is not None, _HAS_LATIN.search(text) is not None
    for category, (zh_pattern, en_pattern) in PATTERNS.items():
        matches: list[re.Match[str]] = []
        if cjk or category == "score_without_evidence":
            matches += zh_pattern.finditer(text)
        if latin and category != "score_without_evidence":
            matches += en_pattern.finditer(text)
        for m in sorted(matches, key=lambda m: m.start()):
            start, end = m.span()
            # Trim whitespace the optional regex parts may have swallowed.
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end <= start:
                continue
            if category == "sarcasm" and not SARCASM_FACTS.search(text[:start] + " " + text[end:]):
                # Quoted praise without facts that contradict it is praise, not irony.
                continue
            if category not in _INDEPENDENT:
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
            spans.append(Span(start, end, category))
    spans.sort(key=lambda s: (s.start, s.end))
    return spans
