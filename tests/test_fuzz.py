"""Fuzz every operation of the OpenAPI schema: valid and invalid input, as admin, HR and manager.

The bar: no input makes the service answer 500, and every refusal (4xx) says what is wrong
in a `detail`. Examples are derandomized and few per operation, so a run is repeatable and
quick; a failure prints the request that reproduces it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlmodel import Session

from api.main import create_app
from coach.core.settings import Settings
from coach.knowledge import HashingEmbedder, open_knowledge_base
from tests.factories import auth, seed_org, upgraded

ROLES = ("admin", "hr", "manager")


@pytest.fixture
def fuzz_app(settings: Settings) -> FastAPI:
    """The app on this test's database, with the small organisation and a fast embedder."""
    knowledge = open_knowledge_base(chroma_path=settings.chroma_path, embedder=HashingEmbedder())
    app = create_app(upgraded(settings), knowledge=knowledge)
    with Session(app.state.engine) as session:
        app.state.fuzz_tokens = seed_org(session)
        session.commit()
    return app


@pytest.fixture
def api_schema(fuzz_app: FastAPI) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True
    )
    return schema


def refusal_says_why(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """A 4xx answer carries a non-empty `detail` naming the problem."""
    if not 400 <= response.status_code < 500:
        return True
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} without a JSON body") from exc
    detail = body.get("detail") if isinstance(body, dict) else None
    assert detail, f"{response.status_code} without a detail: {body!r}"
    return True


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_a_server_error(case: schemathesis.Case, fuzz_app: FastAPI) -> None:
    for role in ROLES:
        response = case.call(headers=auth(fuzz_app.state.fuzz_tokens[role]))
        case.validate_response(response, checks=[not_a_server_error, refusal_says_why])
