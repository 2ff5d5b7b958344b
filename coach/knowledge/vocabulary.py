"""Query rewriting for practice retrieval: symptom → concept vocabulary and English glossary.

A query says what goes wrong; a practice says what to do about it. The vocabulary (a YAML
file shipped in `coach/knowledge/data/`, extended by a company's own file) lists phrases of
the first kind with the words of the second. `Vocabulary.expand` returns the words a query
gains; BM25 weighs them below the query's own words (see `coach.knowledge.search`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coach.knowledge.errors import DocumentError

SHIPPED_VOCABULARY = Path(__file__).parent / "data" / "vocabulary.yaml"


class Concept(BaseModel):
    """Phrases that describe a need (`when`) and the words practices use for it (`means`)."""

    model_config = ConfigDict(frozen=True)

    when: list[str] = Field(min_length=1)
    means: list[str] = Field(min_length=1)

    @field_validator("when", "means", mode="before")
    @classmethod
    def _strings(cls, value: object) -> object:
        # YAML reads `360` or `1:1` as numbers; a phrase is text whatever it looks like.
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return value


class Vocabulary(BaseModel):
    """Concept rules and an English → Chinese glossary."""

    model_config = ConfigDict(frozen=True)

    concepts: list[Concept] = Field(default_factory=list)
    glossary: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("glossary", mode="before")
    @classmethod
    def _glossary_strings(cls, value: object) -> object:
        if isinstance(value, dict):
            return {
                str(k).strip().lower(): [str(v) for v in (vs if isinstance(vs, list) else [vs])]
                for k, vs in value.items()
            }
        return value

    def merged(self, other: Vocabulary) -> Vocabulary:
        """This vocabulary with `other`'s concepts added and its glossary entries extending ours."""
        glossary = {k: list(v) for k, v in self.glossary.items()}
        for term, words in other.glossary.items():
            glossary[term] = list(dict.fromkeys([*glossary.get(term, []), *words]))
        return Vocabulary(concepts=[*self.concepts, *other.concepts], glossary=glossary)

    def translate(self, query: str) -> list[str]:
        """Chinese words for the English terms of `query` (whole words, longest first)."""
        lowered = query.lower()
        found: list[str] = []
        for term in sorted(self.glossary, key=len, reverse=True):
            if _english_term(term).search(lowered):
                found.extend(self.glossary[term])
        return list(dict.fromkeys(found))

    def expand(self, query: str) -> list[str]:
        """Words `query` gains: glossary translations, then concepts its phrases call up."""
        translated = self.translate(query)
        haystack = " ".join([query.lower(), *translated])
        added = list(translated)
        for concept in self.concepts:
            if any(phrase.lower() in haystack for phrase in concept.when):
                added.extend(concept.means)
        return [w for w in dict.fromkeys(added) if w.lower() not in query.lower()]


@cache
def _english_term(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")


def load_vocabulary(path: Path) -> Vocabulary:
    """Read a vocabulary YAML file; raise `DocumentError` naming the file and field."""
    name = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise DocumentError(name, "file", f"cannot be read: {exc.strerror}") from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DocumentError(name, "file", f"is not UTF-8 YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise DocumentError(name, "file", "must be a mapping with `concepts` and `glossary`")
    try:
        return Vocabulary.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "file"
        raise DocumentError(name, field, first["msg"]) from exc


@cache
def shipped_vocabulary() -> Vocabulary:
    """The vocabulary that ships with Coach."""
    return load_vocabulary(SHIPPED_VOCABULARY)


def vocabulary_with(extra: Path | None) -> Vocabulary:
    """The shipped vocabulary, extended by the company's file at `extra` when given."""
    shipped = shipped_vocabulary()
    return shipped.merged(load_vocabulary(extra)) if extra is not None else shipped
