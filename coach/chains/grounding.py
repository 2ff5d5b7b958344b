"""Grounding of chain output: every fact an item states must be in the records it cites.

An item may state what its cited records, the person's profile and the calendar say,
nothing else. Checked per item:

- cited ids exist in the snapshot, and id-like tokens in the text do too;
- numbers (via `coach.grounding.ungrounded_numbers`, at the precision shown);
- dates, months, quarters and half-years;
- names of people in the organisation directory;
- organisations and projects: quoted spans, company-like Chinese names, Latin proper names;
- no rating is proposed (ratings are decided by people, never drafted);
- leftover pseudonym placeholders, which mean restoring the answer failed.

The checks are deliberately strict: a false alarm costs one regeneration or a flag that a
manager reads, a missed invention puts a wrong fact in front of an employee.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from coach.chains.privacy import PLACEHOLDER
from coach.chains.records import Directory, Record, Snapshot, fmt_num
from coach.grounding import extract_numbers, ungrounded_numbers


@dataclass(frozen=True)
class Violation:
    """One reason an item is not grounded."""

    path: str
    kind: str
    detail: str

    def message(self) -> str:
        """A line for the regeneration prompt and for quality flags."""
        return f"{self.path}: {self.kind}: {self.detail}"


# --- dates -------------------------------------------------------------------------------

_MONTHS_EN = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}

_FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_CYCLE = re.compile(
    r"(\d{4})\s*([QqHh])\s*([1-4])|(\d{4})\s*年\s*第?\s*([一二三四1-4])\s*季度"
    r"|(\d{4})\s*年\s*(上|下)半年"
)
_YEAR_MONTH = re.compile(r"(\d{4})\s*(?:-|/|年)\s*(\d{1,2})(?!\d)\s*月?")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_MONTH_ONLY = re.compile(r"(?<![\d个])(\d{1,2})\s*月(?!\s*\d)")
_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年")
_EN_DATE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?"
    r"(?:,?\s+(\d{4}))?\b|\b(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    r"(?:\s+(\d{4}))?\b",
    re.IGNORECASE,
)
# "1:1" names a meeting format, not a quantity.
_NOT_QUANTITIES = re.compile(r"1\s*[:：]\s*1|1\s*对\s*1|one-on-one", re.IGNORECASE)


@dataclass
class DateFacts:
    """Calendar references found in a text."""

    full: set[date] = field(default_factory=set)
    months: set[tuple[int, int]] = field(default_factory=set)
    month_days: set[tuple[int, int]] = field(default_factory=set)
    month_nums: set[int] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    cycles: set[str] = field(default_factory=set)

    def add_date(self, day: date) -> None:
        """Record a full date and everything it implies."""
        self.full.add(day)
        self.months.add((day.year, day.month))
        self.month_days.add((day.month, day.day))
        self.month_nums.add(day.month)
        self.years.add(day.year)
        self.cycles.add(f"{day.year}Q{(day.month - 1) // 3 + 1}")
        self.cycles.add(f"{day.year}H{1 if day.month <= 6 else 2}")

    def add_cycle(self, cycle: str) -> None:
        """Record a cycle label such as 2026H1 and its year."""
        self.cycles.add(cycle.upper())
        if cycle[:4].isdigit():
            self.years.add(int(cycle[:4]))


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def scan_dates(text: str) -> tuple[DateFacts, list[str], str]:
    """Dates in text, the ones that are impossible, and the text with all of them blanked."""
    found = DateFacts()
    invalid: list[str] = []

    def blank(match: re.Match[str]) -> str:
        return " " * len(match.group(0))

    def full(match: re.Match[str]) -> str:
        day = _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if day is None:
            invalid.append(match.group(0))
        else:
            found.full.add(day)
        return blank(match)

    def cycle(match: re.Match[str]) -> str:
        if match.group(1):
            found.cycles.add(f"{match.group(1)}{match.group(2).upper()}{match.group(3)}")
        elif match.group(4):
            q = match.group(5)
            found.cycles.add(f"{match.group(4)}Q{_CN_DIGITS.get(q, q)}")
        else:
            found.cycles.add(f"{match.group(6)}H{1 if match.group(7) == '上' else 2}")
        return blank(match)

    def year_month(match: re.Match[str]) -> str:
        month = int(match.group(2))
        if 1 <= month <= 12:
            found.months.add((int(match.group(1)), month))
        else:
            invalid.append(match.group(0))
        return blank(match)

    def month_day(match: re.Match[str]) -> str:
        found.month_days.add((int(match.group(1)), int(match.group(2))))
        return blank(match)

    def month_only(match: re.Match[str]) -> str:
        found.month_nums.add(int(match.group(1)))
        return blank(match)

    def year(match: re.Match[str]) -> str:
        found.years.add(int(match.group(1)))
        return blank(match)

    def english(match: re.Match[str]) -> str:
        if match.group(1):
            month, day, yr = _MONTHS_EN[match.group(1).lower()], int(match.group(2)), match.group(3)
        else:
            month, day, yr = _MONTHS_EN[match.group(5).lower()], int(match.group(4)), match.group(6)
        if yr:
            parsed = _safe_date(int(yr), month, day)
            if parsed is None:
                invalid.append(match.group(0))
            else:
                found.full.add(parsed)
        else:
            found.month_days.add((month, day))
        return blank(match)

    text = _FULL_DATE.sub(full, text)
    text = _CYCLE.sub(cycle, text)
    text = _YEAR_MONTH.sub(year_month, text)
    text = _MONTH_DAY.sub(month_day, text)
    text = _EN_DATE.sub(english, text)
    text = _YEAR.sub(year, text)
    text = _MONTH_ONLY.sub(month_only, text)
    return found, invalid, text


# --- people, organisations, ids ----------------------------------------------------------

_ID_LIKE = re.compile(r"(?<![A-Za-z0-9_])[A-Z]{1,4}[-:][A-Za-z0-9][A-Za-z0-9:-]*(?<![-:])")
_QUOTED = re.compile(r"[“\"「『《]([^”\"」』》]{2,80})[”\"」』》]")
_ORG_SUFFIX = re.compile(r"(公司|集团|科技|物流|食品|教育|银行|医院|大学|超市|商场|中心)")
_LATIN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9+#&.]*[A-Za-z0-9+#]|(?<![A-Za-z0-9])[A-Z]")
_LATIN_OK = {
    "kr", "krs", "okr", "okrs", "kpi", "kpis", "sbi", "grow", "hr", "idp", "pip", "sop", "aar",
    "csat", "crm", "it", "qa", "ai", "app", "1:1", "i",
}  # fmt: skip
_GENERIC_ORG = {"客服中心", "服务中心", "培训中心", "数据中心", "研发中心", "运营中心", "测试中心"}
_RATING = re.compile(
    r"满分|打\s*\d+(?:\.\d+)?\s*分|(?:评|给|打)[为成予]?\s*(?:最高|[SA]\s*级|优秀等级)|[SA]\+?\s*级评价"
    r"|full\s+marks|top\s+rating|perfect\s+score|highest\s+rating|rating\s+of\s+\d",
    re.IGNORECASE,
)

_WHITESPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WHITESPACE.sub("", text).lower()


def record_text(record: Record) -> str:
    """All values of a record as one text, numbers in the form records show them."""
    parts: list[str] = []
    for value in record.model_dump(mode="json").values():
        if isinstance(value, list):
            for entry in value:
                parts.extend(
                    str(v) for v in (entry.values() if isinstance(entry, dict) else [entry])
                )
        elif isinstance(value, float):
            parts.append(fmt_num(value))
        elif value is not None:
            parts.append(str(value))
    return "\n".join(parts)


@dataclass
class Facts:
    """What a set of records allows an item to state."""

    text: str
    squashed: str
    numbers: list[float]
    dates: DateFacts
    names: set[str]


class Grounder:
    """Checks chain output against one snapshot."""

    def __init__(self, snapshot: Snapshot, directory: Directory) -> None:
        self.snapshot = snapshot
        self.records = snapshot.records()
        self.directory = directory
        self.people = directory.index()
        self._cache: dict[tuple[str, ...], Facts] = {}

    def _strip_ids(self, text: str) -> str:
        """Text with known record and employee ids blanked, so their digits are not facts."""

        def blank(match: re.Match[str]) -> str:
            token = match.group(0)
            return " " * len(token) if self._known_id(token) else token

        text = _ID_LIKE.sub(blank, text)
        spans = list(self.people.id_spans(text))
        for start, end in spans:
            text = text[:start] + " " * (end - start) + text[end:]
        return text

    def _known_id(self, token: str) -> bool:
        return token in self.records or self.people.has_id(token)

    def _facts(self, ids: Sequence[str], extra: Iterable[str] = ()) -> Facts:
        key = (*sorted(set(ids)), "|", *extra)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        snap = self.snapshot
        chosen = [
            self.records[i] for i in dict.fromkeys([snap.profile.id, *ids]) if i in self.records
        ]
        texts = [record_text(r) for r in chosen]
        texts.extend(extra)
        base = [snap.as_of.isoformat(), snap.cycle or "", snap.review_cycle or ""]
        base.extend(d.isoformat() for d in snap.calendar.due_dates())
        text = "\n".join([*texts, *base])
        dates, _, stripped = scan_dates(self._strip_ids(text))
        for found in list(dates.full):
            dates.add_date(found)
        for y, m in list(dates.months):
            dates.years.add(y)
            dates.month_nums.add(m)
        for md in list(dates.month_days):
            dates.month_nums.add(md[0])
        for label in (snap.cycle, snap.review_cycle):
            if label:
                dates.add_cycle(label)
        for record in chosen:
            cycle = getattr(record, "cycle", None)
            if cycle:
                dates.add_cycle(cycle)
        numbers = extract_numbers(_NOT_QUANTITIES.sub(" ", stripped))
        for record in chosen:
            for value in record.model_dump().values():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    numbers.append(float(value))
        names = self.people.names_in(text)
        facts = Facts(text=text, squashed=_squash(text), numbers=numbers, dates=dates, names=names)
        self._cache[key] = facts
        return facts

    def check(
        self,
        path: str,
        texts: Sequence[str],
        evidence_ids: Sequence[str],
        *,
        extra_allowed: Iterable[str] = (),
    ) -> list[Violation]:
        """Violations of one item: its texts against the records it cites."""
        problems: list[Violation] = []
        if not evidence_ids:
            problems.append(Violation(path, "no_evidence", "the item cites no record"))
        for cited in evidence_ids:
            if cited not in self.records or self.records[cited].kind == "practice":
                problems.append(
                    Violation(path, "unknown_id", f"cited id {cited!r} is not a record in the data")
                )
        valid_ids = [i for i in evidence_ids if i in self.records]
        facts = self._facts(valid_ids, tuple(extra_allowed))
        for text in texts:
            problems.extend(self._check_text(path, text, facts, valid_ids))
        return problems

    def _check_text(
        self, path: str, text: str, facts: Facts, cited: Sequence[str]
    ) -> list[Violation]:
        problems: list[Violation] = []
        for token in PLACEHOLDER.findall(text):
            problems.append(Violation(path, "placeholder", f"{token!r} is not a known placeholder"))
        for token in _ID_LIKE.findall(text):
            if not self._known_id(token):
                problems.append(
                    Violation(path, "unknown_id", f"{token!r} is not a record id in the data")
                )
        allowed_people = {self.snapshot.profile.id, *cited}
        mentioned = {text[start:end] for start, end in self.people.id_spans(text)}
        for employee_id in sorted(mentioned):
            if employee_id not in allowed_people and employee_id not in facts.text:
                problems.append(
                    Violation(
                        path, "person", f"employee id {employee_id!r} is not in the cited records"
                    )
                )
        if _RATING.search(text):
            problems.append(Violation(path, "rating", "drafts must not propose a rating or score"))
        clean = self._strip_ids(text)
        dates, invalid, rest = scan_dates(clean)
        problems.extend(Violation(path, "date", f"{d!r} is not a valid date") for d in invalid)
        allowed = facts.dates
        for day in sorted(dates.full - allowed.full):
            problems.append(
                Violation(path, "date", f"{day.isoformat()} is not in the cited records")
            )
        for y, m in sorted(dates.months - allowed.months):
            problems.append(Violation(path, "date", f"{y}-{m:02d} is not in the cited records"))
        for m, d in sorted(dates.month_days - allowed.month_days):
            problems.append(Violation(path, "date", f"{m}月{d}日 is not in the cited records"))
        for m in sorted(dates.month_nums - allowed.month_nums):
            problems.append(Violation(path, "date", f"{m}月 is not in the cited records"))
        for y in sorted(dates.years - allowed.years):
            problems.append(Violation(path, "date", f"year {y} is not in the cited records"))
        for c in sorted(dates.cycles - allowed.cycles):
            problems.append(Violation(path, "date", f"cycle {c} is not in the cited records"))
        for number in ungrounded_numbers(_NOT_QUANTITIES.sub(" ", rest), facts.numbers):
            problems.append(Violation(path, "number", f"{number!r} is not in the cited records"))
        for name in sorted(self.people.names_in(text), key=lambda n: (-len(n), n)):
            if name not in facts.names:
                problems.append(Violation(path, "person", f"{name!r} is not in the cited records"))
        problems.extend(self._entities(path, text, facts))
        return problems

    def _entities(self, path: str, text: str, facts: Facts) -> list[Violation]:
        problems: list[Violation] = []
        for quoted in _QUOTED.findall(text):
            if _squash(quoted) not in facts.squashed:
                problems.append(
                    Violation(path, "quote", f"quoted {quoted!r} is not in the cited records")
                )
        for match in _ORG_SUFFIX.finditer(text):
            end = match.end()
            start = match.start()
            head = text[max(0, start - 2) : end]
            if len(head) - len(match.group(0)) < 2 or not all(
                "\u4e00" <= ch <= "\u9fff" for ch in head
            ):
                continue
            if head in _GENERIC_ORG or any(head.endswith(g) for g in _GENERIC_ORG):
                continue
            if _squash(head) not in facts.squashed:
                problems.append(Violation(path, "entity", f"{head!r}… is not in the cited records"))
        is_english = self.snapshot.lang == "en"
        for match in _LATIN.finditer(self._strip_ids(text)):
            word = match.group(0)
            if word.lower() in _LATIN_OK or word.lower() in facts.text.lower():
                continue
            if is_english:
                # In English prose only capitalised words mid-sentence can be proper names.
                before = text[: match.start()].rstrip()
                if not word[0].isupper() or not before or before[-1] in '.!?:;"“(–-—\n':
                    continue
            problems.append(Violation(path, "entity", f"{word!r} is not in the cited records"))
        return problems
