"""Fusing dense and BM25: how far ahead a document is counts, and English leans on dense."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest

from coach.knowledge.search import IndexSnapshot, SearchHit, latin_share, run_search, zscore_fuse
from coach.knowledge.store import StoredChunk


def _chunk(doc_id: str, body: str) -> StoredChunk:
    metadata = {
        "doc_id": doc_id, "title": doc_id, "tags_json": "[]", "applies_json": json.dumps(["团队"]),
        "chunk_index": 0, "n_chunks": 1, "body_text": body,
    }  # fmt: skip
    return StoredChunk(id=f"{doc_id}::0", text=f"{doc_id}\n{body}", metadata=metadata)


def _snapshot(bodies: Mapping[str, str]) -> IndexSnapshot:
    return IndexSnapshot.build("r1", [_chunk(d, body) for d, body in bodies.items()])


def _search(snapshot: IndexSnapshot, query: str, similarity: Mapping[str, float]) -> list[str]:
    def dense(text: str, n: int, doc_ids: Sequence[str] | None) -> list[tuple[str, float]]:
        ranked = sorted(similarity.items(), key=lambda t: -t[1])[:n]
        return [(f"{doc_id}::0", sim) for doc_id, sim in ranked]

    hits: list[SearchHit] = run_search(snapshot, query, dense=dense, k=3, mode="hybrid")
    return [h.id for h in hits]


def test_a_practice_far_ahead_in_bm25_is_not_outvoted_by_middling_agreement() -> None:
    # Only "fishbone" names both query words, "checklist" one of them once; the dense model
    # barely tells the six apart and puts "checklist" second, "fishbone" fifth.
    snapshot = _snapshot({
        "fishbone": "鱼骨图把根因按人机料法环分类。鱼骨图画在白板上，每根鱼骨是一类根因。",
        "checklist": "检查清单，逐项核对，偶尔也能发现根因。",
        "coaching": "教练式提问，引导员工自己想办法。",
        "okr": "目标与关键结果，季度对齐。",
        "praise": "及时认可员工的贡献。",
        "rotation": "岗位轮换，拓宽视野。",
    })  # fmt: skip
    similarity = {
        "coaching": 0.80, "checklist": 0.79, "okr": 0.78,
        "praise": 0.77, "fishbone": 0.76, "rotation": 0.75,
    }  # fmt: skip
    assert _search(snapshot, "鱼骨图 根因", similarity)[0] == "fishbone"


LIBRARY = {
    "retro": "retrospective 复盘会：项目结束后回顾做得好的和要改进的。",
    "listening": "积极倾听：复述对方的话，确认理解。",
    "praise": "及时认可：在事情发生后一周内具体地表扬。",
    "okr": "目标对齐：把公司目标拆到团队。",
}
# Dense prefers "listening"; BM25 finds only "retro", which names the query's words.
SIMILARITY = {"listening": 0.86, "praise": 0.84, "retro": 0.80, "okr": 0.70}


@pytest.mark.parametrize(
    ("query", "first"),
    [("复盘会 回顾", "retro"), ("how to run a retrospective well", "listening")],
)
def test_an_english_query_weighs_dense_above_the_words_bm25_matched(query: str, first: str) -> None:
    assert _search(_snapshot(LIBRARY), query, SIMILARITY)[0] == first


def test_a_signal_that_scores_every_candidate_alike_leaves_the_order_to_the_other() -> None:
    fused = zscore_fuse(
        [{"a": 0.5, "b": 0.5, "c": 0.5}, {"a": 1.0, "c": 3.0}], (1.0, 1.0), missing=(0.5, 0.0)
    )
    assert sorted(fused, key=lambda d: -fused[d]) == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [("员工总是拖延交付", 0.0, 0.0), ("5 why 怎么用", 0.1, 0.3), ("stay interview", 1.0, 1.0)],
)
def test_latin_share_counts_a_word_of_english_near_a_chinese_character(
    query: str, low: float, high: float
) -> None:
    assert low <= latin_share(query) <= high
