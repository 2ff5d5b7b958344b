"""Train the specificity classifier on the train split and write the JSON artifact.

Usage: ``python -m coach.quality.train [--data PATH] [--out PATH] [--cv]``. Deterministic:
the same data gives a byte-identical artifact. Rows of the test split are refused.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from coach.quality.check import analyse
from coach.quality.classifier import ARTIFACT_PATH, ARTIFACT_VERSION, Model, model_from_dict
from coach.quality.features import FEATURE_NAMES, feature_matrix

logger = logging.getLogger(__name__)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "evals" / "data" / "comments.jsonl"
C_VALUE = 1.0
MIN_DF = 2


def load_train_rows(path: Path) -> list[dict[str, object]]:
    """Read the data set and keep only rows of the train split."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if r["split"] == "train"]


def _identity(doc: list[str]) -> list[str]:
    return doc


def _round(values: Iterable[float]) -> list[float]:
    # Fixed precision keeps the artifact small and byte-stable across runs.
    return [float(f"{v:.6g}") for v in values]


def fit(texts: Sequence[str], labels: Sequence[bool]) -> dict[str, object]:
    """Fit on (text, is_vague) pairs and return the artifact as a JSON-ready dict."""
    analyses = [analyse(t) for t in texts]
    vectorizer = TfidfVectorizer(
        analyzer=_identity, binary=True, min_df=MIN_DF, norm="l2", use_idf=True, smooth_idf=True
    )
    x_text = vectorizer.fit_transform([a.grams for a in analyses])
    hand = feature_matrix([a.features for a in analyses])
    mean = hand.mean(axis=0)
    scale = hand.std(axis=0)
    scale[scale == 0] = 1.0
    x = sparse.hstack([x_text, sparse.csr_matrix((hand - mean) / scale)]).tocsr()
    y = np.asarray([not v for v in labels], dtype=int)  # 1 = specific
    clf = LogisticRegression(C=C_VALUE, max_iter=5000, solver="lbfgs")
    clf.fit(x, y)
    n_text = x_text.shape[1]
    coef = clf.coef_[0]
    vocab = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    return {
        "version": ARTIFACT_VERSION,
        "feature_names": list(FEATURE_NAMES),
        "vocabulary": vocab,
        "idf": _round(vectorizer.idf_),
        "ngram_coef": _round(coef[:n_text]),
        "feature_mean": _round(mean),
        "feature_scale": _round(scale),
        "feature_coef": _round(coef[n_text:]),
        "intercept": float(f"{clf.intercept_[0]:.6g}"),
        "n_train": len(texts),
    }


def train(rows: Sequence[dict[str, object]]) -> dict[str, object]:
    """Fit on rows of the train split; any other split is an error, never silently used."""
    bad = [r["id"] for r in rows if r.get("split") != "train"]
    if bad:
        raise ValueError(f"refusing to train on non-train rows: {bad[:5]}")
    return fit([str(r["text"]) for r in rows], [bool(r["vague"]) for r in rows])


def cross_validate(rows: Sequence[dict[str, object]], folds: int = 5) -> dict[str, float]:
    """Stratified k-fold F1 of the vague class on the train split, for tuning without test."""
    from coach.quality.check import check_comments

    texts = [str(r["text"]) for r in rows]
    labels = np.asarray([bool(r["vague"]) for r in rows])
    preds = np.zeros(len(rows), dtype=bool)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for tr, te in splitter.split(texts, labels):
        model: Model = model_from_dict(fit([texts[i] for i in tr], labels[tr].tolist()))
        results = check_comments([texts[i] for i in te], model=model)
        preds[te] = [r.vague for r in results]
    tp = int((preds & labels).sum())
    precision = tp / max(int(preds.sum()), 1)
    recall = tp / max(int(labels.sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": float((preds == labels).mean()),
    }


def write_artifact(artifact: dict[str, object], out: Path) -> None:
    """Write the artifact as compact, key-sorted JSON."""
    out.write_text(
        json.dumps(artifact, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ARTIFACT_PATH)
    parser.add_argument(
        "--cv", action="store_true", help="report 5-fold CV on train, write nothing"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = load_train_rows(args.data)
    if args.cv:
        logger.info("5-fold CV on %d train rows: %s", len(rows), cross_validate(rows))
        return
    artifact = train(rows)
    write_artifact(artifact, args.out)
    vocab = artifact["vocabulary"]
    assert isinstance(vocab, list)
    logger.info("trained on %d rows, %d n-grams -> %s", len(rows), len(vocab), args.out)


if __name__ == "__main__":
    main()
