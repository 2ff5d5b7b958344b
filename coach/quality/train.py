"""Train the specificity classifier on the development data and write the JSON artifact.

The training data is the train half of the team's first set plus every labelled split whose
results have been read: the team's second set and the blind splits that became development
splits once measured. The newest blind split is the test split and is never read here; nor is
the test half of the first set.

Usage: ``python -m coach.quality.train [--out PATH] [--cv]``. ``--cv`` trains once per
source with that source left out and prints its held-out figures, which is what the in-sample
figures of `coach eval comments` on a training split should be read against. Deterministic:
the same data gives a byte-identical artifact. Rows of a test split are refused.
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

from coach.quality.check import analyse
from coach.quality.classifier import ARTIFACT_PATH, ARTIFACT_VERSION, model_from_dict
from coach.quality.features import FEATURE_NAMES, feature_matrix

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[2] / "evals" / "data"
TRAINING_SOURCES: dict[str, tuple[str, str | None]] = {
    "train": ("comments.jsonl", "train"),
    "dev2": ("comments_dev2.jsonl", None),
    "blind": ("comments_blind.jsonl", None),
    "blind_v2": ("comments_blind_v2.jsonl", None),
    "blind_v3": ("comments_blind_v3.jsonl", None),
    "blind_v4": ("comments_blind_v4.jsonl", None),
    "blind_v5": ("comments_blind_v5.jsonl", None),
    "blind_v6": ("comments_blind_v6.jsonl", None),
}
"""Source name → (file under evals/data, value of the rows' `split` field to keep, or None)."""
# Chosen by leave-one-source-out F1 over the blind development splits (C 0.3 … 30).
C_VALUE = 10.0
MIN_DF = 2


def load_training_rows(data_dir: Path = DATA_DIR) -> list[dict[str, object]]:
    """Every training row, each marked with the source it came from."""
    rows: list[dict[str, object]] = []
    for source, (name, keep) in TRAINING_SOURCES.items():
        path = data_dir / name
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in filter(None, lines):
            row = json.loads(line)
            if keep is not None and row.get("split") != keep:
                continue
            rows.append({**row, "source": source})
    return rows


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
    """Fit on development rows; a row marked as a test split is an error, never silently used."""
    bad = [r["id"] for r in rows if r.get("split") == "test"]
    if bad:
        raise ValueError(f"refusing to train on test rows: {bad[:5]}")
    return fit([str(r["text"]) for r in rows], [bool(r["vague"]) for r in rows])


def _scores(preds: np.ndarray, labels: np.ndarray) -> dict[str, float]:
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


def leave_one_source_out(rows: Sequence[dict[str, object]]) -> dict[str, dict[str, float]]:
    """Per source, the figures of a model trained on every other source: held-out estimates."""
    from coach.quality.check import check_comments

    sources = sorted({str(r["source"]) for r in rows} - {"train"})
    report: dict[str, dict[str, float]] = {}
    for held in sources:
        kept = [r for r in rows if r["source"] != held]
        tested = [r for r in rows if r["source"] == held]
        model = model_from_dict(train(kept))
        results = check_comments([str(r["text"]) for r in tested], model=model)
        preds = np.asarray([r.vague for r in results])
        report[held] = _scores(preds, np.asarray([bool(r["vague"]) for r in tested]))
    return report


def write_artifact(artifact: dict[str, object], out: Path) -> None:
    """Write the artifact as compact, key-sorted JSON."""
    out.write_text(
        json.dumps(artifact, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=ARTIFACT_PATH)
    parser.add_argument(
        "--cv", action="store_true", help="report leave-one-source-out figures, write nothing"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = load_training_rows(args.data_dir)
    if args.cv:
        for source, figures in leave_one_source_out(rows).items():
            logger.info(
                "%-9s held out: F1 %.3f, accuracy %.3f",
                source,
                figures["f1"],
                figures["accuracy"],
            )
        return
    artifact = train(rows)
    write_artifact(artifact, args.out)
    vocab = artifact["vocabulary"]
    assert isinstance(vocab, list)
    logger.info("trained on %d rows, %d n-grams -> %s", len(rows), len(vocab), args.out)


if __name__ == "__main__":
    main()
