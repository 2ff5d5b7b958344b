"""Split a practice body into retrieval chunks of roughly 200-300 characters.

Each chunk carries the document title as a header: a paragraph such as "第三步……"
means little on its own, and the title lets both dense and BM25 retrieval see what
practice it belongs to. (Adding the tags too was tried on the dev queries and did not
help; tags are used for filtering instead.)

`needs_text` is the part of a document that says when to use it (its 适用场景 / 症状
section, else its opening paragraph), which search embeds as if it were a query: a
complaint is then compared with the complaints the practice answers, not with its steps.
A needs section is embedded that way only, not once more among the passages
(`index_pieces`), and BM25 reads it whole from a chunk of its own: 16% fewer tokens to
embed at ingest (333k → 279k for the benchmark's 1,000 documents), and hybrid recall@3
on the three development libraries, front matter / plain Markdown, moved 0.944/0.952 → 0.940/0.944 (shipped), 0.927/0.927 → 0.936/0.927
(first blind), 0.900/0.891 → 0.918/0.909 (second blind).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from coach.knowledge.documents import PracticeDocument

CHUNKER_VERSION = "v6"
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_MARKDOWN_NOISE = re.compile(r"^\s*(?:#{1,6}\s*|[-*+]\s+|\d+[.、)]\s*)")
# A section heading: "## 适用场景", "**适用症状**：……", "症状：……", or a short bare line.
_SECTION_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s+(?P<md>.+?)\s*"
    r"|\*\*(?P<bold>[^*]{1,12})\*\*\s*[:：]?\s*(?P<bold_rest>.*)"
    r"|(?P<label>[^\s，。；,.:：]{2,8})\s*[:：]\s*(?P<label_rest>.*)"
    r"|(?P<bare>[^\s，。；,.:：!?！？]{2,8}))$"
)
# Headings of the part that says when a practice applies. Not "常见问题": libraries use it
# for the practice's own pitfalls as often as for the situations it answers.
_NEEDS_HEADINGS = ("适用", "场景", "症状", "什么时候", "何时", "信号", "痛点", "when", "symptom")
NEEDS_MAX_CHARS = 300


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
    """The passages of `doc`, each prefixed with the title header."""
    return index_pieces(doc, max_chars=max_chars).chunks


@dataclass(frozen=True)
class IndexPieces:
    """What one document is indexed as; `index_pieces` reads its sections once for all three."""

    chunks: list[Chunk]  # its passages: embedded, and read by BM25
    needs: str  # `needs_text`: embedded as a query is
    # Its needs sections whole, for BM25 alone, when they are not among the passages.
    needs_chunk: Chunk | None


def index_pieces(doc: PracticeDocument, *, max_chars: int = 220) -> IndexPieces:
    """The passages, needs text and BM25-only needs chunk of `doc`."""
    sections = _sections(doc.body)
    needs_sections = [s for s in sections if _is_needs_section(s)]
    rest = "\n".join(s.raw for s in sections if not _is_needs_section(s)).strip()
    separate = bool(needs_sections and rest)
    header = chunk_header(doc)
    pieces = split_text(rest if separate else doc.body, max_chars=max_chars) or [doc.title]
    needs = _needs(sections, needs_sections)
    # A title that is only the file name tells the model nothing a complaint would say.
    named = doc.title not in (doc.id, Path(doc.source).stem)
    return IndexPieces(
        chunks=[Chunk(index=i, text=f"{header}\n{p}", body=p) for i, p in enumerate(pieces)],
        needs=(f"{doc.title}：{needs}" if named else needs)[:NEEDS_MAX_CHARS],
        needs_chunk=Chunk(index=-1, text=f"{header}\n{needs}", body=needs) if separate else None,
    )


def _needs(sections: list[_Section], needs_sections: list[_Section]) -> str:
    """The needs sections flattened, else the opening paragraph."""
    if needs_sections:
        return "；".join(_flat(s.text) for s in needs_sections)
    # Without such a heading, a practice usually opens with the trouble it answers.
    opening = next((s.text for s in sections if s.text), "")
    return next((_flat(p) for p in re.split(r"\n\s*\n", opening) if _flat(p)), "")


def needs_text(doc: PracticeDocument) -> str:
    """What `doc` says about when to use it, after its title; see the module docstring."""
    return index_pieces(doc).needs


@dataclass(frozen=True)
class _Section:
    title: str  # "" for the text before any heading
    text: str  # its content, the heading taken off
    raw: str  # its lines as written, heading included


def _sections(body: str) -> list[_Section]:
    """Each headed part of `body`, in order; the text before any heading comes first."""
    found: list[tuple[str, list[str], list[str]]] = [("", [], [])]
    for line in body.splitlines():
        heading = _SECTION_HEADING.match(line)
        if heading is None:
            found[-1][1].append(line)
            found[-1][2].append(line)
            continue
        title = heading["md"] or heading["bold"] or heading["label"] or heading["bare"]
        rest = heading["bold_rest"] or heading["label_rest"] or ""
        found.append((title.strip(), [rest] if rest else [], [line]))
    return [
        _Section(title, "\n".join(lines).strip(), "\n".join(raw)) for title, lines, raw in found
    ]


def _is_needs_section(section: _Section) -> bool:
    return bool(section.text) and _is_needs_heading(section.title)


def _flat(text: str) -> str:
    lines = (_clean(line) for line in text.splitlines())
    return "；".join(line.rstrip("；;") for line in lines if line)


def _is_needs_heading(title: str) -> bool:
    lowered = title.lower()
    return any(word in lowered for word in _NEEDS_HEADINGS)
