"""Text out of the file formats HR libraries arrive in: plain text, Word (.docx) and PDF.

Only the text matters (well-kept libraries, no images or layout). A .docx is read with the
standard library (it is zipped XML); its headings become Markdown headings so the rest of
the pipeline treats it like a Markdown file without front matter. A PDF goes through pypdf,
which is pure Python. Every failure is a `DocumentError` naming the file.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import zipfile
import zlib
from xml.etree import ElementTree

from coach.knowledge.errors import DocumentError

logger = logging.getLogger(__name__)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^heading\s*([1-6])$", re.I)
_SENTENCE_END = "。！？；：.!?;:」）)"
_MAX_PART_BYTES = 50 * 1024 * 1024


def decode_text(data: bytes, name: str) -> str:
    """Text of a text file: UTF-8 (BOM optional), UTF-16 with a BOM, else GB18030."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        # Chinese Windows tools still save "ANSI" text as GBK, which GB18030 extends.
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        if encoding == "gb18030":
            logger.info("%s: not UTF-8, read as GB18030", name)
        return text
    raise DocumentError(name, "file", "not a text file in UTF-8, UTF-16 or GB18030")


def _xml(archive: zipfile.ZipFile, member: str, name: str) -> ElementTree.Element | None:
    try:
        info = archive.getinfo(member)
    except KeyError:
        return None
    # A zip's header states its unpacked size: refuse a bomb before inflating it.
    if info.file_size > _MAX_PART_BYTES:
        raise DocumentError(name, "file", f"{member} unpacks to more than {_MAX_PART_BYTES} bytes")
    # zipfile signals a damaged or encrypted member with any of these (found by mutating
    # valid files); each means the upload cannot be read, never a server error.
    try:
        raw = archive.read(info)
    except (
        zipfile.BadZipFile,
        zlib.error,
        ValueError,
        NotImplementedError,
        EOFError,
        RuntimeError,
    ) as exc:
        raise DocumentError(name, "file", f"damaged Word file ({member}: {exc})") from exc
    # Entity declarations have no business in a Word part; refusing them rules out entity bombs.
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise DocumentError(name, "file", f"{member} declares XML entities; not a Word document")
    try:
        return ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise DocumentError(name, "file", f"{member} is not well-formed XML: {exc}") from exc


def _heading_levels(styles: ElementTree.Element | None) -> dict[str, int]:
    """Style id → heading level: 0 for Title, N for "heading N" (ids differ by language)."""
    levels: dict[str, int] = {}
    if styles is None:
        return levels
    for style in styles.iter(f"{_W}style"):
        style_id = style.get(f"{_W}styleId", "")
        name_el = style.find(f"{_W}name")
        style_name = (name_el.get(f"{_W}val", "") if name_el is not None else "").strip()
        if style_name.lower() == "title":
            levels[style_id] = 0
        elif match := _HEADING_STYLE.match(style_name):
            levels[style_id] = int(match.group(1))
    return levels


def _paragraph_text(paragraph: ElementTree.Element) -> str:
    parts: list[str] = []
    for node in paragraph.iter():
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            parts.append(" ")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts).strip()


def docx_to_markdown(data: bytes, name: str) -> str:
    """The paragraphs of a .docx as Markdown: headings as `#` lines, list items as `- ` lines."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError) as exc:
        raise DocumentError(name, "file", "not a Word .docx file (not a zip archive)") from exc
    with archive:
        document = _xml(archive, "word/document.xml", name)
        if document is None:
            raise DocumentError(name, "file", "not a Word .docx file (no word/document.xml)")
        levels = _heading_levels(_xml(archive, "word/styles.xml", name))
    blocks: list[tuple[int | None, str]] = []
    for paragraph in document.iter(f"{_W}p"):
        text = _paragraph_text(paragraph)
        if not text:
            continue
        props = paragraph.find(f"{_W}pPr")
        style = props.find(f"{_W}pStyle") if props is not None else None
        level = levels.get(style.get(f"{_W}val", "") if style is not None else "")
        if level is None and props is not None and props.find(f"{_W}numPr") is not None:
            text = f"- {text}"
        blocks.append((level, text))
    # With a Title paragraph the headings sit below it; without one, heading 1 is the top.
    shift = 1 if any(level == 0 for level, _ in blocks) else 0
    return "\n\n".join(
        text if level is None else f"{'#' * min(level + shift, 6)} {text}" for level, text in blocks
    )


def _join_wrapped_lines(page: str) -> str:
    """Undo the line wrapping of a PDF page: a full line not ending a sentence continues."""
    lines = [line.rstrip() for line in page.splitlines()]
    widest = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        wrapped = (
            previous
            and line
            and len(previous) >= widest * 0.8
            and not previous.endswith(tuple(_SENTENCE_END))
        )
        if wrapped:
            out[-1] = previous + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def pdf_to_text(data: bytes, name: str) -> str:
    """The text layer of a PDF, page by page; a scanned PDF (no text) is an error."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(name, "file", "the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    # pypdf reports most damage as PyPdfError, but a mangled object can surface as one of
    # these while it walks the file (found by mutating valid PDFs); each means "unreadable".
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise DocumentError(name, "file", f"not a readable PDF: {exc}") from exc
    text = "\n\n".join(_join_wrapped_lines(page) for page in pages if page.strip())
    if not text.strip():
        raise DocumentError(
            name, "file", "the PDF has no text layer (a scan?); export it with text or as .docx"
        )
    return text
