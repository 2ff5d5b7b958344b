"""Practice documents: Markdown (with or without a YAML front matter block), text, Word, PDF.

A document with front matter looks like::

    ---
    id: five-whys
    title: 5个为什么
    tags: [诊断, 根因分析]
    applies_to: [个人, 团队]
    ---
    正文……

Without front matter (how HR libraries usually arrive) the id comes from the file name, the
title from the first heading (else a short first line, else the file name) and the practice
is for every audience.
Every problem is reported as a `DocumentError` naming the file and the field so that
an author can fix the library without reading a traceback.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coach.knowledge.errors import DocumentError, UploadError, UploadTooLarge
from coach.knowledge.formats import decode_text, docx_to_markdown, pdf_to_text

logger = logging.getLogger(__name__)

Audience = Literal["个人", "团队", "管理者", "HR"]
AUDIENCES: tuple[str, ...] = ("个人", "团队", "管理者", "HR")

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KNOWN_FIELDS = {"id", "title", "tags", "applies_to", "competencies"}
_FRONT_MATTER_OPENING = re.compile(r"\A\ufeff?---[ \t]*\r?\n")
_FRONT_MATTER_FIELD = re.compile(r"\A(?:id|title|applies_to)[ \t]*:")
_H1 = re.compile(r"^#[ \t]+\S")
_HEADING = re.compile(r"^#{1,6}[ \t]+")
_TITLE_MAX = 40
_NOT_A_TITLE_END = ("。", "！", "？", "；", "：", ".", "!", "?", ";", ":", "，", ",")
SUPPORTED_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".docx", ".pdf")


class PracticeDocument(BaseModel):
    """One practice of the library, validated."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    id: str = Field(description="Stable slug such as `five-whys`.", min_length=2, max_length=80)
    title: str = Field(description="Human title, usually Chinese.", min_length=1, max_length=120)
    tags: list[str] = Field(default_factory=list, description="Free-form topic tags.")
    applies_to: list[Audience] = Field(description="Who the practice is for.", min_length=1)
    competencies: list[str] = Field(default_factory=list, description="Competencies it builds.")
    body: str = Field(description="Markdown body without the front matter.", min_length=1)
    source: str = Field(default="", description="File name it came from, for error messages.")

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be a lowercase slug like 'five-whys' (a-z, 0-9, '-')")
        return value

    @field_validator("tags", "competencies")
    @classmethod
    def _clean_list(cls, value: list[str]) -> list[str]:
        cleaned = [str(v).strip() for v in value]
        if any(not v for v in cleaned):
            raise ValueError("entries must be non-empty strings")
        # Order kept, duplicates dropped: authors often repeat a tag by accident.
        return list(dict.fromkeys(cleaned))

    @field_validator("applies_to")
    @classmethod
    def _unique_audience(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index (not the source file name)."""
        payload = self.model_dump(exclude={"source"})
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def to_markdown(self) -> str:
        """Render back to the on-disk format."""
        meta: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "tags": self.tags,
            "applies_to": list(self.applies_to),
        }
        if self.competencies:
            meta["competencies"] = self.competencies
        head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=None)
        return f"---\n{head}---\n{self.body}\n"


def cjk_count(text: str) -> int:
    """Number of CJK ideographs in `text` (the unit the library's length rule uses)."""
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")


def _as_list(meta: dict[str, object], key: str, filename: str) -> object:
    value = meta.get(key)
    # A single scalar tag is a common slip; accept it rather than fail on style.
    if isinstance(value, str):
        return [value]
    if value is not None and not isinstance(value, list):
        raise DocumentError(filename, key, f"must be a list, got {type(value).__name__}")
    return value


def _validated(data: dict[str, object], filename: str) -> PracticeDocument:
    try:
        return PracticeDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "document"
        if data.get(field.split(".")[0]) is None and first["type"] in {"missing", "string_type"}:
            reason = "is required"
        else:
            reason = first["msg"]
        raise DocumentError(filename, field, reason) from exc


def parse_markdown(text: str, filename: str) -> PracticeDocument:
    """Parse one Markdown practice document; raise `DocumentError` naming file and field."""
    match = _FRONT_MATTER.match(text)
    if not match:
        if _FRONT_MATTER_OPENING.match(text) or _FRONT_MATTER_FIELD.match(text.lstrip("\ufeff")):
            # An author who started front matter and got its fences wrong wants to hear so,
            # not to find the YAML indexed as the practice's text.
            raise DocumentError(
                filename, "front_matter", "a front matter block needs a '---' line before and after"
            )
        title, body = _markdown_title(text)
        # Without a heading, a Markdown file reads like a text file: a short first line titles it.
        return _plain_document(title, body, filename) if title else parse_plain_text(body, filename)
    raw_meta, body = match.group(1), match.group(2).strip()
    try:
        meta = yaml.safe_load(raw_meta) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(filename, "front_matter", f"invalid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise DocumentError(filename, "front_matter", "must be a mapping of fields")
    unknown = sorted(set(map(str, meta)) - _KNOWN_FIELDS)
    if unknown:
        # Tolerated so that libraries with extra house fields still load.
        logger.warning("%s: ignoring unknown front matter fields %s", filename, unknown)
    # HR's own front matter often carries a title and tags only: what it leaves out is read as a
    # plain document's would be (the file name's id, every audience).
    data: dict[str, object] = {
        "id": meta.get("id") if "id" in meta else file_stem_id(filename),
        "title": meta.get("title")
        if "title" in meta
        else _markdown_title(body)[0] or Path(filename).stem,
        "tags": _as_list(meta, "tags", filename) or [],
        "applies_to": (
            _as_list(meta, "applies_to", filename) if "applies_to" in meta else list(AUDIENCES)
        ),
        "competencies": _as_list(meta, "competencies", filename) or [],
        "body": body,
        "source": filename,
    }
    for key in ("id", "title"):
        if isinstance(data[key], int | float):
            data[key] = str(data[key])
    return _validated(data, filename)


def parse_plain_text(text: str, filename: str) -> PracticeDocument:
    """Parse a text practice: a short first line is its title, the rest its body."""
    lines = text.lstrip("\ufeff").strip().splitlines()
    first = lines[0].strip() if lines else ""
    if first and len(first) <= _TITLE_MAX and not first.endswith(_NOT_A_TITLE_END):
        return _plain_document(first, "\n".join(lines[1:]).strip(), filename)
    return _plain_document(None, text.strip(), filename)


def _markdown_title(text: str) -> tuple[str | None, str]:
    """The first level-1 heading (else a heading on the first line) and the body without it."""
    lines = text.lstrip("\ufeff").strip().splitlines()
    candidates = [i for i, line in enumerate(lines) if _H1.match(line)]
    if not candidates and lines and _HEADING.match(lines[0]):
        candidates = [0]
    if not candidates:
        return None, "\n".join(lines).strip()
    at = candidates[0]
    title = _HEADING.sub("", lines[at]).strip().strip("#").strip()
    return title or None, "\n".join(lines[:at] + lines[at + 1 :]).strip()


def file_stem_id(filename: str) -> str:
    """A slug id from a file name; names that are not ASCII get a stable hash-based one."""
    stem = Path(filename).stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60].strip("-")
    if len(slug) >= 2 and stem.isascii():
        return slug
    digest = hashlib.sha256(stem.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}" if len(slug) >= 2 else f"doc-{digest}"


def _plain_document(title: str | None, body: str, filename: str) -> PracticeDocument:
    data: dict[str, object] = {
        "id": file_stem_id(filename),
        "title": (title or Path(filename).stem)[:120],
        "tags": [],
        "applies_to": list(AUDIENCES),
        "competencies": [],
        "body": body,
        "source": filename,
    }
    return _validated(data, filename)


@dataclass(frozen=True, slots=True)
class MarkdownFile:
    """An uploaded file as received: its name and its raw bytes."""

    name: str
    data: bytes


def parse_file(name: str, data: bytes) -> PracticeDocument:
    """Parse one practice file by its extension (.md, .markdown, .txt, .docx, .pdf)."""
    suffix = Path(name).suffix.lower()
    if suffix in (".md", ".markdown"):
        return parse_markdown(decode_text(data, name), name)
    if suffix == ".txt":
        return parse_plain_text(decode_text(data, name), name)
    if suffix == ".docx":
        return parse_markdown(docx_to_markdown(data, name), name)
    if suffix == ".pdf":
        return parse_plain_text(pdf_to_text(data, name), name)
    raise UploadError(name, "file", f"only {', '.join(SUPPORTED_SUFFIXES)} files are accepted")


def parse_upload(upload: MarkdownFile, *, max_bytes: int | None) -> PracticeDocument:
    """Parse one uploaded practice file (at most `max_bytes`); raise `DocumentError`."""
    if max_bytes is not None and len(upload.data) > max_bytes:
        raise UploadTooLarge(upload.name, "file", f"larger than {max_bytes} bytes")
    return parse_file(upload.name, upload.data)


def check_unique(docs: Iterable[PracticeDocument]) -> None:
    """Raise `DocumentError` if two documents share an id."""
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.id in seen:
            raise DocumentError(
                doc.source or doc.id, "id", f"duplicate id {doc.id!r} (also in {seen[doc.id]})"
            )
        seen[doc.id] = doc.source or doc.id


def read_documents(path: Path) -> list[PracticeDocument]:
    """Load and validate every practice file in `path` (sorted); fail on the first bad one."""
    if not path.is_dir():
        raise DocumentError(str(path), "path", "is not a directory")
    docs: list[PracticeDocument] = []
    for file in sorted(path.iterdir()):
        if not file.is_file() or file.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if file.stem.lower() == "readme" or file.name.startswith((".", "~$")):
            continue
        docs.append(parse_file(file.name, file.read_bytes()))
    check_unique(docs)
    return docs
