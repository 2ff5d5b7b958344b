"""The library never reaches the network nor Chroma's model-downloading default embedder."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.types import DefaultEmbeddingFunction
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

from coach.knowledge import HashingEmbedder, KnowledgeBase, PracticeDocument


def _forbidden(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("network or default embedding function used")


def test_ingest_and_search_offline(
    tmp_path: Path, library: list[PracticeDocument], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket.socket, "connect", _forbidden)
    monkeypatch.setattr(socket, "create_connection", _forbidden)
    monkeypatch.setattr(DefaultEmbeddingFunction, "__call__", _forbidden)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__init__", _forbidden)

    kb = KnowledgeBase(tmp_path, None, HashingEmbedder())
    kb.ingest(library)
    assert kb.search("校准", k=2)
    col = kb._store.collection("practices")
    assert col is not None
    assert col._embedding_function is None
