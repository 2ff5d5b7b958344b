"""Comparative and aggregate claims in a draft, recomputed from the snapshot.

The grounding check makes sure every number, date and name in a text is in the records;
this check makes sure what the text says *about* them holds, each claim against the fact
`coach.chains.facts` computes:

- extreme: "「团队贡献」…最低" only for the lowest-scored dimension of that cycle (ties are
  "并列最低"); a superlative about scores that names no dimension cannot be checked;
- frequency: 多次 needs a text in two check-ins, 反复 in three, 连续N次 in N;
- pace: "落后 / 领先于时间进度" and the percentages beside them match the key result;
- direction: "从A下降到B" has B below A, and "改善 / 恶化" follow the metric's direction;
- decline: a strength never states a worsening result nor rests on a key result that fell;
- percent points: a difference of two percentages is 个百分点, not %;
- counts: counted things are whole numbers ("4.87家" never);
- tenure: "新岗位 / 刚入职" only for someone in their first months;
- totals and rankings: "全部N个关键结果" matches the records; peer rankings (同组排名)
  have no record to rest on.

Claim words inside a quote, or in a record's own words, are the record's and are left to
the quote rule of the grounding check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from coach.chains.facts import (
    CHECKIN_FIELDS,
    NEW_IN_ROLE_MONTHS,
    REPEATED,
    SEVERAL,
    DimensionRanking,
    better_trend,
    is_percent,
    kr_pace,
    kr_trend,
    mentions,
    rankings,
    squash,
    trend_between,
    worse_trend,
)
from coach.chains.records import (
    DIMENSION_LABELS,
    CheckInRecord,
    KeyResultRecord,
    ReviewRecord,
    Snapshot,
)
from coach.core.models import Direction


@dataclass(frozen=True)
class ClaimProblem:
    """A claim that does not hold: its family and why."""

    kind: str
    detail: str


_SENTENCE_END = re.compile(r"[。!！?？;；\n]|\.(?=\s|$)")
_CLAUSE_END = re.compile(r"[,，、:：()（）]")
_QUOTE = re.compile(r"[「『“\"]([^」』”\"]{1,120})[」』”\"]")
_CYCLE = re.compile(r"(\d{4})\s*([HhQq])\s*([1-4])")
_CN_NUMBERS = {
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_COUNT = r"(\d+|[两二三四五六七八九十])"

_EXTREME = re.compile(r"最低|最高|最差|最弱|最强|lowest|highest|weakest|strongest", re.IGNORECASE)
_LOW_WORDS = {"最低", "最差", "最弱", "lowest", "weakest"}
_SCORE_CONTEXT = re.compile(r"维度|得分|评分|评估|分数|score|dimension|review", re.IGNORECASE)

_FREQUENCY = re.compile(
    r"多次|屡次|数次|反复|一再|再三|频繁|屡屡|连续\s*" + _COUNT + r"\s*(?:次|个月|期|轮|季度)"
    r"|repeatedly|recurring|again and again|several times|more than once|multiple times",
    re.IGNORECASE,
)
_REPEATED_WORDS = re.compile(r"反复|一再|再三|频繁|屡屡|repeatedly|recurring|again and again", re.I)
# A frequency word is a claim about the records when what follows it happened ("多次提到",
# "反复出现的障碍") or the clause is about check-ins; "多次练习" is advice, not a claim.
_HAPPENED_AFTER = re.compile(
    r"[^,，。;；]{0,6}?(?:提到|提及|提出|出现|反映|遇到|发生|说|写|延期|退回|未|没|障碍|问题"
    r"|mention|rais|nam|come|came|occur|aris|obstacle|issue|problem)",
    re.IGNORECASE,
)
_ABOUT_CHECKINS = re.compile(r"沟通|记录|面谈|1:1|check-?in", re.IGNORECASE)

_BEHIND = re.compile(r"落后|滞后|慢于|低于[^,，。;；]{0,8}时间进度|behind", re.IGNORECASE)
_AHEAD = re.compile(r"领先|超前|快于|高于[^,，。;；]{0,8}时间进度|ahead of", re.IGNORECASE)
_LEVEL = re.compile(r"持平|on schedule|on track", re.IGNORECASE)
_PROGRESS_PCT = re.compile(r"完成进度\s*(\d+)\s*%|(\d+)\s*% of the way")
_ELAPSED_PCT = re.compile(
    r"(\d+)\s*%\s*的时间进度|时间已过去\s*(\d+)\s*%|(\d+)\s*% of the period", re.IGNORECASE
)
# A key result no more than this many points behind the time elapsed is on schedule; nine
# points behind is behind, whatever the status thresholds that pick topics allow.
_LEVEL_POINTS = 5

_NUM = r"(\d+(?:\.\d+)?)"
# Months, days and years are when a value was measured, never the value.
_NOT_DATE = r"(?![\d.]|\s*(?:月|日|号|年|季度|周|[-/]))"
_FROM_TO = re.compile(
    rf"从\s*{_NUM}{_NOT_DATE}[^\d,，。;；]{{0,8}}?(?:到|至|变为|变成)\s*{_NUM}{_NOT_DATE}"
    rf"|from\s+{_NUM}{_NOT_DATE}[^\d,.;]{{0,12}}?\s+to\s+{_NUM}{_NOT_DATE}",
    re.IGNORECASE,
)
_UP = re.compile(
    r"上升|提升|增长|增加|提高|回升|上涨|升到|升至|涨|rose|increased|grew|went up", re.I
)
_DOWN = re.compile(
    r"下降|下滑|降低|减少|回落|下跌|降到|降至|缩短|跌|fell|dropped|decreased|declined|went down",
    re.IGNORECASE,
)
_BETTER = re.compile(r"改善|好转|进步|变好|improved", re.IGNORECASE)
_WORSE = re.compile(r"恶化|退步|变差|下滑|worsened|deteriorated", re.IGNORECASE)

_DIFFERENCE_PCT = re.compile(
    r"(?:还差|仍差|相差|差距为?|差了?|高出|低了|高了|多出|少了|提高了|降低了|下降了|上升了|增加了|减少了)"
    rf"\s*{_NUM}\s*[%％]"
    rf"|{_NUM}\s*[%％]\s*(?:still to go|short|to go)",
    re.IGNORECASE,
)
_FRACTIONAL_COUNT = re.compile(
    r"(?<![\d.])(\d+\.\d*[1-9]\d*)\s*"
    r"(人次|家|人|位|名|次|台|件|单|笔|条|项|户|张|份|篇|场|套|辆"
    r"|个(?!百分点|月|季度|工作日|小时|星期|周|维度|周期))"
)
_NEW_IN_ROLE = re.compile(
    r"新岗位|新入职|刚入职|入职不久|入职后的前几个月|settling in|new in the role"
    r"|new hire|first months in the role",
    re.IGNORECASE,
)
_PEER_RANKING = re.compile(
    r"(?:同组|组内|团队内|团队中|同岗位|同事中|同级)[^,，。;；]{0,10}"
    r"(?:排名|排第|第\s*\d+\s*名|前\s*\d+\s*%|最高|最低|领先|落后)"
    r"|全部\s*\d+\s*位|\d+\s*位全部|所有\s*\d+\s*位",
)
_KR_TOTAL = re.compile(rf"(?:全部|所有|共|总共)\s*{_COUNT}\s*(?:个|项|条)?\s*关键结果")
# "在两次沟通中都…" reads as "in all (two) check-ins", so it is a total as well.
_CHECKIN_TOTAL = re.compile(
    rf"(?:全部|所有|共|总共)\s*{_COUNT}\s*次\s*(?:沟通|面谈|1:1)"
    rf"|(?<![\d两二三四五六七八九十]){_COUNT}\s*次\s*(?:沟通|面谈|1:1)\s*中?\s*都"
)


def _count(token: str) -> int:
    return int(token) if token.isdigit() else _CN_NUMBERS.get(token, 0)


def _span(text: str, at: int, end_pattern: re.Pattern[str]) -> tuple[int, int]:
    start = max((m.end() for m in end_pattern.finditer(text, 0, at)), default=0)
    stop = next((m.start() for m in end_pattern.finditer(text, at)), len(text))
    return start, stop


class ClaimChecker:
    """Recomputes the comparative and aggregate claims of texts against one snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.rankings = rankings(snapshot)
        self.key_results = {kr.id: kr for kr in snapshot.key_results}
        self.checkins = {c.id: c for c in snapshot.checkins}
        self.reviews = {r.id: r for r in snapshot.reviews}
        self._record_words = [
            squash(str(v))
            for record in snapshot.records().values()
            if record.kind != "practice"
            for v in record.model_dump().values()
            if isinstance(v, str) and v.strip()
        ]
        labels: dict[str, str] = {}
        for review in snapshot.reviews:
            for label in (review.dimension_label, *DIMENSION_LABELS.get(review.dimension, ())):
                labels[label] = review.dimension
        self._labels = sorted(labels.items(), key=lambda kv: -len(kv[0]))

    def computed_numbers(self) -> list[float]:
        """Numbers the facts add to the records: counts, and points behind or ahead of plan."""
        snap = self.snapshot
        counts = {len(snap.key_results), len(snap.checkins), len(snap.events)}
        counts |= {len(r.reviews) for r in self.rankings.values()}
        counts |= {
            len(mentions(snap, v))
            for c in snap.checkins
            for f in CHECKIN_FIELDS
            if (v := getattr(c, f)).strip()
        }
        points = {abs(kr_pace(kr).behind_points) for kr in snap.key_results}
        return [float(n) for n in counts | points if n]

    def check(
        self, texts: Sequence[str], cited: Sequence[str], *, strength: bool = False
    ) -> list[ClaimProblem]:
        """The claims in an item's texts that its snapshot does not bear out."""
        problems: list[ClaimProblem] = []
        item_quotes = [q for text in texts for q in _QUOTE.findall(text)]
        for text in texts:
            quoted = [m.span() for m in _QUOTE.finditer(text)]
            problems += self._extremes(text, quoted, cited)
            problems += self._frequencies(text, quoted, cited, item_quotes)
            problems += self._paces(text, quoted, cited)
            problems += self._directions(text, quoted, cited, strength)
            problems += self._units(text, quoted, cited)
            problems += self._totals(text, quoted)
        if strength:
            problems += self._declining_evidence(cited)
        return problems

    # --- shared ---------------------------------------------------------------------------

    def _records_say(self, text: str, start: int, end: int, quoted: list[tuple[int, int]]) -> bool:
        """Whether a claim word is inside a quote or part of a record's own words."""
        if any(a <= start and end <= b for a, b in quoted):
            return True
        clause_start, clause_end = _span(text, start, _CLAUSE_END)
        window = squash(text[max(clause_start, start - 3) : min(clause_end, end + 3)])
        return len(window) > len(squash(text[start:end])) and any(
            window in words for words in self._record_words
        )

    def _cycle_of(self, sentence: str, at: int, dimension: str, cited: Sequence[str]) -> str | None:
        """The cycle a claim is about: the last one named before it, else the cited review's."""
        named = [m for m in _CYCLE.finditer(sentence) if m.start() < at]
        if named:
            found = named[-1]
            return f"{found.group(1)}{found.group(2).upper()}{found.group(3)}"
        for record_id in cited:
            review = self.reviews.get(record_id)
            if review is not None and review.dimension == dimension:
                return review.cycle
        return self.snapshot.review_cycle

    def _key_result_in(self, text: str, cited: Sequence[str]) -> KeyResultRecord | None:
        """The key result a passage is about: named by its title, else the only one cited."""
        named = [kr for kr in self.snapshot.key_results if kr.title and kr.title in text]
        if named:
            return max(named, key=lambda kr: len(kr.title))
        cited_krs = [self.key_results[i] for i in cited if i in self.key_results]
        return cited_krs[0] if len(cited_krs) == 1 else None

    # --- extremes -------------------------------------------------------------------------

    def _extremes(
        self, text: str, quoted: list[tuple[int, int]], cited: Sequence[str]
    ) -> list[ClaimProblem]:
        problems: list[ClaimProblem] = []
        for match in _EXTREME.finditer(text):
            if self._records_say(text, match.start(), match.end(), quoted):
                continue
            s_start, s_end = _span(text, match.start(), _SENTENCE_END)
            sentence = text[s_start:s_end]
            at = match.start() - s_start
            dimension = self._dimension_near(sentence, at)
            word = match.group(0)
            if dimension is None:
                if _SCORE_CONTEXT.search(sentence):
                    problems.append(ClaimProblem(
                        "extreme", f"{word!r} in {sentence.strip()!r} names no review dimension "
                        "it could be checked against"))  # fmt: skip
                continue
            cycle = self._cycle_of(sentence, at, dimension, cited)
            ranking = self.rankings.get(cycle or "")
            review = next(
                (r for r in (ranking.reviews if ranking else ()) if r.dimension == dimension), None
            )
            if ranking is None or review is None:
                problems.append(
                    ClaimProblem("extreme", f"no {cycle} score for {dimension!r} to call {word!r}")
                )
                continue
            problems += self._extreme_holds(ranking, review, word, sentence[:at])
        return problems

    def _dimension_near(self, sentence: str, at: int) -> str | None:
        """The dimension a superlative is about: the last one named before it, else after it."""
        before: list[tuple[int, str]] = []
        after: list[tuple[int, str]] = []
        for label, dimension in self._labels:
            for found in re.finditer(re.escape(label), sentence, re.IGNORECASE):
                (before if found.end() <= at else after).append((found.start(), dimension))
        if before:
            return max(before)[1]
        return min(after)[1] if after else None

    @staticmethod
    def _extreme_holds(
        ranking: DimensionRanking, review: ReviewRecord, word: str, preceding: str
    ) -> list[ClaimProblem]:
        low = word.lower() in _LOW_WORDS
        scores = ", ".join(f"{r.dimension}={r.score:g}" for r in ranking.reviews)
        holds = ranking.is_lowest(review) if low else ranking.is_highest(review)
        if not holds:
            return [ClaimProblem("extreme", f"{review.dimension_label!r} is not the "
                                 f"{'lowest' if low else 'highest'} in {ranking.cycle} ({scores})")]  # fmt: skip
        if ranking.tied(review) and not preceding.rstrip().endswith(("并列", "tied for the")):
            return [ClaimProblem("extreme", f"{review.dimension_label!r} shares the "
                                 f"{'lowest' if low else 'highest'} score in {ranking.cycle} "
                                 f"({scores}): say 并列")]  # fmt: skip
        return []

    # --- frequencies ----------------------------------------------------------------------

    def _frequencies(
        self,
        text: str,
        quoted: list[tuple[int, int]],
        cited: Sequence[str],
        item_quotes: list[str],
    ) -> list[ClaimProblem]:
        problems: list[ClaimProblem] = []
        for match in _FREQUENCY.finditer(text):
            if self._records_say(text, match.start(), match.end(), quoted):
                continue
            word = match.group(0)
            clause_start, _ = _span(text, match.start(), _CLAUSE_END)
            if not match.group(1) and not (
                _HAPPENED_AFTER.match(text, match.end())
                or _ABOUT_CHECKINS.search(text, clause_start, match.start())
            ):
                continue
            if match.group(1):
                needed = _count(match.group(1))
            else:
                needed = REPEATED if _REPEATED_WORDS.fullmatch(word) else SEVERAL
            s_start, s_end = _span(text, match.start(), _SENTENCE_END)
            subjects = _QUOTE.findall(text[s_start:s_end]) or item_quotes
            count, subject = self._mention_count(subjects, cited)
            if count < needed:
                problems.append(ClaimProblem(
                    "frequency", f"{word!r} needs {needed} check-ins, but {subject!r} is in "
                    f"{count}"))  # fmt: skip
        return problems

    def _mention_count(self, subjects: list[str], cited: Sequence[str]) -> tuple[int, str]:
        """How often the subject of a frequency claim comes up across the check-ins."""
        counted = [(len(mentions(self.snapshot, s)), s) for s in subjects]
        counted = [c for c in counted if c[0]]
        if not counted:
            # No quote names a check-in's words: the claim is about the cited check-ins.
            values = {
                v.strip()
                for record_id in cited
                if isinstance(record := self.checkins.get(record_id), CheckInRecord)
                for f in CHECKIN_FIELDS
                if (v := getattr(record, f)).strip()
            }
            counted = [(len(mentions(self.snapshot, v)), v) for v in values]
        return max(counted, default=(0, "its subject"))

    # --- pace -----------------------------------------------------------------------------

    def _paces(
        self, text: str, quoted: list[tuple[int, int]], cited: Sequence[str]
    ) -> list[ClaimProblem]:
        problems: list[ClaimProblem] = []
        for s_start, s_end in _sentence_spans(text):
            sentence = text[s_start:s_end]
            kr = self._key_result_in(sentence, cited)
            if kr is None:
                continue
            progress, expected = kr.progress_pct, kr.expected_pct
            for match in _PROGRESS_PCT.finditer(sentence):
                if int(match.group(1) or match.group(2)) != progress:
                    problems.append(ClaimProblem("pace", f"{kr.title!r} is {progress}% done, "
                                                 f"not {match.group(0)!r}"))  # fmt: skip
            for match in _ELAPSED_PCT.finditer(sentence):
                shown = int(next(g for g in match.groups() if g))
                if shown != expected:
                    problems.append(ClaimProblem("pace", f"{expected}% of the period of "
                                                 f"{kr.title!r} has passed, not {shown}%"))  # fmt: skip
            words = [
                (pattern, m)
                for pattern in (_BEHIND, _AHEAD, _LEVEL)
                for m in pattern.finditer(sentence)
                if not self._records_say(text, s_start + m.start(), s_start + m.end(), quoted)
            ]
            for pattern, m in words:
                holds = (
                    progress < expected if pattern is _BEHIND
                    else progress > expected if pattern is _AHEAD
                    else progress >= expected - _LEVEL_POINTS
                )  # fmt: skip
                if not holds:
                    problems.append(ClaimProblem(
                        "pace", f"{m.group(0)!r}: {kr.title!r} is {progress}% done with "
                        f"{expected}% of its period gone"))  # fmt: skip
        return problems

    # --- direction and decline ------------------------------------------------------------

    def _directions(
        self, text: str, quoted: list[tuple[int, int]], cited: Sequence[str], strength: bool
    ) -> list[ClaimProblem]:
        problems: list[ClaimProblem] = []
        for c_start, c_end in _clause_spans(text):
            clause = text[c_start:c_end]
            if self._records_say(text, c_start, c_end, quoted) or any(
                a <= c_start and c_end <= b for a, b in quoted
            ):
                continue
            kr = self._key_result_in(clause, cited)
            named = kr if kr is not None and kr.title in clause else None
            moved = _from_to_trend(clause)
            actual: str | None
            if moved is None and named is not None:
                # Without values, only a movement said of the key result itself is checked.
                after = clause[clause.index(named.title) + len(named.title) :]
                stated, actual = _stated_trend(after), kr_trend(named)
            else:
                stated, actual = _stated_trend(clause), moved
            if stated is not None and actual is not None and stated != actual:
                problems.append(ClaimProblem("direction", f"{clause.strip()!r} says {stated}, "
                                             f"but the values went {actual}"))  # fmt: skip
            judged = _stated_judgement(clause)
            direction = kr.direction if kr is not None else None
            if judged is not None and direction is not None and actual in ("up", "down"):
                good = actual == better_trend(direction)
                if (judged == "better") != good:
                    problems.append(ClaimProblem("direction", f"{clause.strip()!r}: the value "
                                                 f"went {actual}, which is "
                                                 f"{'better' if good else 'worse'}"))  # fmt: skip
            if strength and _worsening(clause, judged, actual, direction):
                problems.append(ClaimProblem("decline", f"a strength states a worsening result: "
                                             f"{clause.strip()!r}"))  # fmt: skip
        return problems

    def _declining_evidence(self, cited: Sequence[str]) -> list[ClaimProblem]:
        problems: list[ClaimProblem] = []
        for record_id in cited:
            kr = self.key_results.get(record_id)
            if kr is None:
                continue
            pace = kr_pace(kr)
            if pace.declining:
                problems.append(ClaimProblem("decline", f"a strength rests on {kr.title!r}, whose "
                                             "latest update moved away from the target"))  # fmt: skip
            elif kr.status == "off_track":
                problems.append(ClaimProblem("decline", f"a strength rests on {kr.title!r}, which "
                                             f"is {pace.behind_points} points behind plan"))  # fmt: skip
        return problems

    # --- units ----------------------------------------------------------------------------

    def _units(
        self, text: str, quoted: list[tuple[int, int]], cited: Sequence[str]
    ) -> list[ClaimProblem]:
        problems: list[ClaimProblem] = []
        for match in _FRACTIONAL_COUNT.finditer(text):
            if not self._records_say(text, match.start(), match.end(), quoted):
                problems.append(ClaimProblem("count", f"{match.group(0)!r}: counted things are "
                                             "whole numbers"))  # fmt: skip
        percent_krs = [kr for kr in self.snapshot.key_results if is_percent(kr.unit)]
        gaps = {kr.expected_pct - kr.progress_pct for kr in self.snapshot.key_results}
        for match in _DIFFERENCE_PCT.finditer(text):
            if self._records_say(text, match.start(), match.end(), quoted):
                continue
            value = float(match.group(1) or match.group(2))
            about_percent = any(kr.id in cited or kr.title in text for kr in percent_krs)
            if about_percent or any(abs(abs(g) - value) < 1e-9 for g in gaps):
                problems.append(ClaimProblem("percent_points", f"{match.group(0)!r}: a difference "
                                             "of percentages is in 个百分点"))  # fmt: skip
        return problems

    # --- totals, rankings, tenure ---------------------------------------------------------

    def _totals(self, text: str, quoted: list[tuple[int, int]]) -> list[ClaimProblem]:
        problems: list[ClaimProblem] = []
        for pattern, have, what in (
            (_KR_TOTAL, len(self.snapshot.key_results), "key results"),
            (_CHECKIN_TOTAL, len(self.snapshot.checkins), "check-ins"),
        ):
            for match in pattern.finditer(text):
                if _count(next(g for g in match.groups() if g)) != have and not self._records_say(
                    text, match.start(), match.end(), quoted
                ):
                    problems.append(ClaimProblem("total", f"{match.group(0)!r}: the records hold "
                                                 f"{have} {what}"))  # fmt: skip
        for match in _PEER_RANKING.finditer(text):
            if not self._records_say(text, match.start(), match.end(), quoted):
                problems.append(ClaimProblem("ranking", f"{match.group(0)!r}: the records hold no "
                                             "comparison with other people"))  # fmt: skip
        tenure = self.snapshot.profile.tenure_months
        if tenure >= NEW_IN_ROLE_MONTHS:
            for match in _NEW_IN_ROLE.finditer(text):
                if not self._records_say(text, match.start(), match.end(), quoted):
                    problems.append(ClaimProblem("tenure", f"{match.group(0)!r}: "
                                                 f"{tenure} months since the hire date"))  # fmt: skip
        return problems


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    return _spans(text, _SENTENCE_END)


def _clause_spans(text: str) -> list[tuple[int, int]]:
    return _spans(text, re.compile(_SENTENCE_END.pattern + r"|[,，、]"))


def _spans(text: str, ends: re.Pattern[str]) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in ends.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _worsening(
    clause: str, judged: str | None, actual: str | None, direction: Direction | None
) -> bool:
    """Whether a clause states a result that got worse."""
    if judged == "worse" or _WORSE.search(clause):
        return True
    if direction is None or actual not in ("up", "down"):
        return False
    return actual == worse_trend(direction)


def _stated_trend(clause: str) -> str | None:
    up, down = _UP.search(clause), _DOWN.search(clause)
    if up and not down:
        return "up"
    if down and not up:
        return "down"
    return None


def _stated_judgement(clause: str) -> str | None:
    better, worse = _BETTER.search(clause), _WORSE.search(clause)
    if better and not worse:
        return "better"
    if worse and not better:
        return "worse"
    return None


def _from_to_trend(clause: str) -> str | None:
    match = _FROM_TO.search(clause)
    if match is None:
        return None
    values = [float(g) for g in match.groups() if g is not None]
    return trend_between(values[0], values[1])
