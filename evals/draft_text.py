"""How coaching drafts read: sentences, repetition, use of the manager's feedback, audience.

Pure functions over draft outputs (plain dicts), written from the draft schemas and the
record formats, not from the composers: the measures stay the same whatever composes the
text. `evals/companies.py` runs them on whole companies.

- A draft's *strings* are every text value in its output except ids, dates and enum-like
  values (keys named ``id``/``*_id``/``*_ids``, practice titles, a development suggestion's
  ``gap``, which names a review dimension or a kind of record, and ``quality_flags`` unless
  asked for); a *sentence* is a piece of a string ending at a Chinese sentence end
  (。!?!?), an English one (. ! ? followed by a space) or a line break, keeping only pieces
  with some content (at least 4 CJK characters or 3 Latin words).
- *Repetition*: a sentence is repeated when the very same sentence appears in the drafts of
  at least 3 different people; the share counts occurrences.
- *Evidence use*: a feedback item uses a check-in's manager comment when it cites the
  check-in's id or shares a run of at least 8 characters with the comment (punctuation and
  spaces ignored).
- *Audience*: a sentence is manager preparation when it tells the reader how to run or
  prepare the conversation (建议面谈时…, 面谈前核对…), asks the reader to act on the employee
  in the third person (请他/请她…, ask him to…), or addresses the manager (您, 作为经理).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MIN_REPEATED_PEOPLE = 3
MIN_SHARED_CHARS = 8
_SKIPPED_KEYS = {"quality_flags", "practice_title", "gap"}
_SENTENCE_END = re.compile(r"(?<=[。!?!?])|(?<=[.!?])\s+|\n+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _skipped(key: str, *, flags: bool) -> bool:
    if key == "quality_flags":
        return not flags
    return key in _SKIPPED_KEYS or key == "id" or key.endswith(("_id", "_ids"))


def draft_strings(output: Any, *, flags: bool = False, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every text value of a draft output, ids and enum-like keys left out."""
    if isinstance(output, Mapping):
        for key, value in output.items():
            if not _skipped(str(key), flags=flags):
                yield from draft_strings(value, flags=flags, path=f"{path}{key}.")
    elif isinstance(output, list):
        for n, value in enumerate(output):
            yield from draft_strings(value, flags=flags, path=f"{path}{n}.")
    elif isinstance(output, str):
        yield path.rstrip("."), output


def has_content(sentence: str) -> bool:
    """Whether a piece of text says something: 4 CJK characters or 3 Latin words."""
    return len(_CJK.findall(sentence)) >= 4 or len(_LATIN_WORD.findall(sentence)) >= 3


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, split at Chinese and English sentence ends and line breaks."""
    pieces = (piece.strip() for piece in _SENTENCE_END.split(text))
    return [piece for piece in pieces if piece and has_content(piece)]


def draft_sentences(output: Any, *, flags: bool = False) -> list[str]:
    """Every sentence of a draft output, in order."""
    return [s for _, text in draft_strings(output, flags=flags) for s in split_sentences(text)]


# --- repetition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """A count out of a total."""

    hits: int
    total: int

    @property
    def share(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass(frozen=True)
class DraftText:
    """One draft's sentences with whose draft and which kind it is."""

    person: str
    kind: str
    sentences: Sequence[str]


def repetition(
    drafts: Iterable[DraftText], *, min_people: int = MIN_REPEATED_PEOPLE
) -> dict[str, Share]:
    """Per kind and over all ("all"): sentences that recur verbatim for >= min_people people."""
    drafts = list(drafts)
    people: dict[str, set[str]] = defaultdict(set)
    for draft in drafts:
        for sentence in draft.sentences:
            people[sentence].add(draft.person)
    repeated = {s for s, who in people.items() if len(who) >= min_people}
    hits: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for draft in drafts:
        for key in ("all", draft.kind):
            totals[key] += len(draft.sentences)
            hits[key] += sum(s in repeated for s in draft.sentences)
    return {key: Share(hits[key], totals[key]) for key in totals}


def most_repeated(drafts: Iterable[DraftText], n: int = 3) -> list[tuple[int, str]]:
    """The n sentences shared by the most people, with how many people share each."""
    people: dict[str, set[str]] = defaultdict(set)
    for draft in drafts:
        for sentence in draft.sentences:
            people[sentence].add(draft.person)
    ranked = sorted(((len(who), s) for s, who in people.items()), key=lambda p: (-p[0], p[1]))
    return [(count, s) for count, s in ranked[:n] if count >= MIN_REPEATED_PEOPLE]


# --- evidence use -------------------------------------------------------------------------


def _normalised(text: str) -> str:
    kept = (c for c in text.lower() if not unicodedata.category(c).startswith(("P", "S", "Z")))
    return "".join(kept)


def longest_shared_run(a: str, b: str) -> int:
    """Length of the longest run of characters two texts share (punctuation and spaces ignored)."""
    a, b = _normalised(a), _normalised(b)
    best = 0
    previous = [0] * (len(b) + 1)
    for ca in a:
        current = [0] * (len(b) + 1)
        for j, cb in enumerate(b, start=1):
            if ca == cb:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


@dataclass(frozen=True)
class ManagerComment:
    """A check-in's manager comment: the check-in's id and the comment's text."""

    checkin_id: str
    text: str


_ITEM_LISTS = ("strengths", "improvements")


def feedback_items(output: Any) -> list[Mapping[str, Any]]:
    """The strengths and improvements of a feedback draft, wherever in the output they sit."""
    # A draft split into parts (for the employee, for the manager) may nest its lists.
    if isinstance(output, list):
        return [item for value in output for item in feedback_items(value)]
    if not isinstance(output, Mapping):
        return []
    items: list[Mapping[str, Any]] = []
    for key, value in output.items():
        if key in _ITEM_LISTS and isinstance(value, list):
            items += [item for item in value if isinstance(item, Mapping)]
        else:
            items += feedback_items(value)
    return items


def _cited_ids(item: Mapping[str, Any]) -> set[str]:
    return {
        str(i) for key, ids in item.items() if key.endswith("evidence_ids") and isinstance(ids, list)
        for i in ids
    }  # fmt: skip


def item_uses(
    item: Mapping[str, Any], comment: ManagerComment, *, by_text_only: bool = False
) -> bool:
    """Whether a feedback item rests on a manager comment: cites its check-in or quotes it."""
    if not by_text_only and comment.checkin_id in _cited_ids(item):
        return True
    text = " ".join(t for _, t in draft_strings(item))
    return longest_shared_run(text, comment.text) >= MIN_SHARED_CHARS


def uses_manager_feedback(
    output: Mapping[str, Any], comments: Sequence[ManagerComment], *, by_text_only: bool = False
) -> bool:
    """Whether any strength or improvement rests on any of the manager's specific comments."""
    return any(
        item_uses(item, comment, by_text_only=by_text_only)
        for item in feedback_items(output)
        for comment in comments
    )


# --- audience -----------------------------------------------------------------------------

_THIRD = r"(?:他|她|TA|ta|对方|该员工|这位同事)(?![人们])"
_MEETING = r"(?:面谈|谈话|1[::]1|一对一|1对1|绩效沟通|反馈沟通)"
_PREPARATION_ZH = [
    # how to run the conversation: 建议面谈时…, 可先在面谈开始时…
    re.compile(
        rf"(?:建议|可先|不妨|宜)[^。!?!?]{{0,8}}{_MEETING}(?:时|前|之前|开场|开始|的时候|一开始)"
    ),
    re.compile(
        rf"{_MEETING}(?:时|前|之前|开场|开始时|的时候)[,,、]?[^。!?!?]{{0,4}}(?:建议|不妨|宜|核对|核实|准备)"
    ),
    # what to verify before speaking
    re.compile(r"核对|核实|查证|(?:确认|检查)[^。!?!?]{0,6}(?:原始)?记录"),
    # asking the reader to act on the employee, who is spoken of in the third person
    re.compile(rf"(?:请|让|邀请|鼓励|引导|问问|询问|追问|提醒|肯定|表扬|帮助|帮|支持){_THIRD}"),
    re.compile(rf"(?:和|与|同){_THIRD}一起"),
    # the manager addressed
    re.compile(
        r"您|作为(?:经理|主管|管理者|上级)|(?:经理|主管|上级)(?:可以|应|应该|需要|不妨|宜|要)"
    ),
    re.compile(
        r"建议(?:主管|经理|上级|管理者)|(?:告知|通知|提醒|请|让|帮助|鼓励|邀请|询问)(?:该)?员工"
    ),
]
_HIM = r"(?:him|her|them|the employee|the person)"
_PREPARATION_EN = [
    re.compile(
        r"\b(?:in|during|before|at the start of|to open)\s+(?:the|your|this|next)\s+"
        r"(?:conversation|meeting|1:1|one-on-one|check-in|review)\b",
        re.I,
    ),
    re.compile(r"\b(?:verify|double-check|check)\b[^.]{0,30}\brecords?\b", re.I),
    re.compile(rf"\b(?:ask|invite|encourage|praise|thank|remind|help|tell|let)\s+{_HIM}\b", re.I),
    re.compile(r"\bas (?:a|the|his|her|their) manager\b", re.I),
]


def is_manager_preparation(sentence: str) -> bool:
    """Whether a sentence is written for the manager rather than the employee."""
    patterns = _PREPARATION_ZH if _CJK.search(sentence) else _PREPARATION_EN
    return any(p.search(sentence) for p in patterns)


_THIRD_PERSON_ZH = re.compile(r"[他她](?![人们])|(?<![新老全])员工")
_THIRD_PERSON_EN = re.compile(r"\b(?:he|she|his|him|her|hers)\b", re.I)


def speaks_in_third_person(sentence: str) -> bool:
    """Whether a sentence speaks of someone as 他/她/员工 (he/she): not to the employee as 你."""
    pattern = _THIRD_PERSON_ZH if _CJK.search(sentence) else _THIRD_PERSON_EN
    return bool(pattern.search(sentence))
