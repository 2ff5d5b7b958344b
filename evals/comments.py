"""Eval of the vague-comment check per split and language, beside two one-line rules.

Splits: `blind_v7` is the test split: written from the product's definition by someone who
had read neither the rules nor any data, frozen (evals/data/BLIND.md), never tuned on. `blind`,
`blind_v2` … `blind_v6` were the earlier such splits; once their results had been read they
became development splits, and the classifier now trains on them, so their figures here are
in-sample (``python -m coach.quality.train --cv`` gives each one's held-out figure). `old` is
the test half of the team's first set (the classifier trains on its other half); `dev2` is a
second set the team wrote in styles unlike the first, also trained on. The rules a checker
must beat are "no digit → vague" and "shorter than 30 characters → vague".

Run: ``python -m evals.comments [--split blind_v7|blind_v6|…|blind|old|dev2 ...] [--errors]``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coach.quality import check_comments
from coach.quality.features import detect_lang
from coach.quality.script import is_traditional
from coach.quality.train import TRAINING_SOURCES

DATA_DIR = Path(__file__).with_name("data")
DATA = DATA_DIR / "comments.jsonl"
SPLITS: dict[str, tuple[Path, str | None]] = {
    "blind_v7": (DATA_DIR / "comments_blind_v7.jsonl", None),
    "blind_v6": (DATA_DIR / "comments_blind_v6.jsonl", None),
    "blind_v5": (DATA_DIR / "comments_blind_v5.jsonl", None),
    "blind_v4": (DATA_DIR / "comments_blind_v4.jsonl", None),
    "blind_v3": (DATA_DIR / "comments_blind_v3.jsonl", None),
    "blind_v2": (DATA_DIR / "comments_blind_v2.jsonl", None),
    "blind": (DATA_DIR / "comments_blind.jsonl", None),
    "old": (DATA, "test"),
    "dev2": (DATA_DIR / "comments_dev2.jsonl", None),
}
"""Split name → (file, value of the rows' `split` field to keep, or None for every row)."""
TEST_SPLIT = "blind_v7"
SHORT = 30
_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u3400-\u9fff]")
_TRADITIONAL_LABELS = frozenset({"traditional", "zh-hant", "zh_hant", "zh-tw", "zh-hk", "hant"})


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled comment."""

    id: str
    text: str
    vague: bool
    lang: str
    category: str
    traditional: bool


def _lang(row: dict[str, object], text: str) -> str:
    """The row's language as zh, en or mixed; guessed from the text when the row has none."""
    label = str(row.get("lang") or "").lower()
    if label in ("zh", "en", "mixed"):
        return label
    if label.startswith("zh"):
        return "zh"
    has_cjk = _CJK.search(text) is not None
    words = len(re.findall(r"[A-Za-z]{2,}", text))
    if has_cjk and words >= 2:
        return "mixed"
    return detect_lang(text)


def _traditional(row: dict[str, object]) -> bool:
    """Whether the row is labelled as written in traditional characters."""
    labels = {str(row.get(k) or "").lower() for k in ("lang", "script", "category", "variant")}
    return bool(labels & _TRADITIONAL_LABELS) or row.get("traditional") is True


def case_from_row(row: dict[str, object], index: int) -> Case:
    """A case from one JSON row; fields the eval does not use are ignored."""
    text = str(row["text"])
    return Case(
        id=str(row.get("id", index)),
        text=text,
        vague=bool(row["vague"]),
        lang=_lang(row, text),
        category=str(row.get("category", "")),
        traditional=_traditional(row),
    )


def load_cases(split: str = "old") -> list[Case]:
    """Read the labelled cases of one named split."""
    path, keep = SPLITS[split]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        case_from_row(r, i) for i, r in enumerate(rows) if keep is None or r.get("split") == keep
    ]


def no_digit(text: str) -> bool:
    """Rule: a comment without a digit is vague."""
    return _DIGIT.search(text) is None


def short(text: str) -> bool:
    """Rule: a comment shorter than 30 characters is vague."""
    return len(text.strip()) < SHORT


RULES: dict[str, Callable[[str], bool]] = {"no digit": no_digit, f"len<{SHORT}": short}


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


def _groups(cases: Sequence[Case]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {"all": list(range(len(cases)))}
    for lang in ("zh", "en", "mixed"):
        groups[lang] = [i for i, c in enumerate(cases) if c.lang == lang]
    labelled = [i for i, c in enumerate(cases) if c.traditional]
    # Unlabelled splits still get a traditional row, found by the characters themselves.
    groups["traditional"] = labelled or [i for i, c in enumerate(cases) if is_traditional(c.text)]
    return {name: idx for name, idx in groups.items() if idx}


def evaluate(split: str = "old") -> dict[str, object]:
    """Score the checker and the rules on one split, overall and per language."""
    cases = load_cases(split)
    truth = [c.vague for c in cases]
    predictions = {"checker": [r.vague for r in check_comments([c.text for c in cases])]}
    predictions |= {name: [rule(c.text) for c in cases] for name, rule in RULES.items()}
    table = {
        group: {
            "n": len(idx),
            **{
                name: scores([truth[i] for i in idx], [pred[i] for i in idx])
                for name, pred in predictions.items()
            },
        }
        for group, idx in _groups(cases).items()
    }
    errors = [
        {"id": c.id, "text": c.text, "vague": c.vague, "category": c.category, "lang": c.lang}
        for c, p in zip(cases, predictions["checker"], strict=True)
        if p != c.vague
    ]
    overall = table["all"]
    return {
        "split": split,
        "n": len(cases),
        "checker": overall["checker"],
        **{name: overall[name] for name in RULES},
        "per_lang": table,
        "errors": errors,
    }


def split_role(split: str) -> str:
    """How to read a split's figures: the test split, held-out data, or training data."""
    if split == TEST_SPLIT:
        return "test split"
    path, keep = SPLITS[split]
    if (path.name, keep) in TRAINING_SOURCES.values():
        return "classifier trained on it: in-sample"
    return "held out"


def _print_table(result: dict[str, object]) -> None:
    names = ["checker", *RULES]
    split = str(result["split"])
    print(f"{split} split ({split_role(split)}), n={result['n']}: F1 of the vague class / accuracy")
    print(f"{'':13}{'n':>5}" + "".join(f"{name:>18}" for name in names))
    table = result["per_lang"]
    assert isinstance(table, dict)
    for group, row in table.items():
        cells = "".join(f"{row[n]['f1']:>11.3f} /{row[n]['accuracy']:.3f}" for n in names)
        print(f"{group:13}{row['n']:>5}{cells}")


def _print_errors(result: dict[str, object]) -> None:
    errors = result["errors"]
    assert isinstance(errors, list)
    print(f"  misclassified ({len(errors)}):")
    for e in errors:
        gold = "vague" if e["vague"] else "specific"
        print(f"    {e['id']} [{e['category']}, {e['lang']}] gold={gold}: {e['text']}")


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures of each chosen split (all by default); misclassified items on request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=list(SPLITS), dest="splits")
    parser.add_argument("--errors", action="store_true", help="list misclassified comments")
    args = parser.parse_args(argv)
    for split in args.splits or list(SPLITS):
        result = evaluate(split)
        _print_table(result)
        if args.errors:
            _print_errors(result)
        print()


if __name__ == "__main__":
    main()
