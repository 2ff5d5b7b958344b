"""Locate the prompt templates and the shipped practice library.

In a wheel they live inside the package (`coach/_assets`); in a source checkout
or an editable install they are the top-level `prompts/` and `knowledge/` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def asset_dir(name: str) -> Path:
    """Return the directory of a shipped asset folder (`prompts` or `knowledge`)."""
    bundled = _PACKAGE_DIR / "_assets" / name
    if bundled.is_dir():
        return bundled
    source = _PACKAGE_DIR.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"asset folder {name!r} not found in {bundled} or {source}")


def prompts_dir() -> Path:
    """Directory of the Jinja2 prompt templates."""
    return asset_dir("prompts")


def knowledge_dir() -> Path:
    """Directory of the shipped practice library."""
    return asset_dir("knowledge")
