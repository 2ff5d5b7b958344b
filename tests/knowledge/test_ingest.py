"""Ingesting, updating and deleting documents in the Chroma-backed library."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from coach.knowledge import (
    CollectionNameError,
    DocumentError,
    HashingEmbedder,
    KnowledgeBase,
    PracticeDocument,
    StoreError,
)
from tests.knowledge.conftest import CountingEmbedder, DocFactory


def _chunk_ids(kb: KnowledgeBase, doc_id: str, collection: str = "practices") -> list[str]:
    col = kb._store.collection(collection)
    assert col is not None
    return sorted(c.id for c in kb._store.chunks_for(col, [doc_id]))


def test_ingest_reports_and_lists(kb: KnowledgeBase, library: list[PracticeDocument]) -> None:
    seen: list[tuple[int, int]] = []
    report = kb.ingest(library, progress=lambda done, total: seen.append((done, total)))
    assert (report.added, report.updated, report.unchanged) == (4, 0, 0)
    assert report.chunks >= 4
    assert seen[-1] == (4, 4)
    summaries = kb.list_documents()
    assert [s.id for s in summaries] == sorted(d.id for d in library)
    calibration = next(s for s in summaries if s.id == "calibration-meeting")
    assert calibration.title == "绩效校准会"
    assert calibration.applies_to == ["管理者", "HR"]


def test_reingest_unchanged_does_no_embedding(
    kb: KnowledgeBase, embedder: CountingEmbedder, library: list[PracticeDocument]
) -> None:
    kb.ingest(library)
    calls, embedded = embedder.document_calls, embedder.documents_embedded
    report = kb.ingest(library)
    assert (report.added, report.updated, report.unchanged, report.chunks) == (0, 0, 4, 0)
    assert (embedder.document_calls, embedder.documents_embedded) == (calls, embedded)


def test_changed_document_replaces_its_chunks(
    kb: KnowledgeBase, embedder: CountingEmbedder, make_doc: DocFactory
) -> None:
    long_doc = make_doc("five-whys", body="\n\n".join(["第一段讲追问为什么。" * 12] * 4))
    other = make_doc("sbi-feedback", title="SBI反馈", body="情境行为影响。" * 10)
    kb.ingest([long_doc, other])
    assert len(_chunk_ids(kb, "five-whys")) > 1
    before = embedder.documents_embedded

    short_doc = make_doc("five-whys", body="只剩一段：鱼骨图与追问结合使用。" * 4)
    report = kb.ingest([short_doc, other])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert _chunk_ids(kb, "five-whys") == ["five-whys::0"]
    assert embedder.documents_embedded - before == 1, "only the changed document is embedded"
    stored = kb.get_document("five-whys")
    assert stored is not None and stored.body == short_doc.body
    hits = kb.search("第一段讲追问为什么", mode="bm25")
    assert all("第一段" not in h.snippet for h in hits)


def test_delete_document(kb: KnowledgeBase, library: list[PracticeDocument]) -> None:
    kb.ingest(library)
    assert kb.delete_document("job-rotation") is True
    assert kb.delete_document("job-rotation") is False
    assert kb.delete_document("anything", collection="missing-collection") is False
    assert "job-rotation" not in {s.id for s in kb.list_documents()}
    assert kb.get_document("job-rotation") is None
    assert all(h.id != "job-rotation" for h in kb.search("轮换 部门", k=10))


def test_get_document_round_trip(kb: KnowledgeBase, library: list[PracticeDocument]) -> None:
    kb.ingest(library)
    stored = kb.get_document("sbi-feedback")
    original = next(d for d in library if d.id == "sbi-feedback")
    assert stored is not None
    assert stored.model_dump(exclude={"source"}) == original.model_dump(exclude={"source"})


def test_duplicate_ids_rejected_before_any_write(kb: KnowledgeBase, make_doc: DocFactory) -> None:
    with pytest.raises(DocumentError) as info:
        kb.ingest([make_doc("five-whys"), make_doc("five-whys", title="另一个")])
    assert info.value.field == "id"
    assert kb._store.collection("practices") is None


class FailingEmbedder(HashingEmbedder):
    """Fails on the second batch, as a crashed model would."""

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.calls = 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("model crashed")
        return super().embed_documents(texts)


def test_embedding_failure_leaves_store_untouched(tmp_path: Path, make_doc: DocFactory) -> None:
    kb = KnowledgeBase(tmp_path / "chroma", None, FailingEmbedder())
    docs = [make_doc(f"doc-{i:03d}") for i in range(300)]  # more than one embedding batch
    with pytest.raises(RuntimeError, match="model crashed"):
        kb.ingest(docs)
    assert kb.list_documents() == []


@pytest.mark.parametrize("name", ["ab", "", "has space", "-start", "x" * 600])
def test_collection_names_are_validated(kb: KnowledgeBase, library: list, name: str) -> None:
    with pytest.raises(CollectionNameError, match="invalid collection name"):
        kb.ingest(library, collection=name)
    with pytest.raises(CollectionNameError):
        kb.search("追问", collection=name)


def test_collections_are_separate(kb: KnowledgeBase, library: list[PracticeDocument]) -> None:
    kb.ingest(library[:1], collection="team-a")
    kb.ingest(library[1:], collection="team-b")
    assert [s.id for s in kb.list_documents("team-a")] == ["five-whys"]
    assert len(kb.list_documents("team-b")) == 3
    assert kb.list_documents("practices") == []


def test_embedder_mismatch_is_refused(tmp_path: Path, library: list[PracticeDocument]) -> None:
    KnowledgeBase(tmp_path, None, HashingEmbedder(dim=64)).ingest(library)
    with pytest.raises(StoreError, match="hashing-64"):
        KnowledgeBase(tmp_path, None, HashingEmbedder(dim=32)).ingest(library)
