"""Fixtures for the practice library tests: a fresh Chroma dir and a counting embedder each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from coach.knowledge import HashingEmbedder, KnowledgeBase, PracticeDocument


class CountingEmbedder(HashingEmbedder):
    """A real embedder that records how much work it was asked to do."""

    def __init__(self) -> None:
        super().__init__(dim=128)
        self.document_calls = 0
        self.documents_embedded = 0
        self.query_calls = 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.document_calls += 1
        self.documents_embedded += len(texts)
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.query_calls += 1
        return super().embed_query(text)


DocFactory = Callable[..., PracticeDocument]


@pytest.fixture
def make_doc() -> DocFactory:
    """Build a valid PracticeDocument; override any field by keyword."""

    def build(doc_id: str = "five-whys", **overrides: object) -> PracticeDocument:
        fields: dict[str, object] = {
            "id": doc_id,
            "title": "5个为什么",
            "tags": ["诊断"],
            "applies_to": ["团队"],
            "body": "连续追问为什么，找到问题的根本原因。" * 5,
        }
        fields.update(overrides)
        return PracticeDocument.model_validate(fields)

    return build


@pytest.fixture
def embedder() -> CountingEmbedder:
    """A fresh counting embedder."""
    return CountingEmbedder()


@pytest.fixture
def kb(tmp_path: Path, embedder: CountingEmbedder) -> KnowledgeBase:
    """A knowledge base on its own temporary Chroma directory."""
    return KnowledgeBase(tmp_path / "chroma", None, embedder)


@pytest.fixture
def library(make_doc: DocFactory) -> list[PracticeDocument]:
    """A small, varied library."""
    return [
        make_doc(
            "five-whys",
            title="5个为什么",
            tags=["诊断", "根因分析"],
            applies_to=["团队", "管理者"],
            body="围绕一个绩效问题连续追问为什么，直到找到流程上的根本原因。" * 3,
        ),
        make_doc(
            "calibration-meeting",
            title="绩效校准会",
            tags=["绩效评估", "公平"],
            applies_to=["管理者", "HR"],
            body="几位经理一起讨论评分依据，修正宽严不一，让评分拉开差距。" * 3,
        ),
        make_doc(
            "sbi-feedback",
            title="SBI反馈法",
            tags=["反馈"],
            applies_to=["个人", "管理者"],
            body="说清情境、行为和影响，让反馈具体而不是贴标签。" * 3,
        ),
        make_doc(
            "job-rotation",
            title="岗位轮换",
            tags=["人才发展"],
            applies_to=["个人", "HR"],
            body="安排员工到其他部门工作几个月，拓展视野和技能。" * 3,
        ),
    ]
