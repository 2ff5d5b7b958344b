"""Helpers the three chains share: the prompt data block and evidence phrasing."""

from __future__ import annotations

import json
import re
from typing import Any

from coach.chains.facts import difference, kr_pace, level
from coach.chains.privacy import Pseudonymizer
from coach.chains.records import (
    CheckInRecord,
    Directory,
    EventRecord,
    KeyResultRecord,
    Lang,
    Snapshot,
)

_CLAUSE = re.compile(r"[,,。;;!!??]")
_PHRASE_END = re.compile(r"\s|[并和及、]")


def json_block(value: Any) -> str:
    """JSON for a delimited data block; `<` and `>` are escaped so data cannot close the block."""
    text = json.dumps(value, ensure_ascii=False, indent=1, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def prompt_data(snapshot: Snapshot) -> dict[str, Any]:
    """The records as the LLM sees them (before masking)."""
    return snapshot.model_dump(mode="json", exclude={"flagged_ids", "draft_kind", "practices"})


def pseudonymizer_for(snapshot: Snapshot, directory: Directory) -> Pseudonymizer:
    """The mask for one call: the names and ids the records hold, and the record ids."""
    record_ids = [i for i, r in snapshot.records().items() if r.kind != "practice"]
    return Pseudonymizer(directory.people, record_ids)


_END_PUNCT = re.compile(r"[。.!!??]+$")


def bare(text: str) -> str:
    """A text without surrounding space and closing punctuation, for quoting inside a sentence."""
    return _END_PUNCT.sub("", text.strip())


def short(text: str, limit: int = 40) -> str:
    """The first clause of a text, verbatim, so a quote of it stays a substring.

    A clause longer than `limit` is cut where a phrase ends (before 并 / 和 / 及 / 、 or a
    space), never inside a phrase, so a title built from it reads whole.
    """
    first = _CLAUSE.split(text.strip(), maxsplit=1)[0].strip() or text.strip()
    if len(first) <= limit:
        return first
    cuts = [m.start() for m in _PHRASE_END.finditer(first, 4, limit + 1)]
    return first[: cuts[-1]].rstrip() if cuts else first


def kr_fields(kr: KeyResultRecord, lang: Lang = "zh") -> dict[str, Any]:
    """Template fields of a key result: values as records show them, counts as whole numbers.

    `gap` is the distance to the target with its unit, in percentage points for percentages;
    `ahead` whether progress is past the share of the cycle elapsed (a key result done on
    its last day is not); `behind_points` how far it trails that share (negative: ahead).
    """
    return {
        "title": kr.title,
        "goal_title": kr.goal_title,
        "current": level(kr.current, kr.unit),
        "target": level(kr.target, kr.unit),
        "gap": difference(kr.target, kr.current, kr.unit, lang),
        "ahead": kr_pace(kr).behind_points < 0,
        "behind_points": kr_pace(kr).behind_points,
        "unit": kr.unit,
        "progress_pct": str(kr.progress_pct),
        "expected_pct": str(kr.expected_pct),
        "due_date": kr.due_date.isoformat() if kr.due_date else "",
        "update_date": kr.updates[-1].date.isoformat() if kr.updates else "",
    }


def event_fields(event: EventRecord) -> dict[str, Any]:
    """Template fields of a key event."""
    return {
        "date": event.date.isoformat(),
        "description": event.description.rstrip("。."),
        "impact": event.impact.rstrip("。.") or event.description.rstrip("。."),
        "short": short(event.description),
        "author": event.author_name or "",
        "relation": event.author_relation,
    }


def recurring(checkins: list[CheckInRecord], field: str) -> list[tuple[str, list[CheckInRecord]]]:
    """Non-empty values of a check-in field with the check-ins (newest first) that state them."""
    groups: dict[str, list[CheckInRecord]] = {}
    for checkin in checkins:
        value = getattr(checkin, field).strip()
        if value:
            groups.setdefault(value, []).append(checkin)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), -kv[1][0].date.toordinal()))


TRAINING_WISH = re.compile(r"培训|学习|提升|辅导|带教|training|course|mentor|learn", re.IGNORECASE)
