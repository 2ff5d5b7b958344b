"""One upload path: validate, parse, ingest and audit, whether from the API, a page or the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from coach import cli
from coach.core.db import engine_for
from coach.core.hashing import content_hash
from coach.core.models import AuditEvent
from coach.core.settings import Settings
from coach.knowledge import (
    DocumentError,
    HashingEmbedder,
    KnowledgeBase,
    MarkdownFile,
    UploadTooLarge,
    open_knowledge_base,
    upload_documents,
)

runner = CliRunner()


def _markdown(doc_id: str, title: str) -> str:
    return f"---\nid: {doc_id}\ntitle: {title}\napplies_to: [团队]\n---\n{title}的做法：每周复盘一次客户拜访。\n"


def _events(session: Session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)).all())  # type: ignore[arg-type]


def test_cli_ingest_records_an_audit_event_per_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "a.md").write_text(_markdown("weekly-review", "周复盘"), encoding="utf-8")
    (folder / "b.md").write_text(_markdown("pair-review", "结对复盘"), encoding="utf-8")

    def offline(**kwargs: object) -> KnowledgeBase:
        return open_knowledge_base(**kwargs, embedder=HashingEmbedder(dim=256))  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "open_knowledge_base", offline)
    result = runner.invoke(cli.app, ["knowledge", "ingest", str(folder), "--collection", "acme"])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.stdout

    docs = cli.read_documents(folder)
    with Session(engine_for(Settings())) as session:
        events = _events(session)
    assert [(e.actor, e.action, e.object_type, e.object_id, e.after_hash) for e in events] == [
        (
            "cli",
            "knowledge.upsert",
            "practice",
            f"acme/{d.id}",
            content_hash({"hash": d.content_hash}),
        )
        for d in docs
    ]


@pytest.fixture
def home_session(tmp_path: Path) -> Session:
    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    return Session(engine_for(Settings()))


def _upload(session: Session, kb: KnowledgeBase, *files: MarkdownFile) -> None:
    upload_documents(session, kb, actor="hr:test", collection="acme", files=files, max_bytes=4096)


@pytest.mark.parametrize(
    ("bad", "error", "field"),
    [
        (MarkdownFile("notes.rtf", b"{\\rtf1 plain}"), DocumentError, "file"),
        (MarkdownFile("big.md", b"x" * 4097), UploadTooLarge, "file"),
        (MarkdownFile("latin.md", b"caf\xe9 \x80"), DocumentError, "file"),
        (MarkdownFile("scan.pdf", b"%PDF-1.4 not really"), DocumentError, "file"),
        (MarkdownFile("memo.docx", b"PK not a zip"), DocumentError, "file"),
        (
            MarkdownFile("half.md", "id: x\ntitle: 半个头\n---\n正文".encode()),
            DocumentError,
            "front_matter",
        ),
        (
            MarkdownFile("again.md", _markdown("weekly-review", "重复").encode()),
            DocumentError,
            "id",
        ),
    ],
)
def test_one_bad_file_stores_and_audits_nothing(
    home_session: Session, kb: KnowledgeBase, bad: MarkdownFile, error: type, field: str
) -> None:
    good = MarkdownFile("good.md", _markdown("weekly-review", "周复盘").encode())
    with home_session as session, pytest.raises(error) as raised:
        _upload(session, kb, good, bad)
    assert raised.value.file == bad.name and raised.value.field == field
    assert kb.list_documents("acme") == []
    with Session(engine_for(Settings())) as fresh:
        assert _events(fresh) == []
