"""Prompt templates: Jinja2 files in `prompts/`, rendered strictly.

A template may define its system message with `{% set system %}...{% endset %}`;
the rest of the file is the user message. Every render carries the template id
and a hash of the template source so a draft can say exactly which prompt made it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel

from coach.core.assets import prompts_dir


class RenderedPrompt(BaseModel):
    """A prompt ready to send, with the identity of the template that made it."""

    template_id: str
    template_hash: str
    system: str
    user: str


@lru_cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(prompts_dir())),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache
def template_hash(template_id: str) -> str:
    """Short SHA-256 of a template's source."""
    source = (prompts_dir() / template_id).read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def render(template_id: str, **variables: Any) -> RenderedPrompt:
    """Render a template; a missing variable raises instead of rendering as empty."""
    template = _environment().get_template(template_id)
    module = template.make_module(variables)
    system = str(getattr(module, "system", "")).strip()
    return RenderedPrompt(
        template_id=template_id,
        template_hash=template_hash(template_id),
        system=system,
        user=str(module).strip(),
    )


def render_text(template_id: str, **variables: Any) -> str:
    """Render a template that produces plain text (no system part)."""
    return render(template_id, **variables).user


def render_blocks(template_id: str, **variables: Any) -> dict[str, str]:
    """Render a template and return its top-level `{% set name %}` blocks, stripped, by name."""
    template = _environment().get_template(template_id)
    module = template.make_module(variables)
    return {
        name: str(value).strip()
        for name, value in vars(module).items()
        if not name.startswith("_") and isinstance(value, str)
    }
