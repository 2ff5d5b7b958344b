"""The needs signal: a query matched against the part of each practice that says when to use it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from coach.knowledge import KnowledgeBase, PracticeDocument, parse_file
from coach.knowledge.chunking import NEEDS_MAX_CHARS, chunk_document, index_pieces, needs_text
from coach.knowledge.search import (
    DEFAULT_TUNING,
    IndexSnapshot,
    Tuning,
    decode_vector,
    encode_vector,
    run_search,
)
from coach.knowledge.store import StoredChunk
from tests.knowledge.conftest import CountingEmbedder, DocFactory

STEPS = "## 做法\n1. 列出手头的全部工作。\n2. 为每件事定授权等级。\n"


@pytest.mark.parametrize(
    "body",
    [
        f"## 适用场景\n主管事事亲力亲为，下属成长慢。\n\n{STEPS}",
        f"**适用症状**：主管事事亲力亲为，下属成长慢。\n\n{STEPS}",
        f"{STEPS}\n症状：主管事事亲力亲为，下属成长慢。\n",
        f"{STEPS}\n什么时候用\n- 主管事事亲力亲为，下属成长慢。\n",
    ],
)
def test_needs_text_is_the_part_that_says_when_to_use_the_practice(
    make_doc: DocFactory, body: str
) -> None:
    text = needs_text(make_doc("delegation", title="分级授权", body=body))
    assert text == "分级授权：主管事事亲力亲为，下属成长慢。"


def test_without_such_a_part_the_opening_paragraph_says_it(make_doc: DocFactory) -> None:
    body = "很多谈话里管理者说了八成的话。\n\n## 要点\n一、全神贯注。\n二、复述确认。"
    doc = make_doc("active-listening", title="积极倾听", body=body)
    assert needs_text(doc) == "积极倾听：很多谈话里管理者说了八成的话。"


def test_a_title_that_is_only_the_file_name_is_left_out() -> None:
    doc = parse_file("delegation.txt", "第一段写下属成长慢的情形。\n\n第二段写做法。".encode())
    assert doc.title == "delegation"
    assert needs_text(doc) == "第一段写下属成长慢的情形。"


def test_the_needs_section_is_left_out_of_the_passages(make_doc: DocFactory) -> None:
    doc = make_doc(
        "delegation", title="分级授权", body=f"## 适用场景\n主管事事亲力亲为。\n\n{STEPS}"
    )
    pieces = index_pieces(doc)
    assert all("亲力亲为" not in chunk.text for chunk in pieces.chunks)
    assert any("授权等级" in chunk.text for chunk in pieces.chunks)
    assert pieces.needs_chunk is not None
    assert pieces.needs_chunk.text == "分级授权\n主管事事亲力亲为。"
    assert chunk_document(doc) == pieces.chunks


@pytest.mark.parametrize(
    "body",
    ["很多谈话里管理者说了八成的话。\n\n## 要点\n一、全神贯注。", "## 适用场景\n只有这一节。"],
)
def test_a_body_without_a_needs_section_or_with_nothing_else_stays_whole(
    make_doc: DocFactory, body: str
) -> None:
    doc = make_doc("listening", title="积极倾听", body=body)
    pieces = index_pieces(doc)
    assert pieces.needs_chunk is None
    assert "\n".join(chunk.body for chunk in pieces.chunks).count("。") == body.count("。")


def test_bm25_still_finds_a_practice_by_the_words_of_its_needs_section(
    tmp_path: Path, embedder: CountingEmbedder, make_doc: DocFactory
) -> None:
    kb = KnowledgeBase(tmp_path / "chroma", None, embedder)
    body = f"## 适用场景\n仓库盘点差错反复出现。\n\n{STEPS}"
    kb.ingest([make_doc("delegation", title="分级授权", body=body), make_doc("five-whys")])
    hits = kb.search("盘点差错", k=1, mode="bm25")
    assert [h.id for h in hits] == ["delegation"]
    assert "盘点差错" in hits[0].matched_sentence


def test_bm25_reads_a_long_needs_section_past_what_the_needs_vector_embeds(
    tmp_path: Path, embedder: CountingEmbedder, make_doc: DocFactory
) -> None:
    filler = "".join(f"第{i}种情形是交接不清。" for i in range(40))
    body = f"## 适用场景\n{filler}最后一种是夜班叉车调度混乱。\n\n{STEPS}"
    doc = make_doc("delegation", title="分级授权", body=body)
    assert "叉车调度" not in needs_text(doc) and len(needs_text(doc)) == NEEDS_MAX_CHARS
    kb = KnowledgeBase(tmp_path / "chroma", None, embedder)
    kb.ingest([doc, make_doc("five-whys")])
    hits = kb.search("叉车调度", k=1, mode="bm25")
    assert [h.id for h in hits] == ["delegation"]
    assert "叉车调度" in hits[0].matched_sentence


def test_a_vector_survives_its_round_trip_through_chunk_metadata() -> None:
    vector = np.random.default_rng(3).normal(size=384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    assert np.allclose(decode_vector(encode_vector(vector)), vector, atol=1e-3)


def _chunk(doc_id: str, body: str, needs: np.ndarray) -> StoredChunk:
    metadata = {
        "doc_id": doc_id, "title": doc_id, "tags_json": "[]", "applies_json": json.dumps(["团队"]),
        "chunk_index": 0, "n_chunks": 1, "body_text": body, "needs_vector": encode_vector(needs),
    }  # fmt: skip
    return StoredChunk(id=f"{doc_id}::0", text=f"{doc_id}\n{body}", metadata=metadata)


AXES = {name: np.eye(4, dtype=np.float32)[i] for i, name in enumerate(["a", "b", "c", "d"])}


def _ranked(similarity: Mapping[str, float], needs: Mapping[str, str], tuning: Tuning) -> list[str]:
    snapshot = IndexSnapshot.build(
        "r1", [_chunk(d, f"{d} 的做法步骤。", AXES[axis]) for d, axis in needs.items()]
    )

    def dense(text: str, n: int, doc_ids: Sequence[str] | None) -> list[tuple[str, float]]:
        return [(f"{d}::0", s) for d, s in sorted(similarity.items(), key=lambda t: -t[1])[:n]]

    def embed(text: str) -> np.ndarray:
        return AXES["a"]  # the query reads like the first practice's needs

    hits = run_search(snapshot, "下属成长慢", dense=dense, k=3, mode="hybrid", tuning=tuning,
                      embed_query=embed)  # fmt: skip
    return [h.id for h in hits]


def test_a_query_like_a_practices_needs_lifts_it_above_closer_steps() -> None:
    # Dense prefers "rotation" a little; the query reads as "delegation"'s needs do.
    similarity = {"rotation": 0.82, "delegation": 0.80, "praise": 0.70, "okr": 0.69}
    needs = {"delegation": "a", "rotation": "b", "praise": "c", "okr": "d"}
    assert _ranked(similarity, needs, DEFAULT_TUNING)[0] == "delegation"
    without = Tuning(needs_weight=0.0)
    assert _ranked(similarity, needs, without)[0] == "rotation"


def test_ingest_stores_a_needs_vector_per_document_and_renews_it_on_change(
    tmp_path: Path, embedder: CountingEmbedder, make_doc: DocFactory
) -> None:
    kb = KnowledgeBase(tmp_path / "chroma", None, embedder)
    docs = [
        make_doc("delegation", title="分级授权", body=f"## 适用场景\n下属成长慢。\n\n{STEPS}"),
        make_doc("okr", title="目标与关键结果", body="## 适用场景\n目标没人记得。\n\n## 做法\n定目标。"),
    ]  # fmt: skip
    kb.ingest(docs)
    snapshot = kb._snapshot("practices")
    assert snapshot is not None
    assert sorted(snapshot[1].needs_docs) == ["delegation", "okr"]
    first = snapshot[1].needs_similarity(embedder.embed_query(needs_text(docs[0])), ["delegation"])
    assert first["delegation"] == pytest.approx(1.0, abs=1e-2)

    changed = docs[0].model_copy(update={"body": f"## 适用场景\n主管忙不过来。\n\n{STEPS}"})
    kb.ingest([PracticeDocument.model_validate(changed.model_dump())])
    renewed = kb._snapshot("practices")
    assert renewed is not None
    vector = embedder.embed_query(needs_text(changed))
    assert renewed[1].needs_similarity(vector, ["delegation"])["delegation"] == pytest.approx(
        1.0, abs=1e-2
    )
