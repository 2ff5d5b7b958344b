"""Eval of the vague-comment check on the held-out test split, beside a keyword baseline.

Run: ``python -m evals.comments``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from coach.quality import check_comments

DATA = Path(__file__).with_name("data") / "comments.jsonl"

# The baseline a team would write in an afternoon: stock phrases and no digit.
BASELINE_PHRASES = (
    "表现良好",
    "继续努力",
    "再接再厉",
    "还不错",
    "不错",
    "有待提高",
    "认真负责",
    "继续保持",
    "加油",
    "很好",
    "优秀",
    "辛苦",
    "需要加强",
    "需要提升",
    "good job",
    "great job",
    "excellent",
    "great work",
    "keep it up",
    "well done",
    "needs improvement",
)
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled comment of the data set."""

    id: str
    text: str
    vague: bool
    lang: Literal["zh", "en", "mixed"]
    role: str
    type: str
    category: str
    split: Literal["train", "test"]


def load_cases(split: str = "test", path: Path = DATA) -> list[Case]:
    """Read the labelled cases of one split."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [Case(**r) for r in rows if r["split"] == split]


def baseline(text: str) -> bool:
    """Keyword baseline: vague if a stock phrase appears and there is no digit."""
    lowered = text.lower()
    return any(p in lowered for p in BASELINE_PHRASES) and not _DIGIT.search(text)


def scores(truth: list[bool], pred: list[bool]) -> dict[str, float]:
    """Precision, recall and F1 of the vague class, and accuracy."""
    tp = sum(t and p for t, p in zip(truth, pred, strict=True))
    fp = sum(p and not t for t, p in zip(truth, pred, strict=True))
    fn = sum(t and not p for t, p in zip(truth, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(t == p for t, p in zip(truth, pred, strict=True)) / max(len(truth), 1)
    return {"precision": precision, "recall": recall, "f1": f1, "accuracy": accuracy}


def evaluate(split: str = "test") -> dict[str, object]:
    """Score the checker and the baseline on one split, overall, per category and per language."""
    cases = load_cases(split)
    truth = [c.vague for c in cases]
    checker = [r.vague for r in check_comments([c.text for c in cases])]
    base = [baseline(c.text) for c in cases]
    groups: dict[str, dict[str, list[int]]] = {
        "category": defaultdict(list),
        "lang": defaultdict(list),
    }
    for i, c in enumerate(cases):
        groups["category"][c.category].append(i)
        groups["lang"][c.lang].append(i)

    def breakdown(key: str) -> dict[str, dict[str, float]]:
        out = {}
        for name, idx in sorted(groups[key].items()):
            out[name] = {
                "n": len(idx),
                "checker": sum(checker[i] == truth[i] for i in idx) / len(idx),
                "baseline": sum(base[i] == truth[i] for i in idx) / len(idx),
            }
        return out

    errors = [
        {"id": c.id, "text": c.text, "vague": c.vague, "category": c.category}
        for c, p in zip(cases, checker, strict=True)
        if p != c.vague
    ]
    return {
        "split": split,
        "n": len(cases),
        "checker": scores(truth, checker),
        "baseline": scores(truth, base),
        "per_category": breakdown("category"),
        "per_lang": breakdown("lang"),
        "errors": errors,
    }


def main() -> None:
    """Print the figures for the test split."""
    result = evaluate()
    print(f"Vague-comment check, {result['split']} split, n={result['n']}")
    print(f"{'':10}{'precision':>10}{'recall':>10}{'F1':>10}{'accuracy':>10}")
    for name in ("checker", "baseline"):
        s = result[name]
        assert isinstance(s, dict)
        print(
            f"{name:10}{s['precision']:>10.3f}{s['recall']:>10.3f}{s['f1']:>10.3f}{s['accuracy']:>10.3f}"
        )
    for key, title in (("per_category", "category"), ("per_lang", "language")):
        print(f"\nAccuracy per {title}")
        print(f"{'':22}{'n':>5}{'checker':>10}{'baseline':>10}")
        table = result[key]
        assert isinstance(table, dict)
        for name, row in table.items():
            print(f"{name:22}{row['n']:>5}{row['checker']:>10.3f}{row['baseline']:>10.3f}")
    errors = result["errors"]
    assert isinstance(errors, list)
    if errors:
        print(f"\nMisclassified ({len(errors)}):")
        for e in errors:
            print(
                f"  {e['id']} [{e['category']}] gold={'vague' if e['vague'] else 'specific'}: {e['text']}"
            )


if __name__ == "__main__":
    main()
