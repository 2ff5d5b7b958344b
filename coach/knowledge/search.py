"""Hybrid retrieval: dense (Chroma) + BM25 (in process), fused per document.

Chunks are ranked first, then collapsed to their document (best chunk wins), and only
then fused: fusing chunk lists would reward long documents with many similar chunks.

Fusion adds each signal's z-score over the candidate documents (`zscore_fuse`). Unlike
reciprocal rank fusion it keeps how far ahead a document is: a practice that BM25 finds
far above every other one is not outvoted by middling agreement of both lists (hybrid
recall@3 on the first blind library, now a development split, 0.836 → 0.909, level on the
shipped library's two splits). Weights are equal for Chinese; an English query moves a
quarter of the weight from BM25 to dense, since its BM25 terms are only what the glossary
translated. `evals/retrieval_tuning.py` prints the grid these were picked from: the best
setting on the blind library is level with the best on the shipped one there (recall@3
0.952/0.940 against 0.952/0.944 for RRF with k=10), while that one reaches only
0.873/0.882 on the blind library.

Both lists see the query rewritten by the vocabulary (`coach.knowledge.vocabulary`): BM25
weighs the added words at half a query word, the dense query embeds them with the query.

A third signal compares the query with each document's `needs_text` (its 适用场景 / 症状
part, else its opening) embedded as a query too: a complaint matched against the complaints
a practice answers rather than against its steps. It joins the fusion at the weight of one
list (`_needs_signal`). Hybrid recall@1 / recall@3, front matter and plain Markdown, before →
after: shipped 0.853/0.952 → 0.869/0.944 and 0.865/0.940 → 0.849/0.952; first blind
0.809/0.918 → 0.800/0.927 and 0.800/0.918 → 0.818/0.927; second blind 0.745/0.873 →
0.782/0.900 and 0.727/0.873 → 0.755/0.891. Splitting long situations into clauses and fusing
per clause was measured beside it and dropped (recall@1 fell on the shipped library, recall@3
moved by a query or two either way).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from coach.knowledge.bm25 import BM25Index, tokenize
from coach.knowledge.store import StoredChunk

SearchMode = Literal["hybrid", "dense", "bm25"]
Fusion = Literal["zscore", "rrf"]
RRF_K = 60
SNIPPET_CHARS = 160
_SENTENCE = re.compile(r"(?<=[。！？；!?;])|\n")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# An English word (about five letters) says about as much as one or two Chinese characters.
_LETTERS_PER_CHARACTER = 4


class SearchHit(BaseModel):
    """One retrieved practice."""

    id: str = Field(description="Document id (slug).")
    title: str
    score: float = Field(
        description="Fused score in hybrid mode (weighted z-scores), cosine or BM25 otherwise."
    )
    snippet: str = Field(description="The best matching passage, shortened.")
    matched_sentence: str = Field(
        default="", description="The sentence of the document that best matches the query."
    )
    tags: list[str] = Field(default_factory=list)
    applies_to: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class DocInfo:
    """Per-document fields needed at search time."""

    id: str
    title: str
    tags: tuple[str, ...]
    applies_to: tuple[str, ...]
    competencies: tuple[str, ...]
    content_hash: str
    chunks: int


@dataclass
class IndexSnapshot:
    """Everything derived from one revision of a collection, rebuilt when it changes."""

    revision: str
    chunk_ids: list[str]
    chunk_docs: list[str]
    chunk_bodies: list[str]
    bm25: BM25Index
    docs: dict[str, DocInfo]
    position: dict[str, int] = field(default_factory=dict)
    sentences: dict[str, list[tuple[str, frozenset[str]]]] = field(default_factory=dict)
    # Documents' `needs_text` vectors (one row each, in `needs_docs` order).
    needs_docs: list[str] = field(default_factory=list)
    needs_matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    @classmethod
    def build(cls, revision: str, chunks: Sequence[StoredChunk]) -> IndexSnapshot:
        """Tokenise every chunk and gather document info."""
        ordered = sorted(
            [*chunks, *_needs_chunks(chunks)],
            key=lambda c: (str(c.metadata.get("doc_id")), c.id),
        )
        docs: dict[str, DocInfo] = {}
        for chunk in ordered:
            meta = chunk.metadata
            doc_id = str(meta.get("doc_id", ""))
            if doc_id in docs:
                continue
            docs[doc_id] = DocInfo(
                id=doc_id,
                title=str(meta.get("title", doc_id)),
                tags=tuple(_json_list(meta.get("tags_json"))),
                applies_to=tuple(_json_list(meta.get("applies_json"))),
                competencies=tuple(_json_list(meta.get("competencies_json"))),
                content_hash=str(meta.get("doc_hash", "")),
                chunks=int(meta.get("n_chunks", 0) or 0),
            )
        needs = _needs_vectors(ordered)
        return cls(
            revision=revision,
            chunk_ids=[c.id for c in ordered],
            chunk_docs=[str(c.metadata.get("doc_id", "")) for c in ordered],
            chunk_bodies=[str(c.metadata.get("body_text", c.text)) for c in ordered],
            bm25=BM25Index([tokenize(c.text) for c in ordered]),
            docs=docs,
            position={c.id: i for i, c in enumerate(ordered)},
            sentences=_document_sentences(ordered),
            needs_docs=list(needs),
            needs_matrix=np.vstack(list(needs.values())) if needs else np.zeros((0, 0), np.float32),
        )

    def needs_similarity(self, vector: np.ndarray, doc_ids: Iterable[str]) -> dict[str, float]:
        """Cosine of `vector` with the needs vector of each of `doc_ids` that has one."""
        if not self.needs_docs:
            return {}
        similarity = dict(zip(self.needs_docs, (self.needs_matrix @ vector).tolist(), strict=True))
        return {d: float(similarity[d]) for d in doc_ids if d in similarity}

    def allowed_docs(
        self, tags: Iterable[str] | None, applies_to: Iterable[str] | None
    ) -> set[str] | None:
        """Document ids passing the filters (any listed tag, any listed audience); None = all."""
        tag_set, who = set(tags or ()), set(applies_to or ())
        if not tag_set and not who:
            return None
        return {
            d.id
            for d in self.docs.values()
            if (not tag_set or tag_set & set(d.tags)) and (not who or who & set(d.applies_to))
        }


def encode_vector(vector: np.ndarray) -> str:
    """A vector as text for chunk metadata (float16: four times smaller than JSON, close enough)."""
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def decode_vector(text: str) -> np.ndarray:
    """The float32 vector `encode_vector` wrote."""
    return np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32)


def _needs_chunks(chunks: Sequence[StoredChunk]) -> list[StoredChunk]:
    """A BM25-only chunk per document whose needs sections are not among its passages.

    Its id sorts after the document's stored chunks, so document info still comes from those;
    it is never in Chroma, so dense search never returns it.
    """
    found = []
    for chunk in chunks:
        text, body = (chunk.metadata.get(k) for k in ("needs_chunk_text", "needs_chunk_body"))
        if isinstance(text, str) and text and isinstance(body, str):
            doc_id = str(chunk.metadata.get("doc_id", ""))
            meta = {"doc_id": doc_id, "chunk_index": -1, "body_text": body}
            found.append(StoredChunk(id=f"{doc_id}::needs", text=text, metadata=meta))
    return found


def _needs_vectors(chunks: Sequence[StoredChunk]) -> dict[str, np.ndarray]:
    """Each document's needs vector, from the chunk that carries it (documents ingested before
    it existed have none until they are ingested again)."""
    found: dict[str, np.ndarray] = {}
    for chunk in chunks:
        encoded = chunk.metadata.get("needs_vector")
        if isinstance(encoded, str) and encoded:
            found[str(chunk.metadata.get("doc_id", ""))] = decode_vector(encoded)
    return found


def _document_sentences(
    chunks: Sequence[StoredChunk],
) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Each document's sentences in order with their tokens, from its chunks."""
    found: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for chunk in sorted(chunks, key=lambda c: int(c.metadata.get("chunk_index", 0) or 0)):
        body = str(chunk.metadata.get("body_text", chunk.text))
        doc = found.setdefault(str(chunk.metadata.get("doc_id", "")), [])
        for sentence in (p.strip() for p in _SENTENCE.split(body)):
            if len(sentence) >= 4:
                doc.append((sentence, frozenset(tokenize(sentence))))
    return found


def matched_sentence(
    sentences: Sequence[tuple[str, frozenset[str]]], terms: Mapping[str, float], bm25: BM25Index
) -> str:
    """The sentence sharing the most query weight (rarer words count more); first on ties."""
    best, best_score = "", 0.0
    for sentence, tokens in sentences:
        score = sum(w * bm25.idf(t) for t, w in terms.items() if t in tokens)
        if score > best_score:
            best, best_score = sentence, score
    return best


def _json_list(raw: object) -> list[str]:
    if not isinstance(raw, str) or not raw:
        return []
    value = json.loads(raw)
    return [str(v) for v in value] if isinstance(value, list) else []


def _collapse(
    scored: Iterable[tuple[int, float]], chunk_docs: Sequence[str]
) -> list[tuple[str, float, int]]:
    """Best chunk per document, as (doc id, score, chunk position), best first."""
    best: dict[str, tuple[float, int]] = {}
    for pos, score in scored:
        doc = chunk_docs[pos]
        if doc not in best or score > best[doc][0]:
            best[doc] = (score, pos)
    return sorted(((d, s, p) for d, (s, p) in best.items()), key=lambda t: (-t[1], t[0]))


def zscore_fuse(
    signals: Sequence[Mapping[str, float]],
    weights: Sequence[float],
    *,
    missing: Sequence[float],
) -> dict[str, float]:
    """Weighted sum of each signal's z-score over every document any signal scored.

    A document a signal did not return counts as `missing[i]` for it (BM25: 0; dense: the
    lowest similarity returned, a bound on what it would have had).
    """
    candidates = sorted({doc_id for signal in signals for doc_id in signal})
    fused = dict.fromkeys(candidates, 0.0)
    for signal, weight, default in zip(signals, weights, missing, strict=True):
        values = np.array([signal.get(d, default) for d in candidates], dtype=np.float64)
        spread = float(values.std())
        if spread == 0.0:
            continue  # a signal that ranks every candidate alike cannot tell them apart
        for doc_id, z in zip(candidates, (values - values.mean()) / spread, strict=True):
            fused[doc_id] += weight * float(z)
    return fused


def latin_share(query: str) -> float:
    """How much of `query` is written in Latin letters (0 = all Chinese, 1 = all English)."""
    letters = len(_LATIN.findall(query)) / _LETTERS_PER_CHARACTER
    characters = len(_CJK.findall(query))
    return letters / (letters + characters) if letters + characters else 0.0


def rrf_fuse(
    rankings: Sequence[Sequence[str]], *, k: int = RRF_K, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Reciprocal rank fusion of ranked id lists: sum of weight / (k + rank)."""
    fused: dict[str, float] = {}
    for i, ranking in enumerate(rankings):
        weight = weights[i] if weights is not None else 1.0
        for rank, doc_id in enumerate(ranking, start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + weight / (k + rank)
    return fused


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


DenseFn = Callable[[str, int, Sequence[str] | None], list[tuple[str, float]]]


@dataclass(frozen=True)
class Tuning:
    """Fusion settings, chosen on the development libraries only (`evals/retrieval_tuning.py`).

    `fusion="rrf"` is the earlier reciprocal rank fusion, kept so the eval can print it beside.
    """

    fusion: Fusion = "zscore"
    rrf_k: int = RRF_K
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    # Share of BM25's weight handed to dense for a query written wholly in English.
    english_shift: float = 0.5
    expansion_weight: float = 0.5
    # The dense query embeds the vocabulary's words too: a complaint's vector moves towards
    # the practice's words (hybrid recall@3 on the second dev set 0.881 → 0.927).
    dense_expansion: bool = True
    # Weight of the query against each document's needs vector (0 leaves it out).
    needs_weight: float = 1.0


DEFAULT_TUNING = Tuning()
RRF_TUNING = Tuning(fusion="rrf", english_shift=0.0, needs_weight=0.0)


def fusion_weights(query: str, tuning: Tuning) -> tuple[float, float]:
    """Dense and BM25 weights for `query`: BM25 cedes `english_shift` of its weight on English."""
    shift = tuning.english_shift * latin_share(query)
    return tuning.dense_weight * (1 + shift), tuning.bm25_weight * (1 - shift)


def query_terms(query: str, expansion: Sequence[str], weight: float) -> dict[str, float]:
    """BM25 term weights: the query's own tokens by count, words the vocabulary added `weight`."""
    terms: dict[str, float] = dict(Counter(tokenize(query)))
    for token in tokenize(" ".join(expansion)):
        if token not in terms:
            terms[token] = weight
    return terms


def run_search(
    snapshot: IndexSnapshot,
    query: str,
    *,
    dense: DenseFn,
    k: int,
    mode: SearchMode,
    tags: Sequence[str] | None = None,
    applies_to: Sequence[str] | None = None,
    depth: int = 50,
    expansion: Sequence[str] = (),
    tuning: Tuning = DEFAULT_TUNING,
    embed_query: Callable[[str], np.ndarray] | None = None,
) -> list[SearchHit]:
    """Rank documents of `snapshot` for `query`; `dense(text, n, doc_ids)` gives chunk similarities.

    `expansion` holds the words query rewriting added (`Vocabulary.expand`); `embed_query`,
    when given, embeds the query for the needs signal (hybrid mode).
    """
    allowed = snapshot.allowed_docs(tags, applies_to)
    if k <= 0 or not snapshot.chunk_ids or (allowed is not None and not allowed):
        return []
    within = sorted(allowed) if allowed is not None else None
    terms = query_terms(query, expansion, tuning.expansion_weight)
    dense_text = " ".join([query, *expansion]) if tuning.dense_expansion and expansion else query
    lists: list[list[tuple[str, float, int]]] = []
    if mode in ("dense", "hybrid"):
        # Several chunks per document, so ask for more chunks than documents needed.
        hits = dense(dense_text, max(depth, k) * 3, within)
        scored = [(snapshot.position[cid], sim) for cid, sim in hits if cid in snapshot.position]
        lists.append(_collapse(scored, snapshot.chunk_docs)[: max(depth, k)])
    if mode in ("bm25", "hybrid"):
        scores = snapshot.bm25.weighted_scores(terms)
        order = np.flatnonzero(scores > 0)
        scored = [
            (int(i), float(scores[i]))
            for i in order
            if allowed is None or snapshot.chunk_docs[int(i)] in allowed
        ]
        lists.append(_collapse(scored, snapshot.chunk_docs)[: max(depth, k)])

    if mode == "hybrid":
        fused = _fuse(lists[0], lists[1], fusion_weights(query, tuning), tuning)
        if embed_query is not None and tuning.needs_weight and snapshot.needs_docs:
            needs = _needs_signal(snapshot, [query, dense_text], fused, embed_query)
            fused = _with_needs(fused, needs, sum(fusion_weights(query, tuning)), tuning)
        best_pos = {}
        # Snippet from the dense list's best chunk when it has one (applied last, so it wins).
        for ranked in reversed(lists):
            best_pos.update({d: p for d, _, p in ranked})
        final = sorted(fused.items(), key=lambda t: (-t[1], t[0]))[:k]
        rows = [(d, s, best_pos[d]) for d, s in final]
    else:
        rows = lists[0][:k]
    return [_hit(snapshot, doc_id, score, pos, terms) for doc_id, score, pos in rows]


def _fuse(
    dense: Sequence[tuple[str, float, int]],
    bm25: Sequence[tuple[str, float, int]],
    weights: tuple[float, float],
    tuning: Tuning,
) -> dict[str, float]:
    if tuning.fusion == "rrf":
        ranked = [[d for d, _, _ in dense], [d for d, _, _ in bm25]]
        return rrf_fuse(ranked, k=tuning.rrf_k, weights=weights)
    lowest = min((score for _, score, _ in dense), default=0.0)
    return zscore_fuse(
        [{d: s for d, s, _ in dense}, {d: s for d, s, _ in bm25}], weights, missing=(lowest, 0.0)
    )


def _needs_signal(
    snapshot: IndexSnapshot,
    texts: Sequence[str],
    candidates: Iterable[str],
    embed_query: Callable[[str], np.ndarray],
) -> dict[str, float]:
    """Per candidate, the best needs similarity of the query as typed and as rewritten.

    As typed, a complaint meets the complaints a practice answers; the rewritten one keeps a
    practice that merely shares a word ("拖了很久") from outranking the ones the vocabulary
    knows answer it ("拖延" → 进度, 预警): on the three development libraries the maximum is
    level at recall@3 with the typed query alone and keeps the issue's own example right.
    """
    wanted = list(candidates)
    best: dict[str, float] = {}
    for text in dict.fromkeys(texts):
        for doc_id, similarity in snapshot.needs_similarity(embed_query(text), wanted).items():
            best[doc_id] = max(similarity, best.get(doc_id, similarity))
    return best


def _with_needs(
    fused: Mapping[str, float], needs: Mapping[str, float], weight: float, tuning: Tuning
) -> dict[str, float]:
    """`fused` (whose signals weigh `weight` together) plus the needs signal's z-score.

    The sum is scaled back to `weight`, so that a score keeps the scale of two signals' z-scores
    that score bars such as the development chain's `MIN_SCORE` were set on.
    """
    if not needs:
        return dict(fused)
    # A candidate without a needs vector counts as the least similar one.
    lowest = min(needs.values())
    complete = {d: needs.get(d, lowest) for d in fused}
    signal = zscore_fuse([complete], [tuning.needs_weight], missing=(lowest,))
    scale = weight / (weight + tuning.needs_weight)
    return {d: (score + signal[d]) * scale for d, score in fused.items()}


def _hit(
    snapshot: IndexSnapshot, doc_id: str, score: float, pos: int, terms: Mapping[str, float]
) -> SearchHit:
    info = snapshot.docs[doc_id]
    sentence = matched_sentence(snapshot.sentences.get(doc_id, ()), terms, snapshot.bm25)
    return SearchHit(
        id=doc_id,
        title=info.title,
        score=round(float(score), 6),
        snippet=_snippet(snapshot.chunk_bodies[pos]),
        matched_sentence=sentence,
        tags=list(info.tags),
        applies_to=list(info.applies_to),
    )


def doc_summary_fields(info: DocInfo) -> Mapping[str, object]:
    """Fields of a `DocInfo` in the shape `DocumentSummary` takes."""
    return {
        "id": info.id,
        "title": info.title,
        "tags": list(info.tags),
        "applies_to": list(info.applies_to),
        "competencies": list(info.competencies),
        "chunks": info.chunks,
        "content_hash": info.content_hash,
    }
