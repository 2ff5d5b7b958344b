"""Helpers the three chains share: the prompt data block and evidence phrasing."""

from __future__ import annotations

import itertools
import json
import re
import zlib
from datetime import date
from typing import Any, NamedTuple

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
from coach.quality import check_comments

_CLAUSE = re.compile(r"[,,。;;!!??]")


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


# Where a long clause may be cut without breaking a phrase: before a joined second part.
_PHRASE_JOIN = re.compile(r"(?:并且|并|以及|及|同时|而且|然后)")


def short(text: str, limit: int = 20) -> str:
    """The first clause of a text, verbatim, so a quote of it stays a substring.

    A clause longer than `limit` is cut before the part joined by 并/及/同时… (the last such
    join within the limit, else the first after it), never mid-phrase; one with no such join
    is kept whole.
    """
    first = _CLAUSE.split(text.strip(), maxsplit=1)[0].strip() or text.strip()
    if len(first) <= limit:
        return first
    joins = [m.start() for m in _PHRASE_JOIN.finditer(first) if m.start() >= 4]
    within = [j for j in joins if j <= limit]
    cut = within[-1] if within else joins[0] if joins else len(first)
    return first[:cut]


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


# --- the strongest evidence --------------------------------------------------------------

# A manager's words that report a shortfall rather than something done well: the clause
# before the advice decides, since most specific feedback ends with a suggestion either way.
_SHORTFALL = re.compile(
    r"但|却|偏高|偏低|延期|错乱|退回|多了|没在|没有|未按|未及时|不及时|缺少|下滑|下降|超时|投诉增加"
    r"|\b(?:but|late|missed|delayed|dropped|failed)\b",
    re.IGNORECASE,
)
_ADVICE_START = re.compile(r"下次|下个|下季度|下月|今后|以后|建议|请|希望|please|next time", re.I)


class ManagerFeedback(NamedTuple):
    """A check-in's specific manager feedback, split into what was seen and what was advised."""

    checkin: CheckInRecord
    observation: str
    advice: str
    shortfall: bool


def split_feedback(text: str) -> tuple[str, str]:
    """The observation of a feedback text and the advice after it, each verbatim and bare."""
    sentences = [s for s in re.split("(?<=[\u3002.!?\uff01\uff1f])", text.strip()) if s.strip()]
    seen: list[str] = []
    advice: list[str] = []
    for sentence in sentences:
        (advice if advice or _ADVICE_START.match(sentence.strip()) else seen).append(sentence)
    return bare("".join(seen)), bare("".join(advice))


def specific_feedback(checkins: list[CheckInRecord], lang: str) -> list[ManagerFeedback]:
    """Check-ins (newest first) whose manager feedback the vague check finds specific."""
    written = [c for c in checkins if c.manager_feedback.strip()]
    checks = check_comments([c.manager_feedback for c in written], lang)
    found = []
    for checkin, check in zip(written, checks, strict=True):
        if check.vague:
            continue
        observation, advice = split_feedback(checkin.manager_feedback)
        if observation:
            found.append(
                ManagerFeedback(checkin, observation, advice, bool(_SHORTFALL.search(observation)))
            )
    return found


# "我来协调排班", "我会帮你申请": what the manager took on in the conversation.
_PROMISE = re.compile(
    r"(?:我来|我会|我去|我帮你|我帮忙|由我|我负责|I(?:'ll| will))\s*([^,\uff0c\u3002;\uff1b!?\uff01\uff1f.]{2,24})"
)


class Commitment(NamedTuple):
    """Something the manager took on in a check-in, and the later record that shows it done."""

    checkin: CheckInRecord
    text: str
    task: str
    kept_in: CheckInRecord | None
    later: int


def commitments(checkins: list[CheckInRecord]) -> list[Commitment]:
    """Promises in the manager's words of each check-in (newest first), each checked once."""
    found: list[Commitment] = []
    seen: set[str] = set()
    for n, checkin in enumerate(checkins):
        for match in _PROMISE.finditer(checkin.manager_feedback):
            task = match.group(1).strip()
            if task in seen:
                continue
            seen.add(task)
            later = checkins[:n]
            kept = next((c for c in reversed(later) if task in _follow_up_text(c)), None)
            found.append(Commitment(checkin, match.group(0).strip(), task, kept, len(later)))
    return found


def _follow_up_text(checkin: CheckInRecord) -> str:
    return "\n".join((checkin.progress, checkin.manager_feedback, checkin.employee_comment))


class Gap(NamedTuple):
    """The longest stretch without a check-in, and the check-in it started after."""

    days: int
    since: CheckInRecord
    until: CheckInRecord | None


def longest_gap(checkins: list[CheckInRecord], as_of: date) -> Gap | None:
    """The longest gap between check-ins (newest first), or since the last one, in days."""
    if not checkins:
        return None
    gaps = [Gap((as_of - checkins[0].date).days, checkins[0], None)]
    gaps += [
        Gap((newer.date - older.date).days, older, newer)
        for newer, older in itertools.pairwise(checkins)
    ]
    return max(gaps, key=lambda g: (g.days, g.since.date))


# --- Chinese text ------------------------------------------------------------------------

_FULL_WIDTH = {",": "\uff0c", ":": "\uff1a", ";": "\uff1b", "(": "\uff08", ")": "\uff09",
               "!": "\uff01", "?": "\uff1f"}  # fmt: skip
# Quoted record words stay verbatim: the grounding check finds a quote by its exact text.
_QUOTE = re.compile("(\u300c[^\u300d]*\u300d|\u201c[^\u201d]*\u201d)")


def zh_punct(text: str) -> str:
    """Chinese text with full-width punctuation outside quotes; 1:1 and 1,000 keep theirs."""
    parts = _QUOTE.split(text)
    return "".join(part if n % 2 else _full_width(part) for n, part in enumerate(parts))


def _full_width(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        between_digits = 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        keep = ch in ",:" and between_digits
        out.append(ch if keep else _FULL_WIDTH.get(ch, ch))
    return "".join(out)


def variant(*key: str, count: int) -> int:
    """A stable choice among `count` sentence plans for one person, slot and record."""
    return zlib.crc32("|".join(key).encode()) % count
