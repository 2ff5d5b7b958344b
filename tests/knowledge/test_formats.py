"""Practice files as HR has them: Markdown without front matter, text, Word and PDF."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from coach import cli
from coach.core.db import engine_for
from coach.core.models import AuditEvent
from coach.core.settings import Settings
from coach.knowledge import (
    AUDIENCES,
    DocumentError,
    KnowledgeBase,
    MarkdownFile,
    parse_markdown,
    read_documents,
    upload_documents,
)
from coach.knowledge.documents import file_stem_id, parse_file
from tests.knowledge.files import docx_bytes, pdf_bytes

runner = CliRunner()

PLAIN_MD = """# 结对复盘

## 适用场景
项目结束后，同样的问题在下一个项目又出现。

## 做法
1. 两人一组回顾预期和实际。
"""


def test_markdown_without_front_matter_takes_title_from_heading_and_id_from_name() -> None:
    doc = parse_markdown(PLAIN_MD, "pair-review.md")
    assert (doc.id, doc.title) == ("pair-review", "结对复盘")
    assert doc.applies_to == list(AUDIENCES) and doc.tags == []
    assert doc.body.startswith("## 适用场景") and "结对复盘" not in doc.body
    assert doc.source == "pair-review.md"


def test_markdown_without_any_heading_is_titled_by_its_file_name() -> None:
    doc = parse_markdown("项目结束后，两人一组回顾预期和实际，写下下次要改变的一件事。", "复盘.md")
    assert doc.title == "复盘"
    assert doc.id == file_stem_id("复盘.md") and doc.id.startswith("doc-")
    assert file_stem_id("复盘.md") != file_stem_id("结对.md")


def test_markdown_without_heading_but_a_short_first_line_is_titled_by_it() -> None:
    doc = parse_markdown("导师制\n\n为新人配一位资深同事。", "daoshi.md")
    assert (doc.title, doc.body) == ("导师制", "为新人配一位资深同事。")


def test_front_matter_without_its_opening_fence_is_reported() -> None:
    with pytest.raises(DocumentError) as raised:
        parse_markdown("id: x\ntitle: 半个头\n---\n正文", "half.md")
    assert raised.value.field == "front_matter"


def test_text_file_first_short_line_is_the_title() -> None:
    text = "积极倾听\n\n适合的场景：员工说话总被打断。\n\n怎么做：先复述再提问。\n"
    doc = parse_file("active-listening.txt", text.encode("gb18030"))
    assert (doc.id, doc.title) == ("active-listening", "积极倾听")
    assert doc.body.startswith("适合的场景：员工说话总被打断。")


def test_text_file_opening_with_a_sentence_keeps_it_in_the_body() -> None:
    doc = parse_file("notes.txt", "员工说话总被打断时，先复述再提问。\n第二段。".encode())
    assert doc.title == "notes"
    assert doc.body.startswith("员工说话总被打断时")


def test_word_document_headings_become_sections() -> None:
    data = docx_bytes(
        [
            ("a5", "结对复盘"),
            ("1", "适用场景"),
            ("", "同样的问题在下一个项目又出现。"),
            ("1", "做法"),
            ("list", "两人一组回顾预期和实际。"),
        ]
    )
    doc = parse_file("pair-review.docx", data)
    assert doc.title == "结对复盘"
    assert doc.body == (
        "## 适用场景\n\n同样的问题在下一个项目又出现。\n\n## 做法\n\n- 两人一组回顾预期和实际。"
    )


def test_pdf_text_layer_is_read() -> None:
    data = pdf_bytes(
        ["结对复盘", "适用场景：同样的问题在下一个项目又出现。", "做法：两人一组回顾。"]
    )
    doc = parse_file("pair-review.pdf", data)
    assert doc.title == "结对复盘"
    assert "同样的问题在下一个项目又出现" in doc.body and "两人一组回顾" in doc.body


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("scan.pdf", pdf_bytes([]), "no text layer"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj <<", "not a readable PDF"),
        ("memo.docx", b"PK\x03\x04 truncated", "not a Word .docx file"),
        ("empty.docx", b"", "not a Word .docx file"),
        ("notes.rtf", b"{\\rtf1 x}", "only .md"),
        ("binary.txt", b"\x00\x01\x02\x03", "not a text file"),
    ],
    ids=["scan", "broken-pdf", "broken-docx", "empty-docx", "rtf", "binary"],
)
def test_unreadable_files_are_named_with_the_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError) as raised:
        parse_file(name, data)
    assert raised.value.file == name and raised.value.field == "file"
    assert reason in raised.value.reason


def test_word_part_declaring_entities_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "word/document.xml", '<!DOCTYPE x [<!ENTITY a "aaaa">]><w:document>&a;</w:document>'
        )
    with pytest.raises(DocumentError) as raised:
        parse_file("bomb.docx", buffer.getvalue())
    assert "entities" in raised.value.reason


def test_a_mixed_folder_goes_through_one_upload_path_with_audit(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    folder = tmp_path / "hr"
    folder.mkdir()
    (folder / "pair-review.md").write_text(PLAIN_MD, encoding="utf-8")
    (folder / "listening.txt").write_text("积极倾听\n\n先复述再提问。\n", encoding="utf-8")
    (folder / "one-on-one.docx").write_bytes(docx_bytes([("1", "一对一"), ("", "每周一次。")]))
    (folder / "standup.pdf").write_bytes(pdf_bytes(["每日站会", "每天十五分钟同步进展。"]))
    (folder / "~$one-on-one.docx").write_bytes(b"Word lock file")
    docs = read_documents(folder)
    assert sorted(d.id for d in docs) == ["listening", "one-on-one", "pair-review", "standup"]

    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    with Session(engine_for(Settings())) as session:
        upload_documents(
            session,
            kb,
            actor="hr:test",
            collection="acme",
            files=[MarkdownFile(p.name, p.read_bytes()) for p in sorted(folder.glob("[!~]*"))],
            max_bytes=1 << 20,
        )
        session.commit()
    titles = {d.id: d.title for d in kb.list_documents("acme")}
    assert titles == {
        "listening": "积极倾听",
        "one-on-one": "一对一",
        "pair-review": "结对复盘",
        "standup": "每日站会",
    }
    with Session(engine_for(Settings())) as fresh:
        events = fresh.exec(select(AuditEvent.object_id)).all()
    assert sorted(events) == [f"acme/{i}" for i in sorted(titles)]


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("damaged.pdf", pdf_bytes(["结对复盘", "适用场景：同样的问题又出现。"])),
        ("damaged.docx", docx_bytes([("1", "结对复盘"), ("", "同样的问题又出现。")])),
    ],
    ids=["pdf", "docx"],
)
def test_damaged_files_are_document_errors_never_crashes(name: str, valid: bytes) -> None:
    rng = random.Random(4)
    for _ in range(400):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[at] = rng.randrange(256)
            else:
                del data[at : at + rng.randint(1, 20)]
        try:
            parse_file(name, bytes(data))
        except DocumentError as exc:
            assert exc.file == name


def test_front_matter_with_a_title_and_tags_only_reads_the_rest_as_a_plain_document() -> None:
    from coach.knowledge.documents import AUDIENCES, parse_markdown

    doc = parse_markdown(
        "---\ntitle: 交接清单\ntags: [班组]\n---\n适用场景:换班时。\n", "Shift-Handover.md"
    )
    assert (doc.id, doc.title, doc.tags) == ("shift-handover", "交接清单", ["班组"])
    assert list(doc.applies_to) == list(AUDIENCES)
