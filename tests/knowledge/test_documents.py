"""Parsing and validating practice documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.knowledge import DocumentError, KnowledgeBase, parse_markdown, read_documents

VALID = """---
id: five-whys
title: 5个为什么
tags: [诊断, 根因分析]
applies_to: [个人, 团队]
competencies: [分析判断]
---
连续追问为什么，找到根本原因。
"""


def test_parse_valid_document() -> None:
    doc = parse_markdown(VALID, "five-whys.md")
    assert doc.id == "five-whys"
    assert doc.title == "5个为什么"
    assert doc.tags == ["诊断", "根因分析"]
    assert doc.applies_to == ["个人", "团队"]
    assert doc.competencies == ["分析判断"]
    assert doc.body == "连续追问为什么，找到根本原因。"
    assert doc.source == "five-whys.md"


def test_round_trip_through_markdown() -> None:
    doc = parse_markdown(VALID, "a.md")
    again = parse_markdown(doc.to_markdown(), "a.md")
    assert again == doc
    assert again.content_hash == doc.content_hash


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (VALID.replace("id: five-whys", "id: Five Whys"), "id"),
        (VALID.replace("title: 5个为什么", "title: ''"), "title"),
        (VALID.replace("[个人, 团队]", "[个人, 老板]"), "applies_to"),
        (VALID.replace("applies_to: [个人, 团队]", "applies_to: []"), "applies_to"),
        (VALID.replace("tags: [诊断, 根因分析]", "tags: {a: 1}"), "tags"),
        (VALID.replace("---\nid", "id", 1), "front_matter"),
        (VALID.replace("tags: [诊断, 根因分析]", "tags: [诊断"), "front_matter"),
        (VALID.split("---\n连续")[0] + "---\n", "body"),
    ],
)
def test_errors_name_file_and_field(text: str, field: str) -> None:
    with pytest.raises(DocumentError) as info:
        parse_markdown(text, "broken.md")
    assert info.value.file == "broken.md"
    assert info.value.field.split(".")[0] == field
    assert "broken.md" in str(info.value)
    assert field in str(info.value)


def test_scalar_tag_is_accepted_as_list() -> None:
    doc = parse_markdown(VALID.replace("tags: [诊断, 根因分析]", "tags: 诊断"), "a.md")
    assert doc.tags == ["诊断"]


def test_read_documents_reports_bad_file_and_writes_nothing(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text(VALID, encoding="utf-8")
    (folder / "b.md").write_text(VALID.replace("id: five-whys", "id: Five Whys"), encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        kb.ingest(read_documents(folder))
    assert (info.value.file, info.value.field) == ("b.md", "id")
    assert kb.list_documents() == []


def test_read_documents_rejects_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.md").write_text(VALID, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        read_documents(tmp_path)
    assert info.value.field == "id"
    assert info.value.file == "b.md"
