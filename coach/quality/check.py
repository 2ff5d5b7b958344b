"""The vague-comment check: rules find the spans and the evidence, the classifier weighs the rest.

The verdict rests on what the comment identifies outside its stock phrases: a concrete act on a
particular object, or a checkable result. A date or an occasion word beside "表现非常出色" does
not make it specific; a short report of what someone did does, number or not. Only comments
that neither rule settles go to the classifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coach.quality.advice import advise
from coach.quality.classifier import Model, default_model
from coach.quality.features import (
    Signals,
    detect_lang,
    feature_matrix,
    feature_vector,
    ngrams,
    signals,
)
from coach.quality.lexicon import NEGATIVE_CUE
from coach.quality.models import (
    NOTE_CATEGORIES,
    VAGUE_CATEGORIES,
    WARNING_CATEGORIES,
    CommentCheck,
    Elements,
    Finding,
    Severity,
)
from coach.quality.script import to_simplified
from coach.quality.spans import Span, find_spans

THRESHOLD = 0.5
_JOINERS = frozenset(" ,,、和与且又;;")
_CLOSING = " \t\n。.!!??？…~～)）\"”'’」』"


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the rules know about one comment before the classifier runs."""

    text: str
    spans: list[Span]
    signals: Signals
    grams: list[str]
    features: list[float]


def analyse(text: str) -> Analysis:
    """Find spans and signals of one comment; shared by training and checking."""
    # One for one, so offsets on the folded text are offsets on what the writer typed.
    folded = to_simplified(text)
    spans = find_spans(folded)
    vague = [(s.start, s.end) for s in spans if s.category in VAGUE_CATEGORIES]
    # A sarcastic praise word or a remark on a protected attribute is no evidence of what the
    # person did, nor vagueness of its own: the rest of the comment decides.
    warned = [(s.start, s.end) for s in spans if s.category in WARNING_CATEGORIES]
    labels = sum(s.category == "personality_label" for s in spans)
    scores = sum(s.category == "score_without_evidence" for s in spans)
    sig = signals(folded, vague, labels=labels, scores=scores, hidden=warned)
    return Analysis(text, spans, sig, ngrams(folded), feature_vector(sig))


def _merge(text: str, spans: list[Span]) -> list[Span]:
    """Join neighbouring spans of one category ("认真负责,踏实肯干") into one finding."""
    merged: list[Span] = []
    for span in spans:
        prev = next((m for m in reversed(merged) if m.category == span.category), None)
        gap = text[prev.end : span.start] if prev else ""
        if (
            prev is not None
            and span.category in VAGUE_CATEGORIES
            and prev.end <= span.start
            and len(gap) <= 2
            and all(c in _JOINERS for c in gap)
            and merged[-1] is prev
        ):
            merged[-1] = Span(prev.start, span.end, span.category)
        else:
            merged.append(span)
    return merged


def _fallback_span(text: str) -> Span:
    """Whole-comment finding for a vague comment no pattern pointed at."""
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    category = "vague_criticism" if NEGATIVE_CUE.search(text) else "vague_praise"
    return Span(start, end, category)


def _has(a: Analysis, categories: frozenset[str] | set[str]) -> bool:
    return any(sp.category in categories for sp in a.spans)


def _stock_runs(a: Analysis) -> int:
    return sum(sp.category in VAGUE_CATEGORIES for sp in _merge(a.text, a.spans))


def _decide(a: Analysis, proba: float) -> tuple[bool, float]:
    """Settle what the rules can; the classifier decides only the comments left over."""
    s = a.signals
    if not s.content or _has(a, {"empty_template"}):
        return True, min(proba, 0.02)
    if s.labels and not s.behavior:
        # A personality label without an observed action is vague however it is phrased.
        return True, min(proba, 0.3)
    identified = s.acts > 0 or s.results > 0 or s.objects > 0
    if not identified and _has(a, {"possible_bias"}):
        # "别让她牵头" after a remark on her leave is the remark acted on, not a next step.
        return True, min(proba, 0.2)
    if not identified and (s.vague_spans or _has(a, WARNING_CATEGORIES)) and not s.suggestion:
        # Stock phrases, pseudo-specific wording or a bare rating, and nothing outside them that
        # names an act or a result: a date or an occasion word does not overrule them.
        return True, min(proba, 0.2)
    if (s.objects > 0 or (s.results > 0 and not s.vague_spans)) and not _has(a, {"possible_bias"}):
        # Praise on a particular named thing says what the praise is for; a measured result
        # with no stock phrase around it is a fact the reader can check, sarcastic or not.
        return False, max(proba, 0.7)
    # More reported acts than runs of stock phrases ("非常棒,值得表扬" is one run): a report of
    # what happened with some praise in it.
    if (s.acts > 0 or s.suggestion) and (not s.vague_spans or s.acts + s.results > _stock_runs(a)):
        return False, max(proba, 0.8)
    return proba < THRESHOLD, proba


def _severity(category: str) -> Severity:
    if category in WARNING_CATEGORIES:
        return "warning"
    if category in NOTE_CATEGORIES:
        return "note"
    return "problem"


def _finding(text: str, span: Span, lang: str) -> Finding:
    advice = advise(text, span.start, span.end, span.category, lang)
    return Finding(
        start=span.start,
        end=span.end,
        text=text[span.start : span.end],
        category=span.category,
        message=advice.message,
        hint=advice.hint,
        severity=_severity(span.category),
    )


def _next_step_span(text: str) -> Span:
    """The comment's last character (before closing punctuation): the note is about what follows."""
    end = len(text.rstrip(_CLOSING))
    if end == 0:
        end = len(text.rstrip())
    return Span(end - 1, end, "next_step")


def _spans_to_report(a: Analysis, vague: bool) -> list[Span]:
    spans = _merge(a.text, a.spans)
    # A protected-attribute warning says more than a generic "describe the behaviour" finding.
    reported = VAGUE_CATEGORIES | WARNING_CATEGORIES
    if vague and not any(s.category in reported for s in spans) and a.text.strip():
        spans = sorted([*spans, _fallback_span(a.text)], key=lambda s: (s.start, s.end))
    if not vague and not a.signals.suggestion and a.text.strip():
        spans = sorted([*spans, _next_step_span(a.text)], key=lambda s: (s.start, s.end))
    return spans


def _resolve_lang(text: str, lang: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    return detect_lang(text)


def check_comments(
    texts: Sequence[str], lang: str | None = None, *, model: Model | None = None
) -> list[CommentCheck]:
    """Check many comments at once (same order); the classifier runs once over the batch."""
    analyses = [analyse(t) for t in texts]
    if not analyses:
        return []
    model = model or default_model()
    features = feature_matrix([a.features for a in analyses])
    probas = model.predict_proba([a.grams for a in analyses], features)
    results: list[CommentCheck] = []
    for a, p in zip(analyses, np.clip(probas, 0.0, 1.0), strict=True):
        vague, score = _decide(a, float(p))
        spans = _spans_to_report(a, vague)
        text_lang = _resolve_lang(a.text, lang)
        s = a.signals
        results.append(
            CommentCheck(
                vague=vague,
                score=round(score, 4),
                elements=Elements(
                    behavior=s.behavior,
                    situation=s.situation,
                    impact=s.impact,
                    suggestion=s.suggestion,
                ),
                findings=[_finding(a.text, sp, text_lang) for sp in spans],
                lang=text_lang,  # type: ignore[arg-type]
            )
        )
    return results


def check_comment(text: str, lang: str | None = None) -> CommentCheck:
    """Check one comment for vague wording and say what to add."""
    return check_comments([text], lang)[0]
