"""The practice library on a real Chroma server (`chroma run`), as several machines share it:
reached through COACH_CHROMA_URL, it finds what the embedded store finds."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.core.settings import Settings
from coach.knowledge import (
    HashingEmbedder,
    KnowledgeBase,
    ensure_shipped_library,
    open_knowledge_base,
)
from tests.server import free_port, serving

CHROMA = shutil.which("chroma")

pytestmark = pytest.mark.skipif(
    CHROMA is None, reason="no `chroma` executable (installed with the chromadb package) on PATH"
)

QUERIES = ["一对一面谈多久一次", "如何给出具体的反馈", "目标区间怎么定", "校准会议"]


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A `chroma run` server on a free loopback port with its data under tmp_path."""
    assert CHROMA is not None
    port = free_port()
    command = [CHROMA, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with serving(
        command, url=f"http://127.0.0.1:{port}", env=env, cwd=tmp_path,
        log=tmp_path / "chroma.log", timeout=60, health="/api/v2/heartbeat",
    ) as url:  # fmt: skip
        yield url


def _top_hits(kb: KnowledgeBase) -> list[tuple[str, ...]]:
    """Per query: the hybrid top hit, then the dense (vector store only) top three."""
    return [
        (kb.search(query, k=1)[0].id, *(hit.id for hit in kb.search(query, k=3, mode="dense")))
        for query in QUERIES
    ]


def test_the_library_on_a_chroma_server_finds_what_the_embedded_store_finds(
    chroma_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_CHROMA_URL", chroma_url)
    settings = Settings()
    remote = open_knowledge_base(
        chroma_path=settings.chroma_path, chroma_url=settings.chroma_url, embedder=HashingEmbedder()
    )
    embedded = open_knowledge_base(chroma_path=tmp_path / "embedded", embedder=HashingEmbedder())
    first = ensure_shipped_library(remote)
    assert first.added > 10 and first.chunks > 0
    ensure_shipped_library(embedded)
    assert _top_hits(remote) == _top_hits(embedded)
    assert not settings.chroma_path.exists()  # nothing was kept on this machine's disk
    # Another machine opening the same server finds the library in place.
    other = open_knowledge_base(
        chroma_path=tmp_path / "unused", chroma_url=chroma_url, embedder=HashingEmbedder()
    )
    again = ensure_shipped_library(other)
    assert (again.added, again.updated, again.unchanged) == (0, 0, first.added)
    assert _top_hits(other) == _top_hits(embedded)
