"""Grounding of chain output: every fact an item states must be in the records it cites.

An item may state what its cited records, the person's profile and the calendar say,
nothing else. Checked per item:

- cited ids exist in the snapshot, and id-like tokens in the text do too;
- numbers (via `coach.core.numbers.ungrounded_numbers`, at the precision shown);
- dates, months, quarters and half-years;
- names of people in the organisation directory;
- organisations and projects: quoted spans, company-like Chinese names, Latin proper names;
- no verdict about the person (promotion, dismissal, pay, demotion, rating, a character
  label) unless a cited record says it, in its own words (`VERDICT_TERMS`);
- words attributed to someone ("陈静认为…") are what that person said in a cited record;
- leftover pseudonym placeholders, which mean restoring the answer failed;
- comparative and aggregate claims (最低, 多次, 落后于时间进度, 下降, 个百分点, …) hold,
  recomputed from the whole snapshot by `coach.chains.claims`.

The checks are deliberately strict: a false alarm costs one regeneration or a flag that a
manager reads, a missed invention puts a wrong fact in front of an employee.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from coach.chains.claims import ClaimChecker
from coach.chains.facts import squash
from coach.chains.privacy import PLACEHOLDER
from coach.chains.records import (
    CheckInRecord,
    Directory,
    EventRecord,
    KeyResultRecord,
    ProfileRecord,
    Record,
    ReviewRecord,
    Snapshot,
    fmt_num,
)
from coach.core.numbers import extract_numbers, ungrounded_numbers


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


# --- verdicts about a person and words put in someone's mouth ---------------------------
#
# A draft prepares a conversation; it never decides about a person. Promotion, dismissal,
# pay, demotion and ratings are decided by people in their own processes (promotion review,
# calibration, payroll), and a label on someone's character is an opinion nobody recorded.
# A draft stating one, for or against, shows a manager a machine's verdict as if the records
# held it. So each term below may appear only where a cited record says it: inside a quote
# of the record, or with the words beside it taken from the record. Negation is no way out:
# "不建议据此调薪" still takes a position on pay. Improvement plans (PIP, 改进计划) and
# training budgets are absent on purpose: the practice library offers them as support, and
# suggesting one is coaching. English phrases are tied to a person or to the personnel sense
# ("promote him", "a raise") because the bare words also mean sales promotions or raising
# an issue.
VERDICT_TERMS: dict[str, tuple[str, ...]] = {
    # 转正 (confirmation after probation) is a promotion-like decision taken by HR.
    "promotion": (
        "晋升", "升职", "提拔", "提干", "升任", "转正",
        r"\bpromot(?:e|es|ing)\s+(?:him|her|them)\b", r"\bpromoted\b", r"\bpromotion\s+to\b",
        r"\b(?:for|deserves?|earn\w*|gets?|ready\s+for|eligible\s+for|recommend\w*|consider\w*)"
        r"\s+(?:a\s+)?promotion\b",
    ),
    # Dismissal and the euphemisms for it ("优化掉", "劝退", "let go").
    "dismissal": (
        "辞退", "开除", "解雇", "劝退", "裁员", "裁掉", "解聘", "解除劳动", "末位淘汰", "淘汰出局",
        r"淘汰(?:掉)?(?:他|她|此人|该员工)", "优化掉", "走人", r"劝(?:其|他|她)离职", r"让(?:他|她)离职",
        r"\bfire[ds]?\s+(?:him|her|them)\b", r"\b(?:be|get|got|been|getting)\s+fired\b",
        r"\blet\s+(?:him|her|them)\s+go\b", r"\bterminat\w*\s+(?:him|her|them|his|their)\b",
        r"\btermination\b", r"\bdismissal\b", r"\bdismiss\s+(?:him|her|them)\b",
        r"\blaid\s+off\b", r"\blay\s+(?:him|her|them)\s+off\b", r"\blayoffs?\b",
        r"\bmanag(?:e|ed|ing)\s+(?:him|her|them)\s+out\b",
    ),
    "pay": (
        "加薪", "降薪", "涨薪", "调薪", "减薪", "扣薪", "涨工资", "扣工资", "扣钱", "罚款", "奖金",
        "年终奖", "工资", "薪资", "薪酬", "薪水", "提成",
        r"\b(?:pay|salary)\s+(?:rise|raise|increase|cut|freeze|adjustment)s?\b", r"\ba\s+raise\b",
        r"\bbonus(?:es)?\b", r"\bsalar(?:y|ies)\b", r"\bcompensation\b", r"\bwages?\b",
        r"\bdock\w*\s+(?:his|her|their)\s+pay\b",
    ),
    "demotion": ("降级", "降职", "降岗", "撤职", "免职", r"\bdemot\w*\b"),
    # Ratings, grades and rankings: stating a recorded score ("得分2.4") is a fact, proposing
    # one is a verdict.
    "rating": (
        "满分", r"打\s*\d+(?:\.\d+)?\s*分", r"打\s*[几多高低]\s*分",
        r"(?:评|给|打)[为成予]?\s*(?:最高|[SA]\s*级|优秀等级)", r"[SA]\+?\s*级评价",
        r"评为\s*(?:[A-DS][+-]?|优秀|良好|合格|不合格|待改进|称职|不称职)",
        r"等级\s*(?:定为|评为|应为|给|打)", "绩效等级", "排名末位", "排在末位", "末位",
        r"倒数第[一二三123]", "垫底",
        r"\bfull\s+marks\b", r"\btop\s+rating\b", r"\bperfect\s+score\b", r"\bhighest\s+rating\b",
        r"\brating\s+of\s+\d", r"\brat(?:e|ed)\s+(?:him|her|them)\b",
        r"\brated\s+(?:as\s+)?(?:outstanding|excellent|exceeds|meets|below|unsatisfactory|poor)\b",
        r"\b(?:performance|overall)\s+rating\b", r"\bbottom\s+(?:of\s+the\s+)?(?:ranking|\d+\s*%)",
        r"\brank(?:ed)?\s+(?:him|her|them|last|lowest)\b",
    ),
    # Character labels: the feedback practices (SBI) describe behaviour, never the person.
    "label": (
        r"态度(?:很|太|非常|极|比较|十分)?(?:差|恶劣|不端正|不好|有问题|消极|散漫)", "不上进",
        "不求上进", "懒惰", "懒散", "偷懒", "混日子", "摸鱼", r"(?:没有|缺乏|没)责任心", "不靠谱",
        r"能力(?:太|很)?(?:差|不行)", "人品",
        r"\b(?:bad|poor)\s+attitude\b", r"\battitude\s+problem\b", r"\blazy\b", r"\bslacker\b",
        r"\bincompetent\b", r"\bnot\s+a\s+team\s+player\b",
    ),
}  # fmt: skip

# Verbs that put words or an opinion in someone's mouth: "陈静认为…", "李强提到…",
# "Li Wei said…". What follows must be what that person said in a cited record. A bare 说
# counts only before a quote or a pronoun, so 说明 / 说服 are not attributions.
ATTRIBUTION_VERBS_ZH = (
    "认为", "觉得", "表示", "反馈", "指出", "提到", "提及", "提出", "评价", "强调", "抱怨", "透露",
    "坦言", "承认", "希望", "建议", "批评", "表扬", "称赞", "肯定", "担心", "担忧", "写道", "谈到",
    "声称", "告诉", "吐槽", "说过", "说道", r"说(?=\s*[::「“\"]|他|她|自己)",
)  # fmt: skip
ATTRIBUTION_VERBS_EN = (
    "said", "says", "thinks", "thought", "believes", "believed", "feels", "felt", "noted",
    "mentioned", "reported", "complained", "stated", "wrote", "suggested", "recommended",
    "claims", "claimed", "argues", "argued", "told",
)  # fmt: skip
# How a draft names someone without the full name: a surname and a title ("张经理", "王总").
# Common surnames only; a title after any other character ("部经理") is not a person.
SURNAMES_ZH = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
TITLES_ZH = ("经理", "主管", "总监", "组长", "部长", "主任", "老师", "老板", r"总(?![结体共是部监计数额])")  # fmt: skip
TITLES_EN = ("Manager", "Mr", "Ms", "Mrs", "Dr")
# A name after these is the object ("给李强反馈") or the agent of an action the draft
# proposes ("建议陈静肯定…", "由陈静反馈…"), not someone whose words are reported.
_NOT_SPEAKER_BEFORE = ("给", "向", "对", "和", "与", "跟", "请", "让", "帮", "替", "被", "由", "建议", "需要", "希望")  # fmt: skip
# Between name and verb these make it a proposal too ("陈静下次可以表扬他").
_PROPOSED = re.compile(r"可以|需要|应该|应当|将会|将|不妨|最好|下次|下周|本周|届时")
# Shortest run of characters a statement must share with the person's recorded words:
# four Chinese characters, or about two English words.
_OVERLAP_CJK, _OVERLAP_LATIN = 4, 12

_VERDICTS = {
    kind: re.compile("|".join(terms), re.IGNORECASE) for kind, terms in VERDICT_TERMS.items()
}
_CLAUSE_END = re.compile(r"[,,。;;!!??\n、::()()「」『』“”\"《》]|\.(?=\s|$)")
_SENTENCE_END = re.compile(r"[。!!??;;\n]|\.(?=\s|$)")
_NEGATIONS = set("不未没别勿非无")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NON_WORD = re.compile(r"[\W_]+")
_LEADING_MARKS = re.compile(r"^[\s::,,\"“”]+")


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
    trusted_fields: list[str] = field(default_factory=list)
    """Squashed field values of the cited records that do not read like instructions."""
    statements: dict[str, str] = field(default_factory=dict)
    """What each person said or wrote in the cited records, by name, as plain characters."""


class Grounder:
    """Checks chain output against one snapshot."""

    def __init__(self, snapshot: Snapshot, directory: Directory) -> None:
        self.snapshot = snapshot
        self.records = snapshot.records()
        self.directory = directory
        self.people = directory.index()
        self.claims = ClaimChecker(snapshot)
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
        numbers.extend(self.claims.computed_numbers())
        names = self.people.names_in(text)
        trusted = [r for r in chosen if r.id not in snap.flagged_ids]
        fields = [squash(v) for r in trusted for v in record_text(r).split("\n")]
        fields.extend(squash(e) for e in extra)
        facts = Facts(
            text=text, squashed=squash(text), numbers=numbers, dates=dates, names=names,
            trusted_fields=[f for f in fields if f], statements=_statements(snap.profile, chosen),
        )  # fmt: skip
        self._cache[key] = facts
        return facts

    def check(
        self,
        path: str,
        texts: Sequence[str],
        evidence_ids: Sequence[str],
        *,
        extra_allowed: Iterable[str] = (),
        strength: bool = False,
    ) -> list[Violation]:
        """Violations of one item: its texts against the records it cites.

        `strength` marks an item that presents a result as a strength, which a worsening
        result never is.
        """
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
        for claim in self.claims.check(texts, valid_ids, strength=strength):
            problems.append(Violation(path, claim.kind, claim.detail))
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
        problems.extend(self._verdicts(path, text, facts))
        problems.extend(self._attributions(path, text, facts))
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
            if squash(quoted) not in facts.squashed:
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
            if squash(head) not in facts.squashed:
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

    def _verdicts(self, path: str, text: str, facts: Facts) -> list[Violation]:
        quotes = [
            m.span(1)
            for m in _QUOTED.finditer(text)
            if any(squash(m.group(1)) in value for value in facts.trusted_fields)
        ]
        problems: list[Violation] = []
        for kind, pattern in _VERDICTS.items():
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(a <= start and end <= b for a, b in quotes):
                    continue  # a quote of a record, checked by the quote rule
                if _in_record_words(text, start, end, facts.trusted_fields):
                    continue
                problems.append(
                    Violation(path, kind, f"{match.group(0)!r}: drafts make no {kind} "
                              "judgement; only a cited record may mention one, in its own words")
                )  # fmt: skip
        return problems

    def _attributions(self, path: str, text: str, facts: Facts) -> list[Violation]:
        problems: list[Violation] = []
        # Only the names in this text go into the pattern: a directory may hold thousands.
        for pattern in _speaker_patterns(
            tuple(sorted(self.people.names_in(text), key=lambda n: (-len(n), n)))
        ):
            for match in pattern.finditer(text):
                who = match.group("who")
                if _PROPOSED.search(match.groupdict().get("gap") or ""):
                    continue
                content = _attributed_content(text, match.end())
                if not content or content.startswith("的"):
                    continue  # "李强提到的…" refers to what was said without restating it
                said = [words for name, words in facts.statements.items() if _refers_to(who, name)]
                if not said:
                    problems.append(
                        Violation(path, "attribution", f"{who!r} wrote none of the cited records, "
                                  f"so {content!r} cannot be attributed to them")
                    )  # fmt: skip
                elif not any(_shares_words(content, words) for words in said):
                    problems.append(
                        Violation(path, "attribution",
                                  f"{content!r} is not what {who} said in the cited records")
                    )  # fmt: skip
        return problems

    def fit(
        self,
        path: str,
        *,
        item_kind: str,
        claim: str,
        questions: Sequence[str],
        evidence_ids: Sequence[str],
    ) -> list[Violation]:
        """Whether an item's evidence suits it: a record of a kind that can support its kind,
        a cited record sharing words with what it claims, and questions that ask something."""
        cited = [self.records[i] for i in evidence_ids if i in self.records]
        problems: list[Violation] = []
        wanted = ITEM_EVIDENCE.get(item_kind)
        if wanted is not None and cited and not any(r.kind in wanted for r in cited):
            problems.append(
                Violation(path, "evidence_kind", f"a {item_kind} item must cite a "
                          f"{' or '.join(sorted(wanted))} record, not "
                          f"{', '.join(sorted({r.kind for r in cited}))}")
            )  # fmt: skip
        # An item about what the records lack may cite only the profile; any other record it
        # cites must be what it talks about.
        beyond_profile = [r for r in cited if r.kind != "profile"]
        if beyond_profile and not any(
            _shares_words(claim, _plain(record_text(r))) for r in beyond_profile
        ):
            problems.append(
                Violation(path, "evidence_content", "shares no words with the records it cites "
                          f"({', '.join(r.id for r in beyond_profile)})")
            )  # fmt: skip
        for i, question in enumerate(questions):
            if not question.rstrip().endswith(_QUESTION_MARKS):
                problems.append(
                    Violation(f"{path}.questions.{i}", "not_a_question",
                              f"{question!r} does not end with a question mark")
                )  # fmt: skip
        return problems


# The records that can make an item of each kind timely: it must cite at least one of them.
ITEM_EVIDENCE: dict[str, frozenset[str]] = {
    "off_track_kr": frozenset({"key_result"}),
    "kr_checkpoint": frozenset({"key_result"}),
    "obstacle": frozenset({"checkin", "event"}),
    "support_request": frozenset({"checkin"}),
    "open_action": frozenset({"checkin", "review"}),
    "achievement": frozenset({"key_result", "event", "review", "checkin"}),
    "development": frozenset({"profile", "event", "review", "checkin"}),
    "goal_setting": frozenset({"profile", "key_result", "review"}),
}
_QUESTION_MARKS = ("?", "？")


def _in_record_words(text: str, start: int, end: int, fields: Sequence[str]) -> bool:
    """Whether a term stands in a record's words: with its neighbours, or where a value ends.

    The neighbours are up to two characters (one word for English terms) on each side within
    the clause, so "应该立刻晋升" is not grounded by a record that says "争取晋升机会", and a
    record's "不建议晋升" does not ground a draft's "建议晋升".
    """
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    clause_end = next((m.start() for m in _CLAUSE_END.finditer(text, end)), len(text))
    before, after = squash(text[clause_start:start]), squash(text[end:clause_end])
    if text[start].isascii():
        left = squash("".join(text[clause_start:start].split()[-1:]))
        right = squash("".join(text[end:clause_end].split()[:1]))
    else:
        left, right = before[-2:], after[:2]
    if not left and not right:
        return False
    term = squash(text[start:end])
    preceding = before[: len(before) - len(left)][-1:]
    window = left + term + right
    for value in fields:
        at = value.find(window)
        while at >= 0:
            if at == 0 or value[at - 1] not in _NEGATIONS or value[at - 1] == preceding:
                return True
            at = value.find(window, at + 1)
        # A record value may begin or end at the term, the draft's own words around it.
        if (left and value.startswith(term + right)) or (right and value.endswith(left + term)):
            return True
    return False


def _statements(profile: ProfileRecord, records: Iterable[Record]) -> dict[str, str]:
    """Who said what in the records: event authors, both sides of a check-in, the reviewer.

    Review records name no reviewer; reviews are written by the line manager, so their
    comments count as the manager's words.
    """
    said: dict[str, list[str]] = {}

    def add(name: str | None, *words: str) -> None:
        if name:
            said.setdefault(name, []).extend(w for w in words if w)

    for record in records:
        if isinstance(record, EventRecord):
            add(record.author_name, record.description, record.impact)
        elif isinstance(record, CheckInRecord):
            add(record.manager_name, record.manager_feedback, record.next_actions)
            add(profile.name, record.progress, record.obstacles, record.support_needed,
                record.next_actions, record.employee_comment)  # fmt: skip
        elif isinstance(record, ReviewRecord):
            add(profile.manager_name, record.comment)
        elif isinstance(record, KeyResultRecord):
            add(profile.name, *(u.note for u in record.updates))
    return {name: _plain("\n".join(words)) for name, words in said.items() if words}


def _plain(text: str) -> str:
    return _NON_WORD.sub("", text).lower()


def _refers_to(who: str, name: str) -> bool:
    """Whether a speaker as written ("陈静", or "陈经理" for anyone named 陈…) is this person."""
    if who == name:
        return True
    titled = re.fullmatch(rf"([{SURNAMES_ZH}])(?:{'|'.join(TITLES_ZH)})", who)
    return titled is not None and name.startswith(titled.group(1))


def _attributed_content(text: str, start: int) -> str:
    """What follows a speaker and verb, up to the end of the sentence."""
    rest = text[start:]
    end = _SENTENCE_END.search(rest)
    return _LEADING_MARKS.sub("", rest[: end.start() if end else len(rest)]).rstrip()


def _shares_words(content: str, words: str) -> bool:
    """Whether a statement shares a run of characters with what the person said."""
    plain = _plain(content)
    size = _OVERLAP_CJK if _CJK.search(plain) else _OVERLAP_LATIN
    if len(plain) <= size:
        return len(plain) >= 2 and plain in words
    return any(plain[i : i + size] in words for i in range(len(plain) - size + 1))


@functools.lru_cache(maxsize=256)
def _speaker_patterns(names: tuple[str, ...]) -> list[re.Pattern[str]]:
    """Regexes for "<person> <verb>" in Chinese and English; the person is group `who`.

    A person is a directory name, a placeholder, a surname with a title, or (in English) two
    capitalised words; the verb comes within the clause, with no other person in between.
    """
    known = [re.escape(n) for n in names]
    placeholder = r"\[(?:P|E)\d+\]"
    titled_zh = rf"[{SURNAMES_ZH}](?:{'|'.join(TITLES_ZH)})"
    who_zh = "|".join([*known, placeholder, titled_zh])
    titled_en = rf"(?:{'|'.join(TITLES_EN)})\.?\s+[A-Z][a-z]+"
    who_en = "|".join([*known, placeholder, titled_en, r"[A-Z][a-z]+\s+[A-Z][a-z]+"])
    return [
        re.compile(
            "".join(f"(?<!{marker})" for marker in _NOT_SPEAKER_BEFORE)
            + rf"(?P<who>{who_zh})(?!的)"
            rf"(?P<gap>(?:(?!{who_zh})[^,,。;;!!??\n]){{0,20}}?)(?:{'|'.join(ATTRIBUTION_VERBS_ZH)})"
        ),
        re.compile(rf"\b[Aa]ccording\s+to\s+(?P<who>{who_en})"),
        re.compile(rf"(?P<who>{who_en})\s+(?:{'|'.join(ATTRIBUTION_VERBS_EN)})\b"),
    ]
