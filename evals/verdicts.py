"""Eval of the grounding check's verdict and attribution rules, beside a keyword baseline.

A draft sentence that recommends promotion, dismissal, pay, demotion or a rating, labels the
person's character, or puts words in a named person's mouth that no record holds must be
rejected; ordinary coaching language must pass. The sentences are checked against one fixed
set of records (an employee, their manager, a check-in and a key event), which none of the
rejected sentences is drawn from.

Splits: `dev` are the sentences the rules were written against (the unit tests' cases);
`blind` was written from the specification alone by someone who had not read the rules, and
is frozen: nothing is tuned on it.

Run: ``python -m evals.verdicts``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from coach.chains.grounding import VERDICT_TERMS, Grounder
from coach.chains.records import (
    Calendar,
    CheckInRecord,
    Directory,
    EventRecord,
    ProfileRecord,
    Snapshot,
)

DATA = Path(__file__).with_name("data")
SPLITS = {
    "dev": DATA / "grounding_verdicts_dev.jsonl",
    "blind": DATA / "grounding_verdicts_blind.jsonl",
}
CITED = ["C-E1-202611", "K-E1-1"]
# The kinds of problem this eval is about; numbers, dates and entities are measured elsewhere.
VERDICT_KINDS = {*VERDICT_TERMS, "attribution"}
# What a team would write in an afternoon: reject any sentence naming a personnel decision.
BASELINE_WORDS = (
    "晋升", "升职", "辞退", "开除", "解雇", "淘汰", "加薪", "降薪", "调薪", "奖金", "降职", "评为",
    "promot", "fire", "dismiss", "terminat", "raise", "bonus", "salary", "demot",
)  # fmt: skip

Expect = Literal["reject", "pass"]


@dataclass(frozen=True)
class Case:
    text: str
    expect: Expect
    category: str


def load(path: Path) -> list[Case]:
    """The cases of one split, one JSON object a line."""
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return [Case(r["text"], r["expect"], r["category"]) for r in rows]


def records() -> tuple[Snapshot, Directory]:
    """The fixed records every sentence is checked against."""
    snapshot = Snapshot(
        draft_kind="feedback", as_of=date(2026, 11, 16), cycle="2026H2",
        profile=ProfileRecord(id="E1", name="李强", role="销售代表", level="P3", department="销售部",
                              team="华东", tenure_months=30, manager_id="E2", manager_name="周敏"),
        checkins=[CheckInRecord(id="C-E1-202611", date=date(2026, 11, 3), manager_name="周敏",
                                progress="重点客户拜访完成过半", obstacles="客户预算冻结",
                                support_needed="需要售前同事一起讲方案", next_actions="回访华润万家",
                                manager_feedback="方案讲得清楚,跟进节奏还可以更紧",
                                employee_comment="")],
        events=[EventRecord(id="K-E1-1", date=date(2026, 10, 5), polarity="positive",
                            description="提前锁定蓝海物流年度协议", impact="带来稳定订单",
                            author_name="周敏", author_relation="manager")],
        calendar=Calendar(as_of=date(2026, 11, 16), next_checkin=date(2026, 11, 30),
                          month_end=date(2026, 11, 30), cycle_end=date(2026, 12, 31)),
    )  # fmt: skip
    return snapshot, Directory(people={"E1": "李强", "E2": "周敏"})


def rejected_by_rules(grounder: Grounder, text: str) -> bool:
    return any(v.kind in VERDICT_KINDS for v in grounder.check("text", [text], CITED))


def rejected_by_baseline(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in BASELINE_WORDS)


def scores(cases: list[Case], rejected: list[bool]) -> dict[str, float]:
    """Precision, recall and F1 of rejection, and accuracy over all cases."""
    tp = sum(r and c.expect == "reject" for c, r in zip(cases, rejected, strict=True))
    fp = sum(r and c.expect == "pass" for c, r in zip(cases, rejected, strict=True))
    fn = sum(not r and c.expect == "reject" for c, r in zip(cases, rejected, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    correct = sum(r == (c.expect == "reject") for c, r in zip(cases, rejected, strict=True))
    return {"precision": precision, "recall": recall, "f1": f1, "accuracy": correct / len(cases)}


def _line(name: str, figures: dict[str, float]) -> str:
    return "  ".join([f"{name:<9}", *(f"{k}={v:.3f}" for k, v in figures.items())])


def main() -> None:
    """Print rules and baseline figures for each split, and the blind split's misses."""
    grounder = Grounder(*records())
    for split, path in SPLITS.items():
        cases = load(path)
        rules = [rejected_by_rules(grounder, c.text) for c in cases]
        baseline = [rejected_by_baseline(c.text) for c in cases]
        print(f"{split} split: {len(cases)} sentences, "
              f"{sum(c.expect == 'reject' for c in cases)} to reject")  # fmt: skip
        print(_line("rules", scores(cases, rules)))
        print(_line("baseline", scores(cases, baseline)))
        if split == "blind":
            for case, got in zip(cases, rules, strict=True):
                if got != (case.expect == "reject"):
                    print(f"  miss ({case.category}, expected {case.expect}): {case.text}")
        print()


if __name__ == "__main__":
    main()
