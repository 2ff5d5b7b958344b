"""The blind splits are frozen: each file still hashes to the SHA-256 recorded when it was."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
_LINE = re.compile(r"^([0-9a-f]{64})  (\S+)$", re.MULTILINE)


def test_every_blind_file_matches_its_recorded_hash() -> None:
    recorded = _LINE.findall((DATA / "BLIND.md").read_text(encoding="utf-8"))
    assert len(recorded) >= 4
    changed = [
        name
        for digest, name in recorded
        if hashlib.sha256((DATA / name).read_bytes()).hexdigest() != digest
    ]
    assert changed == []
