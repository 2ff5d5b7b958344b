"""Hybrid search: per-document results, filters, modes and cache invalidation."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.knowledge import KnowledgeBase, PracticeDocument
from coach.knowledge.bm25 import BM25Index, tokenize
from coach.knowledge.search import rrf_fuse
from tests.knowledge.conftest import CountingEmbedder, DocFactory


def test_tokenize_drops_stopwords_and_punctuation() -> None:
    tokens = tokenize("我们的评分，都挤在中间！How do we calibrate?")
    assert "的" not in tokens and "，" not in tokens and "!" not in tokens
    assert "评分" in tokens and "calibrate" in tokens
    assert "we" not in tokens


def test_bm25_prefers_rarer_matching_terms() -> None:
    index = BM25Index([["评分", "校准"], ["评分", "反馈"], ["轮岗"]])
    scores = index.scores(["校准", "评分"])
    assert scores[0] > scores[1] > scores[2] == 0


def test_rrf_rewards_agreement() -> None:
    fused = rrf_fuse([["a", "b", "c"], ["b", "a", "d"]])
    assert fused["a"] == fused["b"] > fused["c"] == fused["d"]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_results_are_per_document(kb: KnowledgeBase, make_doc: DocFactory, mode: str) -> None:
    many_chunks = make_doc(
        "five-whys", body="\n\n".join([f"第{i}段：连续追问为什么找到根因。" * 8 for i in range(6)])
    )
    other = make_doc("fishbone-diagram", title="鱼骨图", body="把原因分类画成鱼骨找根因。" * 8)
    kb.ingest([many_chunks, other])
    hits = kb.search("追问为什么 根因", k=5, mode=mode)  # type: ignore[arg-type]
    ids = [h.id for h in hits]
    assert len(ids) == len(set(ids)) == 2
    assert ids[0] == "five-whys"
    assert hits[0].title == "5个为什么"
    assert hits[0].snippet and len(hits[0].snippet) <= 160
    assert hits[0].score >= hits[1].score


def test_keyword_query_finds_document(kb: KnowledgeBase, library: list[PracticeDocument]) -> None:
    kb.ingest(library)
    assert kb.search("校准 宽严", k=1)[0].id == "calibration-meeting"
    assert kb.search("情境 行为 影响", k=1, mode="bm25")[0].id == "sbi-feedback"


def test_filters(kb: KnowledgeBase, library: list[PracticeDocument]) -> None:
    kb.ingest(library)
    by_tag = kb.search("绩效", k=10, tags=["反馈", "人才发展"])
    assert {h.id for h in by_tag} <= {"sbi-feedback", "job-rotation"}
    assert by_tag
    for_hr = kb.search("绩效 员工", k=10, applies_to=["HR"])
    assert {h.id for h in for_hr} <= {"calibration-meeting", "job-rotation"}
    both = kb.search("绩效", k=10, tags=["人才发展"], applies_to=["管理者"])
    assert both == []
    dense_only = kb.search("评分", k=10, mode="dense", applies_to=["个人"])
    assert {h.id for h in dense_only} == {"sbi-feedback", "job-rotation"}


def test_empty_and_missing(kb: KnowledgeBase, library: list[PracticeDocument]) -> None:
    assert kb.search("任何问题") == []
    kb.ingest(library)
    assert kb.search("   ") == []
    assert kb.search("追问", k=0) == []
    with pytest.raises(ValueError, match="unknown search mode"):
        kb.search("追问", mode="fuzzy")  # type: ignore[arg-type]


def test_cache_follows_writes_from_another_process(
    tmp_path: Path, library: list[PracticeDocument], make_doc: DocFactory
) -> None:
    # Two KnowledgeBase objects on one store stand in for two API workers.
    reader = KnowledgeBase(tmp_path, None, CountingEmbedder())
    writer = KnowledgeBase(tmp_path, None, CountingEmbedder())
    writer.ingest(library)
    assert "okr-co-creation" not in {h.id for h in reader.search("目标共创", k=10)}

    writer.ingest([make_doc("okr-co-creation", title="OKR共创", body="上下共同商定目标共创。" * 6)])
    assert reader.search("目标共创", k=1, mode="bm25")[0].id == "okr-co-creation"
    assert "okr-co-creation" in {s.id for s in reader.list_documents()}

    writer.delete_document("okr-co-creation")
    assert "okr-co-creation" not in {h.id for h in reader.search("目标共创", k=10)}


def test_cache_is_reused_when_nothing_changed(
    kb: KnowledgeBase, library: list[PracticeDocument]
) -> None:
    kb.ingest(library)
    kb.search("追问")
    snapshot = kb._cache["practices"]
    kb.search("反馈")
    kb.ingest(library)  # unchanged: no write, so no new revision
    kb.search("轮岗")
    assert kb._cache["practices"] is snapshot
