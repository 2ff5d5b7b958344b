"""Runtime of the trained specificity classifier: numpy only, no scikit-learn, no pickle.

The artifact is JSON: a TF-IDF vocabulary (binary term frequency, l2-normalised, as trained
with scikit-learn), standardisation constants for the hand-made features, and
logistic-regression weights. Scoring a batch is a few array operations.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from coach.quality.features import FEATURE_NAMES

logger = logging.getLogger(__name__)

ARTIFACT_PATH = Path(__file__).with_name("vague_model.json")
ARTIFACT_VERSION = 1


class ArtifactError(RuntimeError):
    """The classifier artifact is missing or does not match this code."""


@dataclass(frozen=True, slots=True)
class Model:
    """Logistic regression over TF-IDF n-grams plus standardised hand-made features."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    ngram_coef: np.ndarray
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    feature_coef: np.ndarray
    intercept: float

    def predict_proba(self, grams: list[list[str]], features: np.ndarray) -> np.ndarray:
        """Probability that each comment is specific, for the whole batch at once."""
        n = len(grams)
        if n == 0:
            return np.zeros(0)
        rows: list[int] = []
        cols: list[int] = []
        vocab = self.vocabulary
        for i, doc in enumerate(grams):
            # Binary term frequency: each n-gram counts once per comment, as in training.
            idx = {vocab[g] for g in doc if g in vocab}
            cols.extend(idx)
            rows.extend([i] * len(idx))
        row_arr = np.asarray(rows, dtype=np.int64)
        col_arr = np.asarray(cols, dtype=np.int64)
        weights = self.idf[col_arr]
        norms = np.sqrt(np.bincount(row_arr, weights=weights * weights, minlength=n))
        dots = np.bincount(row_arr, weights=weights * self.ngram_coef[col_arr], minlength=n)
        text_part = np.divide(dots, norms, out=np.zeros(n), where=norms > 0)
        scaled = (features - self.feature_mean) / self.feature_scale
        logits = text_part + scaled @ self.feature_coef + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))


def model_from_dict(data: dict[str, object]) -> Model:
    """Build a model from the artifact's JSON object, checking it fits this code."""
    if data.get("version") != ARTIFACT_VERSION:
        raise ArtifactError(f"artifact version {data.get('version')!r} != {ARTIFACT_VERSION}")
    if tuple(data.get("feature_names", ())) != FEATURE_NAMES:  # type: ignore[arg-type]
        raise ArtifactError("artifact was trained with different hand-made features; retrain")
    vocab: list[str] = data["vocabulary"]  # type: ignore[assignment]
    return Model(
        vocabulary={g: i for i, g in enumerate(vocab)},
        idf=np.asarray(data["idf"], dtype=np.float64),
        ngram_coef=np.asarray(data["ngram_coef"], dtype=np.float64),
        feature_mean=np.asarray(data["feature_mean"], dtype=np.float64),
        feature_scale=np.asarray(data["feature_scale"], dtype=np.float64),
        feature_coef=np.asarray(data["feature_coef"], dtype=np.float64),
        intercept=float(data["intercept"]),  # type: ignore[arg-type]
    )


def load_model(path: Path) -> Model:
    """Read an artifact file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(
            f"no classifier artifact at {path}; run python -m coach.quality.train"
        ) from exc
    return model_from_dict(data)


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The packaged model, loaded once per process."""
    model = load_model(ARTIFACT_PATH)
    logger.debug("loaded vague-comment model with %d n-grams", len(model.vocabulary))
    return model
