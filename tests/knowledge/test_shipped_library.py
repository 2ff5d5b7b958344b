"""The practice library shipped in `knowledge/` is valid and within the length rules."""

from __future__ import annotations

from coach.core.assets import knowledge_dir
from coach.knowledge import AUDIENCES, read_documents
from coach.knowledge.chunking import chunk_document
from coach.knowledge.documents import cjk_count


def test_all_shipped_documents_validate() -> None:
    docs = read_documents(knowledge_dir())
    assert len(docs) >= 42
    for doc in docs:
        assert doc.source == f"{doc.id}.md", "file name should match the id"
        assert 150 <= cjk_count(doc.body) <= 500, doc.id
        assert set(doc.applies_to) <= set(AUDIENCES)
        assert doc.tags, doc.id
        for chunk in chunk_document(doc):
            assert chunk.text.startswith(doc.title)
            assert len(chunk.body) <= 320, doc.id
