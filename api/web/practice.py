"""One practice of the library as a page, readable by every signed-in role.

The document is Markdown written by HR or shipped with Coach; it is rendered with raw HTML
switched off, so any tag in it shows as text, and markdown-it refuses `javascript:` and
similar link targets.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from coach.core.errors import NotFound
from coach.knowledge import DEFAULT_COLLECTION

from ..deps import KnowledgeDep
from .core import WebRoute, WebUser, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str) -> Markup:
    """Markdown as HTML that is safe to put in a page: no raw HTML, no script links."""
    # Markup only after markdown-it has escaped every text and tag of the document.
    return Markup(_MARKDOWN.render(text))


@router.get("/practices/{doc_id}")
def practice_page(
    doc_id: Annotated[str, Path(max_length=200)],
    request: Request,
    user: WebUser,
    kb: KnowledgeDep,
) -> Response:
    """A practice document, rendered."""
    document = kb.get_document(doc_id, DEFAULT_COLLECTION)
    if document is None:
        raise NotFound("practice", doc_id, hint="the practice library at /practices lists them")
    return render(
        request, "practice.html", {"doc": document, "body": markdown_html(document.body)}, user=user
    )
