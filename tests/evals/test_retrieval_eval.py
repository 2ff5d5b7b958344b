"""The retrieval eval: both ingestions of a library, the query files it reads, other libraries."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from coach.cli import app
from coach.core.assets import knowledge_dir
from coach.knowledge import HashingEmbedder, read_documents
from coach.llm import OpenAIEngine
from evals.retrieval import DEV2_QUERIES, evaluate, load_cases, plain_markdown_copy

DOC = "---\nid: pair-review\ntitle: 结对复盘\napplies_to: [团队]\n---\n# 结对复盘\n\n项目结束后两人一组回顾。\n"


def test_plain_copy_strips_front_matter_and_keeps_other_files(tmp_path: Path) -> None:
    source = tmp_path / "lib"
    source.mkdir()
    (source / "pair-review.md").write_text(DOC, encoding="utf-8")
    (source / "listening.txt").write_text("积极倾听\n\n先复述再提问。\n", encoding="utf-8")
    plain = plain_markdown_copy(source, tmp_path / "plain")
    assert (plain / "pair-review.md").read_text(encoding="utf-8").startswith("# 结对复盘")
    assert (plain / "listening.txt").read_bytes() == (source / "listening.txt").read_bytes()
    assert [(d.id, d.title) for d in read_documents(plain)] == [
        ("listening", "积极倾听"),
        ("pair-review", "结对复盘"),
    ]


def test_second_dev_set_is_graded_against_the_shipped_library() -> None:
    cases = load_cases(DEV2_QUERIES)
    shipped = {d.id for d in read_documents(knowledge_dir())}
    assert len(cases) >= 100
    assert {c.kind for c in cases} == {"paraphrase", "symptom", "situation", "keyword", "english"}
    assert all(set(c.relevant) <= shipped for c in cases)


def test_evaluate_scores_a_plain_ingestion(tmp_path: Path) -> None:
    source = tmp_path / "lib"
    source.mkdir()
    (source / "pair-review.md").write_text(DOC, encoding="utf-8")
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"id": "q1", "query": "两人一组回顾", "lang": "zh", "kind": "paraphrase", '
        '"relevant": {"pair-review": 2}}\n',
        encoding="utf-8",
    )
    result = evaluate(docs_dir=source, queries=queries, embedder=HashingEmbedder(), plain=True)
    assert result["overall"]["hybrid"]["recall@1"] == 1.0  # type: ignore[index]


def _library_and_queries(tmp_path: Path, *, front_matter: bool) -> tuple[Path, Path]:
    source = tmp_path / "lib"
    source.mkdir()
    text = DOC if front_matter else DOC.split("---\n", 2)[2]
    (source / "pair-review.md").write_text(text, encoding="utf-8")
    (source / "listening.txt").write_text("积极倾听\n\n先复述再提问。\n", encoding="utf-8")
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"id": "q1", "query": "没人复盘", "lang": "zh", "kind": "symptom", '
        '"relevant": {"listening": 2}}\n',
        encoding="utf-8",
    )
    return source, queries


@pytest.mark.parametrize("front_matter", [True, False])
def test_the_command_scores_another_library_without_showing_its_queries(
    tmp_path: Path, front_matter: bool
) -> None:
    source, queries = _library_and_queries(tmp_path, front_matter=front_matter)
    args = ["eval", "retrieval", "--library", str(source), "--queries", str(queries), "--hashing"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    assert "hybrid-rrf" in result.output and "bm25" in result.output
    assert ("plain Markdown ingestion" in result.output) is front_matter
    assert "shipped" not in result.output and "没人复盘" not in result.output


@respx.mock
def test_the_llm_rerank_row_scores_the_models_order(tmp_path: Path) -> None:
    source, queries = _library_and_queries(tmp_path, front_matter=True)
    # The model puts first the practice graded relevant, which hybrid ranks second.
    arguments = json.dumps({"ranking": ["listening", "pair-review"]})
    answer = {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{
        "index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
        "tool_calls": [{"id": "c", "type": "function", "function": {
            "name": "Ranking", "arguments": arguments}}]}}]}  # fmt: skip
    route = respx.post("http://llm.test/v1/chat/completions").mock(
        return_value=httpx.Response(200, json=answer)
    )
    engine = OpenAIEngine(model="m", api_key="sk-test", base_url="http://llm.test/v1")
    result = evaluate(docs_dir=source, queries=queries, embedder=HashingEmbedder(), reranker=engine)
    overall: dict[str, dict[str, float]] = result["overall"]  # type: ignore[assignment]
    assert route.call_count == 1
    assert overall["hybrid"]["recall@1"] == 0.0
    assert overall["hybrid+llm"]["recall@1"] == 1.0
