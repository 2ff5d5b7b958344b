"""Split a practice body into retrieval chunks of roughly 200-300 characters.

Each chunk carries the document title as a header: a paragraph such as "第三步……"
means little on its own, and the title lets both dense and BM25 retrieval see what
practice it belongs to. (Adding the tags too was tried on the dev queries and did not
help; tags are used for filtering instead.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.knowledge.documents import PracticeDocument

CHUNKER_VERSION = "v3"
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_MARKDOWN_NOISE = re.compile(r"^\s*(?:#{1,6}\s*|[-*+]\s+|\d+[.、)]\s*)")


@dataclass(frozen=True)
class Chunk:
    """One piece of a document as indexed: `text` is what gets embedded and tokenised."""

    index: int
    text: str
    body: str


def _clean(line: str) -> str:
    return _MARKDOWN_NOISE.sub("", line).replace("**", "").strip()


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in filter(None, _SENTENCE_END.split(paragraph)):
        while len(sentence) > max_chars:  # a run-on sentence: hard cut
            pieces.extend([current] if current else [])
            current = ""
            pieces.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if current and len(current) + len(sentence) > max_chars:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return pieces


def split_text(body: str, *, max_chars: int = 220, min_chars: int = 60) -> list[str]:
    """Pack paragraphs (blank-line separated) into pieces of at most about `max_chars`.

    Paragraph boundaries are preferred cut points: a practice's sections (what it is,
    symptoms, steps, pitfall) each make a more focused vector than a mix of two.
    """
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body):
        lines = [line for line in (_clean(raw) for raw in paragraph.splitlines()) if line]
        if not lines:
            continue
        for i, line in enumerate(lines):
            for j, piece in enumerate(_split_long(line, max_chars)):
                # Mark where a new paragraph starts so packing can prefer that cut.
                units.append(("\x00" if i == 0 and j == 0 else "") + piece)
    pieces: list[str] = []
    current = ""
    for unit in units:
        starts_paragraph = unit.startswith("\x00")
        unit = unit.lstrip("\x00")
        too_long = len(current) + len(unit) + 1 > max_chars
        # Cut at a paragraph start once the current piece is already reasonably full.
        if current and (too_long or (starts_paragraph and len(current) >= max_chars // 2)):
            pieces.append(current)
            current = ""
        current = f"{current}\n{unit}" if current else unit
    if current:
        # A short tail carries little signal alone; fold it into the previous piece.
        if pieces and len(current) < min_chars and len(pieces[-1]) + len(current) < max_chars * 1.4:
            pieces[-1] = f"{pieces[-1]}\n{current}"
        else:
            pieces.append(current)
    return pieces


def chunk_header(doc: PracticeDocument) -> str:
    """The line prepended to every chunk of `doc`."""
    return doc.title


def chunk_document(doc: PracticeDocument, *, max_chars: int = 220) -> list[Chunk]:
    """Chunks of `doc`, each prefixed with the title/tags header."""
    header = chunk_header(doc)
    pieces = split_text(doc.body, max_chars=max_chars) or [doc.title]
    return [Chunk(index=i, text=f"{header}\n{piece}", body=piece) for i, piece in enumerate(pieces)]
