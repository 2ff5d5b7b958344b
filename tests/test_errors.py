"""One table maps every domain error to its HTTP status, for the API and the web pages alike."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

import coach
from api.errors import STATUS, status_for
from api.web.core import WebRoute
from coach.core.errors import CoachError, NotFound
from coach.llm import LLMError
from coach.targets import UnknownEmployee


def _coach_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(coach.__path__, "coach.")]
    # Alembic revision scripts are loaded by Alembic, not imported as modules.
    return [n for n in names if not n.startswith("coach.migrations")]


def _subclasses(cls: type[CoachError]) -> list[type[CoachError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_domain_error_has_a_status() -> None:
    for name in _coach_modules():
        importlib.import_module(name)
    defined = [c for c in _subclasses(CoachError) if c.__module__.startswith("coach.")]
    assert CoachError not in STATUS  # else every error would pass through the base
    assert len(defined) > 10
    unmapped = [c.__qualname__ for c in defined if not any(b in STATUS for b in c.__mro__)]
    assert unmapped == []


def test_a_subclass_takes_its_nearest_base_status() -> None:
    assert status_for(UnknownEmployee("E9")) == 404
    assert isinstance(UnknownEmployee("E9"), NotFound)


class _Gone(NotFound):
    """A subclass the table does not name."""


@pytest.fixture
def raising_client(app: FastAPI) -> TestClient:
    api = APIRouter()
    pages = APIRouter(route_class=WebRoute)

    @api.get("/test/llm")
    def llm_failed() -> None:
        raise LLMError("model endpoint refused", outcome="error", status=400)

    @pages.get("/test/gone")
    def gone() -> None:
        raise _Gone("practice", "p-1")

    app.include_router(api)
    app.include_router(pages)
    return TestClient(app)


def test_a_domain_error_escaping_a_route_is_not_a_500(raising_client: TestClient) -> None:
    response = raising_client.get("/test/llm")
    assert response.status_code == 502
    assert response.json() == {"detail": "model endpoint refused"}


def test_a_page_shows_a_subclass_with_its_base_status(raising_client: TestClient) -> None:
    response = raising_client.get("/test/gone")
    assert response.status_code == 404
    assert "practice &#39;p-1&#39; not found" in response.text  # escaped by the template
