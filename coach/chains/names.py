"""Which people of the organisation a snapshot names, at a cost that grows with the snapshot.

A prompt needs a placeholder for every person its records name: the subject, their manager,
the authors of check-ins and key events, and any colleague a free-text field mentions. To
find the last kind without one regex alternating every name of the organisation (which
grows with the organisation and was rebuilt for every call), the names and ids live in
sets, built once per version of the employee table and shared by every request, and the
snapshot's text is looked up position by position for each distinct name length.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, func
from sqlmodel import Session, select

from coach.core.models import Employee


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class NameIndex:
    """Every employee's id and name, for looking up the people a text names."""

    def __init__(self, people: Mapping[str, str]) -> None:
        self._names_by_id = {i: n for i, n in people.items() if i}
        grouped: dict[str, list[str]] = {}
        for employee_id, name in self._names_by_id.items():
            if len(name) >= 2:  # one character is too common to mask (the Pseudonymizer agrees)
                grouped.setdefault(name, []).append(employee_id)
        # Tuples of strings are not tracked by the garbage collector; 50,000 lists would be.
        self._ids_by_name = {name: tuple(ids) for name, ids in grouped.items()}
        self._name_lengths = sorted({len(n) for n in self._ids_by_name}, reverse=True)
        self._id_lengths = sorted({len(i) for i in self._names_by_id}, reverse=True)

    def __len__(self) -> int:
        return len(self._names_by_id)

    def has_id(self, employee_id: str) -> bool:
        """Whether an employee has this id."""
        return employee_id in self._names_by_id

    def names_in(self, text: str) -> set[str]:
        """Every name (two characters or more) that occurs anywhere in the text."""
        found: set[str] = set()
        for start in range(len(text)):
            for length in self._name_lengths:
                candidate = text[start : start + length]
                if candidate in self._ids_by_name:
                    found.add(candidate)
        return found

    def id_spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Where employee ids occur as whole tokens, leftmost and longest first, not overlapping."""
        size, start = len(text), 0
        while start < size:
            if not (start and _is_word(text[start - 1])):
                for length in self._id_lengths:
                    end = start + length
                    whole = end <= size and not (end < size and _is_word(text[end]))
                    if whole and text[start:end] in self._names_by_id:
                        yield start, end
                        start = end - 1
                        break
            start += 1

    def people_in(self, text: str) -> dict[str, str]:
        """employee_id -> name of everyone whose name occurs in the text or whose id is a token."""
        found = {i: self._names_by_id[i] for s, e in self.id_spans(text) for i in [text[s:e]]}
        for name in self.names_in(text):
            found.update((employee_id, name) for employee_id in self._ids_by_name[name])
        return found


_lock = threading.Lock()
_indexes: weakref.WeakKeyDictionary[Engine, tuple[tuple[Any, ...], NameIndex]] = (
    weakref.WeakKeyDictionary()
)


def _org_version(session: Session) -> tuple[Any, ...]:
    # Every write of an employee stamps updated_at (indexed); the count sees deletions.
    row = session.exec(select(func.count(), func.max(Employee.updated_at))).one()
    return tuple(row)


def org_index(session: Session) -> NameIndex:
    """The organisation's name index, rebuilt only when the employee table has changed."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    assert isinstance(engine, Engine)
    version = _org_version(session)
    with _lock:
        cached = _indexes.get(engine)
    if cached is not None and cached[0] == version:
        return cached[1]
    index = NameIndex(dict(session.exec(select(Employee.employee_id, Employee.name)).all()))
    with _lock:
        _indexes[engine] = (version, index)
    return index


def strings(value: Any) -> Iterator[str]:
    """Every string inside nested dicts and lists (values only)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
