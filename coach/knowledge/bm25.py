"""Okapi BM25 over jieba tokens, small enough to rebuild from the store on demand."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]")

# Function words that carry no topic; kept short on purpose so domain words survive.
_STOPWORD_TEXT = """
    的 了 和 与 及 或 在 是 有 也 都 就 而 被 把 让 给 对 从 向 到 为 以 于 之 其 这 那 些 个 着 过
    又 并 但 却 还 再 更 很 最 不 没 无 非 吗 呢 吧 啊 呀 么 什么 怎么 怎样 如何 为什么 哪些 哪个
    我 你 他 她 它 我们 你们 他们 她们 大家 自己 别人 一个 一些 一下 一种
    这个 那个 这些 那些 这样 那样
    可以 能 能够 会 要 需要 应该 可能 已经 正在 如果 因为 所以 但是 而且 然后 以及 还是 或者 时候
    怎么办 有没有 是不是 觉得 总是 老是 特别 非常 比较 方法 办法 做法 问题
    a an the of to in on for and or is are be was were do does how what why which who
    with by at as it its this that these those can should our my your their we you they i me
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())

_TOKENIZER: Any = None
_TOKENIZER_LOCK = threading.Lock()


def _jieba() -> Any:
    # A private Tokenizer so user words we add never leak into other jieba users.
    global _TOKENIZER
    with _TOKENIZER_LOCK:
        if _TOKENIZER is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _TOKENIZER = tokenizer
        return _TOKENIZER


def tokenize(text: str) -> list[str]:
    """Lower-cased jieba search-mode tokens without stopwords and punctuation."""
    tokens = _jieba().cut_for_search(text.lower())
    return [
        t for t in (tok.strip() for tok in tokens) if _WORDLIKE.search(t) and t not in STOPWORDS
    ]


class BM25Index:
    """Okapi BM25 (k1, b) over pre-tokenised documents."""

    def __init__(
        self, corpus: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75
    ) -> None:
        self.k1 = k1
        self.b = b
        self.size = len(corpus)
        self._lengths = np.array([len(doc) for doc in corpus], dtype=np.float32)
        self._avg = float(self._lengths.mean()) if self.size else 0.0
        self._postings: dict[str, list[tuple[int, int]]] = {}
        for idx, doc in enumerate(corpus):
            for term, tf in Counter(doc).items():
                self._postings.setdefault(term, []).append((idx, tf))

    def idf(self, term: str) -> float:
        """Non-negative BM25 idf of `term`."""
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query (zeros where nothing matches)."""
        return self.weighted_scores(Counter(query_tokens))

    def weighted_scores(self, terms: Mapping[str, float]) -> np.ndarray:
        """BM25 with a weight per query term in place of its count in the query."""
        out = np.zeros(self.size, dtype=np.float32)
        if not self.size:
            return out
        norm = self.k1 * (1 - self.b + self.b * self._lengths / max(self._avg, 1e-9))
        for term, weight in terms.items():
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self.idf(term)
            for idx, tf in postings:
                out[idx] += weight * idf * tf * (self.k1 + 1) / (tf + norm[idx])
        return out
